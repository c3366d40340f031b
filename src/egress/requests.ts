// Deciding an HTTP request: absolute-URI from the sandbox, or a request
// inside an inspected tunnel (whose Host must name the CONNECT target).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { classifyHost } from '../policy/host.js';
import type { Decision } from '../policy/matcher.js';
import { deny, type ProxyContext, type TunnelCtx } from './context.js';
import { denyResponse, denySocket, type DenyInfo } from './deny.js';
import { pathOnly } from './events.js';
import { forward, forwardUpgrade, type Upstream } from './forward.js';
import { parseAbsolute, parseAuthority, splitQuery } from './target.js';

export function hostHeaderProblem(req: IncomingMessage, ctx: TunnelCtx): string | undefined {
  const a = parseAuthority(req.headers.host ?? '');
  const n = a ? classifyHost(a.host) : undefined;
  const h = n && n.kind !== 'invalid' ? n.host : undefined;
  if (!a || h !== ctx.host || (a.port !== undefined && a.port !== ctx.port)) {
    return `Host header "${req.headers.host ?? ''}" does not match the tunnel target ${ctx.host}:${ctx.port}`;
  }
  if (/^[a-z]+:\/\//i.test(req.url ?? '')) {
    const t = parseAbsolute(req.url!);
    if (
      !t ||
      classifyHost(t.host).kind === 'invalid' ||
      t.host.toLowerCase() !== ctx.host ||
      t.port !== ctx.port
    ) {
      return 'absolute request target inside a tunnel names another host';
    }
  }
  return undefined;
}

/** Decides one request; returns the upstream to use, or undefined after answering the denial. */
export function decide(
  px: ProxyContext,
  req: IncomingMessage,
  respond: (info: DenyInfo) => void,
  started: number,
): { up: Upstream; d: Decision | undefined } | undefined {
  const ctx = px.tunnels.get(req.socket);
  const method = req.method ?? 'GET';
  let up: Upstream;
  if (ctx) {
    const problem = hostHeaderProblem(req, ctx);
    const pq = /^[a-z]+:\/\//i.test(req.url ?? '') ? parseAbsolute(req.url!)!.pathAndQuery : (req.url ?? '/');
    if (problem) {
      const info: DenyInfo = {
        layer: 'l7',
        host: ctx.host,
        port: ctx.port,
        method,
        path: pathOnly(pq),
        reason: problem,
      };
      deny(px, info, undefined, () => respond(info), started);
      return undefined;
    }
    up = { host: ctx.host, port: ctx.port, tls: ctx.tls, pathAndQuery: pq };
  } else {
    const t = parseAbsolute(req.url ?? '');
    if (!t || t.scheme === 'https' || t.scheme === 'wss') {
      const info: DenyInfo = {
        layer: 'l7',
        host: t?.host ?? '',
        port: t?.port ?? 0,
        method,
        path: t ? pathOnly(t.pathAndQuery) : pathOnly(req.url ?? ''),
        reason: t
          ? 'https:// request targets must use CONNECT'
          : 'this is a proxy: send absolute-URI requests (http://host/path) or CONNECT',
      };
      deny(px, info, undefined, () => respond(info), started);
      return undefined;
    }
    const hostHeader = req.headers.host;
    if (hostHeader !== undefined) {
      const a = parseAuthority(hostHeader);
      const hn = a ? classifyHost(a.host) : undefined;
      const tn = classifyHost(t.host);
      const same =
        hn &&
        hn.kind !== 'invalid' &&
        tn.kind !== 'invalid' &&
        hn.host === tn.host &&
        (a!.port ?? 80) === t.port;
      if (!same) {
        const info: DenyInfo = {
          layer: 'l7',
          host: t.host,
          port: t.port,
          method,
          path: pathOnly(t.pathAndQuery),
          reason: `Host header "${hostHeader}" does not match the request target ${t.host}:${t.port}`,
        };
        deny(px, info, undefined, () => respond(info), started);
        return undefined;
      }
    }
    const n = classifyHost(t.host);
    up = {
      host: n.kind === 'invalid' ? t.host : n.host,
      port: t.port,
      tls: false,
      pathAndQuery: t.pathAndQuery,
    };
    const route = px.routes.get(up.host);
    if (route) return { up: { ...up, route }, d: undefined };
  }
  const { path, query } = splitQuery(up.pathAndQuery);
  const d = px.matcher.match({
    host: up.host,
    port: up.port,
    method,
    path,
    ...(query === undefined ? {} : { query }),
  });
  if (d.decision === 'deny') {
    const info: DenyInfo = {
      layer: d.layer,
      host: up.host,
      port: up.port,
      method,
      path: pathOnly(path),
      reason: d.reason,
    };
    deny(px, info, d, () => respond(info), started);
    return undefined;
  }
  return { up, d };
}

export function onRequest(px: ProxyContext, req: IncomingMessage, res: ServerResponse) {
  const started = Date.now();
  const r = decide(px, req, (info) => denyResponse(res, info), started);
  if (!r) {
    req.resume();
    return;
  }
  void forward(px, req, res, r.up, r.d, started);
}

export function onUpgrade(px: ProxyContext, req: IncomingMessage, socket: Duplex, head: Buffer) {
  const started = Date.now();
  px.track(socket);
  socket.on('error', () => undefined);
  const r = decide(px, req, (info) => denySocket(socket, info), started);
  if (r) forwardUpgrade(px, req, socket, head, r.up, r.d, started);
}
