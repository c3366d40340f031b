// Sending one allowed request upstream (absolute-URI, inside an inspected
// tunnel, or to a local route): streamed both ways, hop-by-hop headers
// dropped, TLS re-established with normal verification, audited on finish.
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { checkServerIdentity } from 'node:tls';
import type { Decision } from '../policy/matcher.js';
import { base, deny, type LocalRoute, type ProxyContext } from './context.js';
import { denyResponse, denySocket, type DenyInfo } from './deny.js';
import { pathOnly } from './events.js';
import { endToEnd } from './headers.js';
import { pipeTunnel } from './tunnel.js';

export interface Upstream {
  host: string;
  port: number;
  tls: boolean;
  pathAndQuery: string;
  route?: LocalRoute;
}

type Target = { host: string; port: number } | { socketPath: string };

/**
 * Where an allowed request goes: its local route, or the address the SSRF
 * guard accepted (the one dialled, so a rebinding name cannot swap it).
 */
async function upstreamTarget(
  px: ProxyContext,
  up: Upstream,
  d: Decision | undefined,
  method: string,
): Promise<{ target: Target } | { denied: DenyInfo }> {
  if (up.route) return { target: up.route };
  const addr = await px.dialAddress(up.host, d!);
  if ('reason' in addr) {
    return {
      denied: {
        layer: 'ssrf',
        host: up.host,
        port: up.port,
        method,
        path: pathOnly(up.pathAndQuery),
        reason: addr.reason,
      },
    };
  }
  return { target: { host: addr.address, port: up.port } };
}

/** Re-encrypting upstream: SNI and certificate checked against the name the client asked for. */
function upstreamTls(px: ProxyContext, up: Upstream) {
  return {
    ...(isIP(up.host) ? {} : { servername: up.host }),
    ...(px.upstreamCa ? { ca: px.upstreamCa } : {}),
    checkServerIdentity: (_h: string, cert: Parameters<typeof checkServerIdentity>[1]) =>
      checkServerIdentity(up.host, cert),
  };
}

export async function forward(
  px: ProxyContext,
  req: IncomingMessage,
  res: ServerResponse,
  up: Upstream,
  d: Decision | undefined,
  started: number,
) {
  const path = pathOnly(up.pathAndQuery);
  const event = {
    layer: 'l7' as const,
    host: up.host,
    port: up.port,
    method: req.method ?? 'GET',
    path,
    ...(d
      ? base(d)
      : {
          decision: 'allow' as const,
          policy: 'local',
          rule: `localRoutes.${up.host}`,
          reason: 'job service on the host',
          internal: true,
        }),
  };
  const to = await upstreamTarget(px, up, d, event.method);
  if ('denied' in to) {
    const info = to.denied;
    deny(px, info, d, () => denyResponse(res, info), started);
    req.resume();
    return;
  }
  const { target } = to;
  let bytesUp = 0;
  let bytesDown = 0;
  let status: number | undefined;
  const headers = endToEnd(req.headers);
  headers.host = req.headers.host ?? (up.port === (up.tls ? 443 : 80) ? up.host : `${up.host}:${up.port}`);
  const common = { method: req.method, path: up.pathAndQuery, headers, timeout: px.idleMs };
  const upReq = up.tls
    ? httpsRequest({
        ...common,
        ...(target as { host: string; port: number }),
        agent: px.httpsAgent,
        ...upstreamTls(px, up),
      })
    : httpRequest({ ...common, ...target, agent: 'socketPath' in target ? false : px.httpAgent });
  let done = false;
  const finish = (err?: string) => {
    if (done) return;
    done = true;
    px.record({
      ...event,
      ...(status ? { status } : {}),
      ...(err ? { reason: `${event.reason}; ${err}` } : {}),
      bytes_up: bytesUp,
      bytes_down: bytesDown,
      duration_ms: Date.now() - started,
    });
  };
  upReq.on('socket', (s) => {
    px.track(s);
    (s as Socket).setNoDelay?.(true);
  });
  upReq.on('timeout', () => upReq.destroy(new Error('upstream timeout')));
  upReq.on('response', (upRes) => {
    status = upRes.statusCode ?? 502;
    res.writeHead(status, upRes.statusMessage, endToEnd(upRes.headers));
    upRes.on('data', (c: Buffer) => (bytesDown += c.length));
    upRes.pipe(res);
    upRes.on('error', () => res.destroy());
    upRes.on('aborted', () => res.destroy());
    // 'finish' (handed to the kernel) comes before the client sees the end, so the
    // event is recorded by the time the client is done; 'close' covers interruptions.
    res.on('finish', () => finish());
    res.on('close', () => {
      if (!upRes.complete) upReq.destroy();
      finish(upRes.complete ? undefined : 'transfer interrupted');
    });
  });
  upReq.on('error', (err) => {
    if (!res.headersSent) {
      const body = JSON.stringify({
        error: 'upstream_error',
        host: up.host,
        port: up.port,
        reason: err.message,
      });
      res
        .writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
        .end(body);
    } else res.destroy();
    finish(`upstream: ${err.message}`);
  });
  req.on('data', (c: Buffer) => (bytesUp += c.length));
  req.pipe(upReq);
  req.on('aborted', () => upReq.destroy());
}

export function forwardUpgrade(
  px: ProxyContext,
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
  up: Upstream,
  d: Decision | undefined,
  started: number,
) {
  void (async () => {
    const to = await upstreamTarget(px, up, d, req.method ?? 'GET');
    if ('denied' in to) {
      const info = to.denied;
      deny(px, info, d, () => denySocket(client, info), started);
      return;
    }
    const { target } = to;
    const headers = endToEnd(req.headers, true);
    const options = { method: req.method, path: up.pathAndQuery, headers, agent: false as const };
    const upReq = up.tls
      ? httpsRequest({
          ...options,
          ...(target as { host: string; port: number }),
          ...upstreamTls(px, up),
        })
      : httpRequest({ ...options, ...target });
    upReq.on('upgrade', (upRes, upSocket, upHead) => {
      px.track(upSocket);
      const lines = [`HTTP/1.1 ${upRes.statusCode} ${upRes.statusMessage}`];
      for (let i = 0; i < upRes.rawHeaders.length; i += 2)
        lines.push(`${upRes.rawHeaders[i]}: ${upRes.rawHeaders[i + 1]}`);
      client.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (upHead.length) client.write(upHead);
      pipeTunnel(px, client, upSocket, head, (bu, bd) =>
        px.record({
          layer: 'l7',
          host: up.host,
          port: up.port,
          method: req.method ?? 'GET',
          path: pathOnly(up.pathAndQuery),
          ...(d ? base(d) : { decision: 'allow', reason: 'job service on the host', internal: true }),
          status: 101,
          bytes_up: bu,
          bytes_down: bd,
          duration_ms: Date.now() - started,
        }),
      );
    });
    upReq.on('response', (upRes) => {
      client.end(
        `HTTP/1.1 ${upRes.statusCode} ${upRes.statusMessage}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`,
      );
      upRes.resume();
    });
    upReq.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n'));
    upReq.end();
  })();
}

/** Decides one request; returns the upstream to use, or undefined after answering the denial. */
