// SSRF guard on the addresses a name resolved to (not on the name: DNS can
// rebind). Private, loopback, link-local, metadata and unspecified ranges are
// refused unless the endpoint's allowed_ips lists them; the proxy dials the
// very address it checked.
import { BlockList, isIP } from 'node:net';

const FORBIDDEN = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  FORBIDDEN.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
  ['100::', 64],
] as const) {
  FORBIDDEN.addSubnet(net, bits, 'ipv6');
}

/** IPv4-mapped/compatible IPv6 (`::ffff:127.0.0.1`) checked as the IPv4 it carries. */
function unmap(ip: string): string {
  const m = /^::(?:ffff:)?(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (m) return m[1]!;
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(ip);
  if (hex) {
    const a = parseInt(hex[1]!, 16);
    const b = parseInt(hex[2]!, 16);
    return `${a >> 8}.${a & 0xff}.${b >> 8}.${b & 0xff}`;
  }
  return ip;
}

/** Why the proxy must not dial `ip`, or undefined when it may. */
export function blockedReason(ip: string, allowed?: BlockList): string | undefined {
  const addr = unmap(ip);
  const family = isIP(addr);
  if (family === 0) return `"${ip}" is not an IP address`;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (allowed?.check(addr, type)) return undefined;
  if (FORBIDDEN.check(addr, type)) {
    const what =
      addr === '169.254.169.254' || addr.toLowerCase() === 'fd00:ec2::254'
        ? 'the cloud metadata service'
        : 'a loopback, private, link-local or reserved address';
    return `resolves to ${ip}, ${what}; list it in the endpoint's allowed_ips if the job really needs it`;
  }
  return undefined;
}

/** The first address that may be dialled, or the reason none may. */
export function pickAddress(
  addrs: readonly string[],
  allowed?: BlockList,
): { address: string } | { reason: string } {
  if (addrs.length === 0) return { reason: 'name did not resolve' };
  let first: string | undefined;
  for (const a of addrs) {
    const reason = blockedReason(a, allowed);
    if (!reason) return { address: a };
    first ??= reason;
  }
  return { reason: first! };
}
