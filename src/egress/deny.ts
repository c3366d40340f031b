// What a denied client sees: 403 with a JSON body the agent can act on and a
// header naming the layer that refused (l4: host/port, l7: method/path, ssrf:
// resolved address).
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

export const LAYER_HEADER = 'X-Nemoclaw-Policy-Layer';

export interface DenyInfo {
  layer: 'l4' | 'l7' | 'ssrf';
  host: string;
  port: number;
  method?: string;
  path?: string;
  reason: string;
}

export function hintFor(d: DenyInfo): string {
  if (d.layer === 'ssrf')
    return `add the address range to allowed_ips of the endpoint for ${d.host}, only if this job must reach it`;
  if (d.layer === 'l7') {
    return `ask a maintainer to add a rule { allow: { method: ${d.method ?? 'GET'}, path: "${d.path ?? '/'}" } } for host ${d.host} to the job's policy (by pull request)`;
  }
  return `ask a maintainer to add { host: ${d.host}, port: ${d.port} } to the job's policy or the allow-hosts input (by pull request)`;
}

export function denyBody(d: DenyInfo): string {
  return `${JSON.stringify({
    error: 'policy_denied',
    host: d.host,
    port: d.port,
    method: d.method ?? 'CONNECT',
    path: d.path ?? null,
    reason: d.reason,
    hint: hintFor(d),
  })}\n`;
}

export function denyResponse(res: ServerResponse, d: DenyInfo): void {
  const body = denyBody(d);
  res.shouldKeepAlive = false;
  res
    .writeHead(403, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      [LAYER_HEADER]: d.layer,
      connection: 'close',
    })
    .end(body);
}

/** For CONNECT and upgrade requests, where only the raw socket is at hand. */
export function denySocket(socket: Duplex, d: DenyInfo, status = '403 Forbidden'): void {
  const body = denyBody(d);
  socket.end(
    `HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${LAYER_HEADER}: ${d.layer}\r\nconnection: close\r\n\r\n${body}`,
  );
}
