import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createJobCa } from '../../src/egress/ca.js';
import { blockedReason, pickAddress } from '../../src/egress/ssrf.js';
import { blockListOf } from '../../src/policy/schema.js';
import { tmp } from './helpers.js';

describe('job CA', () => {
  const ca = createJobCa('unit');
  const caCert = new X509Certificate(ca.certPem);

  test('CA is a CA; leaves are issued by it for exactly their host', () => {
    expect(caCert.ca).toBe(true);
    for (const host of ['api.github.com', '203.0.113.7', '2001:db8::1']) {
      const leaf = new X509Certificate(ca.leaf(host).certPem);
      expect(leaf.ca).toBe(false);
      expect(leaf.checkIssued(caCert)).toBe(true);
      expect(leaf.verify(caCert.publicKey)).toBe(true);
      expect(leaf.checkHost(host) ?? leaf.checkIP(host)).toBeTruthy();
      expect(leaf.checkHost('other.test')).toBeUndefined();
    }
    expect(ca.leaf('api.github.com')).toBe(ca.leaf('api.github.com'));
  });

  test('openssl verifies a leaf against the CA in strict mode', () => {
    const dir = tmp('ca');
    writeFileSync(join(dir, 'ca.pem'), ca.certPem);
    writeFileSync(join(dir, 'leaf.pem'), ca.leaf('git.test').certPem);
    const out = execFileSync('openssl', [
      'verify',
      '-x509_strict',
      '-purpose',
      'sslserver',
      '-CAfile',
      join(dir, 'ca.pem'),
      join(dir, 'leaf.pem'),
    ]);
    expect(out.toString()).toContain(': OK');
  });

  test('two jobs get unrelated CAs', () => {
    const other = new X509Certificate(createJobCa('other').certPem);
    expect(new X509Certificate(ca.leaf('x.test').certPem).checkIssued(other)).toBe(false);
  });
});

describe('SSRF guard', () => {
  test.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['10.1.2.3', true],
    ['172.16.0.1', true],
    ['172.32.0.1', false],
    ['192.168.1.1', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['0.0.0.0', true],
    ['224.0.0.1', true],
    ['255.255.255.255', true],
    ['::1', true],
    ['::', true],
    ['fd00:ec2::254', true],
    ['fe80::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:7f00:1', true],
    ['::ffff:169.254.169.254', true],
    ['64:ff9b::7f00:1', true],
    ['93.184.216.34', false],
    ['2606:4700::1111', false],
    ['not-an-ip', true],
  ])('%s blocked=%s', (ip, blocked) => expect(blockedReason(ip) !== undefined).toBe(blocked));

  test('metadata is named as such', () => expect(blockedReason('169.254.169.254')).toContain('metadata'));
  test('allowed_ips opens exactly the listed range', () => {
    const allowed = blockListOf(['127.0.0.0/8', '10.1.0.0/16']);
    expect(blockedReason('127.0.0.1', allowed)).toBeUndefined();
    expect(blockedReason('10.1.2.3', allowed)).toBeUndefined();
    expect(blockedReason('10.2.0.1', allowed)).toBeDefined();
    expect(blockedReason('169.254.169.254', allowed)).toBeDefined();
  });
  test('pickAddress skips blocked answers (rebinding to a mix) and reports why none', () => {
    expect(pickAddress(['127.0.0.1', '93.184.216.34'])).toEqual({ address: '93.184.216.34' });
    expect(pickAddress(['10.0.0.1'])).toMatchObject({ reason: expect.stringContaining('10.0.0.1') });
    expect(pickAddress([])).toEqual({ reason: 'name did not resolve' });
  });
});
