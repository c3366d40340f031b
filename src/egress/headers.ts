// Hop-by-hop headers are for one connection only (RFC 9110 §7.6.1); the proxy
// drops them, plus any header the Connection header names, in both directions.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

const HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

export function endToEnd(headers: IncomingHttpHeaders, keepUpgrade = false): OutgoingHttpHeaders {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: Record<string, string | string[] | number> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    if (keepUpgrade && (k === 'upgrade' || k === 'connection')) {
      out[k] = v;
      continue;
    }
    if (HOP.has(k) || named.has(k)) continue;
    out[k] = v;
  }
  return out;
}
