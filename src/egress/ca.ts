// The per-job certificate authority for L7 inspection. Written with node:crypto
// and a few lines of DER instead of spawning `openssl` or adding a dependency:
// the CA private key never leaves this process (no temp files, no argv), and a
// leaf for a new host costs one P-256 key generation and one signature (well
// under a millisecond) instead of a process start. Leaves are cached per host.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { bitString, bool, ctx, octets, oid, seq, set, time, tlv, uint, utf8 } from './der.js';

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));
const CN = '2.5.4.3';
const ORG = '2.5.4.10';

export interface IssuedCert {
  certPem: string;
  keyPem: string;
}

function name(cn: string): Buffer {
  return seq(set(seq(oid(ORG), utf8('nemoclaw'))), set(seq(oid(CN), utf8(cn))));
}

function ext(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));
}

function keyId(spki: Buffer): Buffer {
  // RFC 5280 method 1 would hash the BIT STRING only; any stable hash of the key is valid.
  return createHash('sha1').update(spki).digest();
}

function san(host: string): Buffer {
  const v = isIP(host);
  if (v === 4) return tlv(0x87, Buffer.from(host.split('.').map(Number)));
  if (v === 6) {
    return tlv(0x87, ipv6Bytes(host));
  }
  return tlv(0x82, Buffer.from(host, 'ascii'));
}

/** IPv6 text → 16 bytes (for the SAN of an IP-literal host). */
function ipv6Bytes(addr: string): Buffer {
  const [head, tail] = addr.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...(Array(8 - h.length - t.length).fill('0') as string[]), ...t];
  return Buffer.from(groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]));
}

interface CertInput {
  subject: string;
  issuer: string;
  publicKey: KeyObject;
  signingKey: KeyObject;
  issuerKeyId: Buffer;
  isCa: boolean;
  host?: string;
  notBefore: Date;
  notAfter: Date;
}

function buildCert(c: CertInput): string {
  const spki = c.publicKey.export({ type: 'spki', format: 'der' });
  const exts = [
    ext('2.5.29.19', true, c.isCa ? seq(bool(true), tlv(0x02, Buffer.from([0]))) : seq()),
    // keyCertSign+cRLSign for the CA; digitalSignature for leaves.
    ext('2.5.29.15', true, c.isCa ? tlv(0x03, Buffer.from([1, 0x06])) : tlv(0x03, Buffer.from([7, 0x80]))),
    ext('2.5.29.14', false, octets(keyId(spki))),
    ext('2.5.29.35', false, seq(tlv(0x80, c.issuerKeyId))),
    ...(c.host
      ? [ext('2.5.29.17', false, seq(san(c.host))), ext('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1')))]
      : []),
  ];
  const tbs = seq(
    ctx(0, tlv(0x02, Buffer.from([2]))),
    uint(randomBytes(16)),
    ECDSA_SHA256,
    name(c.issuer),
    seq(time(c.notBefore), time(c.notAfter)),
    name(c.subject),
    spki,
    ctx(3, seq(...exts)),
  );
  const signature = sign('sha256', tbs, c.signingKey);
  const der = seq(tbs, ECDSA_SHA256, bitString(signature));
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END CERTIFICATE-----\n`;
}

export interface JobCa {
  /** PEM of the CA certificate: mount it into the sandbox, point the CA env variables at it. */
  certPem: string;
  /** Certificate and key for a host, minted on first use and cached. */
  leaf(host: string): IssuedCert;
}

/** A fresh CA valid for `days` (default 2), named after the job. */
export function createJobCa(jobName = 'job', days = 2): JobCa {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const now = Date.now();
  const notBefore = new Date(now - 3600_000);
  const notAfter = new Date(now + days * 86400_000);
  const subject = `nemoclaw egress CA (${jobName})`;
  const caKeyId = keyId(publicKey.export({ type: 'spki', format: 'der' }));
  const certPem = buildCert({
    subject,
    issuer: subject,
    publicKey,
    signingKey: privateKey,
    issuerKeyId: caKeyId,
    isCa: true,
    notBefore,
    notAfter,
  });
  const cache = new Map<string, IssuedCert>();
  return {
    certPem,
    leaf(host: string): IssuedCert {
      const hit = cache.get(host);
      if (hit) return hit;
      const kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const issued = {
        certPem: buildCert({
          subject: host,
          issuer: subject,
          publicKey: kp.publicKey,
          signingKey: privateKey,
          issuerKeyId: caKeyId,
          isCa: false,
          host,
          notBefore,
          notAfter,
        }),
        keyPem: kp.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
      };
      cache.set(host, issued);
      return issued;
    },
  };
}
