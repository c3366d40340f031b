// Host names as the policy sees them. A request host either normalises to a
// plain DNS name (lower case, no trailing dot, LDH labels) or it is not a name:
// IP literals in any spelling, userinfo, percent-escapes and NUL never reach a
// name rule, so `evil.com%2E`, `user@github.com` or `0x7f000001` cannot match.
import { isIPv4, isIPv6 } from 'node:net';

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** Two-label public suffixes a wildcard must not cover (`*.co.uk` is as wide as `*.com`). */
const PUBLIC_SUFFIXES = new Set([
  'co.uk',
  'org.uk',
  'ac.uk',
  'gov.uk',
  'com.au',
  'net.au',
  'org.au',
  'co.jp',
  'ne.jp',
  'co.nz',
  'com.br',
  'com.cn',
  'com.mx',
  'co.in',
  'co.za',
  'com.tr',
  'github.io',
  'herokuapp.com',
  'amazonaws.com',
  'cloudfront.net',
  'azurewebsites.net',
  'appspot.com',
  'vercel.app',
  'netlify.app',
  'pages.dev',
  'workers.dev',
  'blogspot.com',
  'gitlab.io',
  'web.app',
  'firebaseapp.com',
]);

export type HostKind =
  | { kind: 'name'; host: string }
  | { kind: 'ip'; host: string; canonical: boolean }
  | { kind: 'invalid'; reason: string };

/** An all-numeric/hex label set that some resolvers read as an IPv4 address (e.g. `2130706433`, `0x7f.1`). */
function looksNumericIp(h: string): boolean {
  return h.split('.').every((l) => /^(0x[0-9a-f]*|[0-9]+)$/.test(l));
}

/** Classifies and normalises the host of a request (CONNECT target, URL or Host header). */
export function classifyHost(raw: string): HostKind {
  if (raw.length === 0) return { kind: 'invalid', reason: 'empty host' };
  if (raw.length > 255) return { kind: 'invalid', reason: 'host longer than 255 characters' };
  if (/[\0-\x20\x7f%@\\/?#]/.test(raw)) {
    return {
      kind: 'invalid',
      reason: 'host contains NUL, space, %, @, /, \\, ? or # (encoding or userinfo trick)',
    };
  }
  let h = raw.toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (isIPv6(h)) return { kind: 'ip', host: h, canonical: true };
  if (h.endsWith('.')) h = h.slice(0, -1);
  if (isIPv4(h)) return { kind: 'ip', host: h, canonical: true };
  if (looksNumericIp(h)) return { kind: 'ip', host: h, canonical: false };
  if (h.includes(':')) return { kind: 'invalid', reason: 'malformed host (stray colon)' };
  const labels = h.split('.');
  if (!labels.every((l) => LABEL.test(l))) return { kind: 'invalid', reason: 'host is not a valid DNS name' };
  return { kind: 'name', host: h };
}

/**
 * Why a policy host pattern is too wide or malformed, or undefined when it is fine.
 * Wildcards: `*.` as the whole first label only, over at least a registrable domain.
 */
export function hostPatternProblem(pattern: string): string | undefined {
  const p = pattern.toLowerCase().replace(/\.$/, '');
  if (p === '*' || p === '*.*') return '"*" would allow every host; list the hosts the job needs';
  if (p.includes('**')) return '"**" is not a host pattern; use "*." as the first label (one label)';
  const rest = p.startsWith('*.') ? p.slice(2) : p;
  if (rest.includes('*')) return 'a wildcard is allowed only as the whole first label, as in "*.example.com"';
  const kind = classifyHost(rest);
  if (p.startsWith('*.')) {
    if (kind.kind === 'ip' || looksNumericIp(rest)) {
      return 'wildcards over IP addresses would allow whole address ranges; list exact addresses or use allowed_ips';
    }
    if (kind.kind !== 'name') return `"${rest}" is not a valid DNS name`;
    if (!rest.includes('.') || PUBLIC_SUFFIXES.has(rest)) {
      return `"${p}" covers a whole public suffix; name the organisation's domain, as in "*.example.${rest}"`;
    }
    return undefined;
  }
  if (kind.kind === 'invalid') return kind.reason;
  if (kind.kind === 'ip' && !kind.canonical) return 'write IPv4 addresses as four decimal numbers (a.b.c.d)';
  return undefined;
}
