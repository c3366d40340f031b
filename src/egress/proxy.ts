// The host-side egress proxy. The sandbox has no network; its only way out is
// this proxy's Unix socket. Absolute-URI HTTP and CONNECT are decided by the
// compiled policy; `protocol: rest` tunnels are terminated with the job CA and
// every request inside is decided again. Denials never dial anything.
import { promises as dns } from 'node:dns';
import { writeFileSync } from 'node:fs';
import {
  Agent as HttpAgent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { checkServerIdentity, createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import type { Duplex } from 'node:stream';
import { AuditStream, nullAuditSink, type AuditSink } from '../audit/events.js';
import { silentLogger, type Logger } from '../log.js';
import { classifyHost } from '../policy/host.js';
import { compilePolicy, type Decision, type Enforcement, type Matcher } from '../policy/matcher.js';
import type { Policy } from '../policy/schema.js';
import { createJobCa } from './ca.js';
import { denyResponse, denySocket, type DenyInfo } from './deny.js';
import { pathOnly, toAuditFields, type EgressEvent } from './events.js';
import { endToEnd } from './headers.js';
import { pickAddress } from './ssrf.js';
import { summarizeEgress, type EgressSummary } from './summary.js';
import { parseAbsolute, parseAuthority, splitQuery } from './target.js';

export type LocalRoute = { host: string; port: number } | { socketPath: string };
export type Resolver = (host: string) => Promise<string[]>;

export interface EgressProxyOptions {
  policy: Policy;
  /** Job-wide override: `audit` lets denials through as would_deny. */
  enforcement?: Enforcement;
  /** Listen on this Unix socket (what the sandbox mounts). */
  socketPath?: string;
  /** Also (or instead) listen on 127.0.0.1:port; 0 picks a free port. For host-side clients and tests. */
  port?: number;
  audit?: AuditSink;
  logger?: Logger;
  /** Name → addresses. Default: the system resolver (all addresses). */
  resolver?: Resolver;
  /** Job services on the host, by name (e.g. `inference.local`): forwarded without DNS or SSRF checks. */
  localRoutes?: Record<string, LocalRoute>;
  /** Extra CAs trusted for upstream TLS (tests); the system store otherwise. */
  upstreamCa?: string | string[];
  /** Write the job CA certificate here (the sandbox side mounts it: src/sandbox/ca.ts). */
  caCertPath?: string;
  jobName?: string;
  maxConnections?: number;
  maxHeaderSize?: number;
  /** Idle time before a tunnel or keep-alive connection is closed. */
  idleTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export interface EgressProxy {
  socketPath?: string;
  port?: number;
  caCertPem: string;
  caCertPath?: string;
  summary(): EgressSummary;
  events(): readonly EgressEvent[];
  close(): Promise<void>;
}

interface TunnelCtx {
  host: string;
  port: number;
  tls: boolean;
  decision: Decision;
}

const MAX_KEPT_EVENTS = 50_000;

const defaultResolver: Resolver = async (host) =>
  (await dns.lookup(host, { all: true })).map((a) => a.address);

export async function startEgressProxy(opts: EgressProxyOptions): Promise<EgressProxy> {
  const matcher: Matcher = compilePolicy(
    opts.policy,
    opts.enforcement ? { enforcement: opts.enforcement } : {},
  );
  const audit = opts.audit ?? nullAuditSink;
  const logger = opts.logger ?? silentLogger;
  const resolver = opts.resolver ?? defaultResolver;
  const routes = new Map(Object.entries(opts.localRoutes ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const idleMs = opts.idleTimeoutMs ?? 120_000;
  const connectMs = opts.connectTimeoutMs ?? 10_000;
  const ca = createJobCa(opts.jobName);
  if (opts.caCertPath) writeFileSync(opts.caCertPath, ca.certPem, { mode: 0o644 });
  const contexts = new Map<string, SecureContext>();
  const contextFor = (host: string) => {
    let c = contexts.get(host);
    if (!c) {
      const leaf = ca.leaf(host);
      c = createSecureContext({ cert: leaf.certPem, key: leaf.keyPem });
      contexts.set(host, c);
    }
    return c;
  };
  const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 64 });
  const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 64 });
  const sockets = new Set<Duplex>();
  const track = <T extends Duplex>(s: T): T => {
    if (sockets.has(s)) return s; // keep-alive sockets come back once per request
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    return s;
  };
  const kept: EgressEvent[] = [];
  const record = (e: EgressEvent) => {
    if (kept.length < MAX_KEPT_EVENTS) kept.push(e);
    audit.emit(AuditStream.Egress, toAuditFields(e));
    if (e.decision !== 'allow')
      logger.warn(
        `egress ${e.decision}: ${e.method ?? 'CONNECT'} ${e.host}:${e.port}${e.path ?? ''} (${e.reason})`,
      );
  };
  const outcome = (d: Decision) =>
    (d.decision === 'deny' ? 'deny' : d.wouldDeny ? 'would_deny' : 'allow') as EgressEvent['decision'];
  const base = (d: Decision) => ({
    decision: outcome(d),
    reason: d.reason,
    ...(d.policy ? { policy: d.policy } : {}),
    ...(d.rule ? { rule: d.rule } : {}),
  });

  /** Resolves and applies the SSRF guard; IP literals are checked as they are. */
  async function dialAddress(host: string, d: Decision): Promise<{ address: string } | { reason: string }> {
    let addrs: string[];
    try {
      addrs = isIP(host) ? [host] : await resolver(host);
    } catch (err) {
      return { reason: `cannot resolve ${host}: ${(err as Error).message}` };
    }
    return pickAddress(addrs, d.allowedIps);
  }

  function deny(info: DenyInfo, d: Decision | undefined, respond: () => void, started: number) {
    respond();
    record({
      layer: info.layer,
      host: info.host,
      port: info.port,
      ...(info.method && info.method !== 'CONNECT' ? { method: info.method, path: info.path ?? '/' } : {}),
      ...(d ? base(d) : {}),
      decision: 'deny',
      reason: info.reason,
      bytes_up: 0,
      bytes_down: 0,
      duration_ms: Date.now() - started,
    });
  }

  // ---- raw tunnels (L4 CONNECT, local routes) ----
  function pipeTunnel(
    client: Duplex,
    upstream: Socket,
    head: Buffer,
    done: (up: number, down: number) => void,
  ) {
    // Byte counts come from the upstream socket's own counters at the end: no
    // per-chunk listeners on the hot path.
    if (head.length) upstream.write(head);
    client.pipe(upstream);
    upstream.pipe(client);
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      client.destroy();
      upstream.destroy();
      done(upstream.bytesWritten, upstream.bytesRead);
    };
    client.on('error', finish).on('close', finish);
    upstream.on('error', finish).on('close', finish);
    upstream.setTimeout(idleMs, finish);
  }

  function connectUpstream(target: { host: string; port: number } | { socketPath: string }): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const s = track(netConnect(target as never));
      const timer = setTimeout(() => s.destroy(new Error('connect timeout')), connectMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.setNoDelay(true);
        resolve(s);
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  async function onConnect(req: IncomingMessage, client: Duplex, head: Buffer) {
    const started = Date.now();
    track(client);
    client.on('error', () => undefined);
    (client as Socket).setNoDelay?.(true);
    const auth = parseAuthority(req.url ?? '');
    if (!auth || auth.port === undefined) {
      deny(
        { layer: 'l4', host: req.url ?? '', port: 0, reason: 'CONNECT target must be host:port' },
        undefined,
        () =>
          denySocket(
            client,
            { layer: 'l4', host: req.url ?? '', port: 0, reason: 'CONNECT target must be host:port' },
            '400 Bad Request',
          ),
        started,
      );
      return;
    }
    const { host, port } = { host: auth.host, port: auth.port };
    const route = routes.get(host.toLowerCase().replace(/\.$/, ''));
    if (route) {
      try {
        const upstream = await connectUpstream(route);
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        pipeTunnel(client, upstream, head, (up, down) =>
          record({
            layer: 'l4',
            host,
            port,
            decision: 'allow',
            policy: 'local',
            rule: `localRoutes.${host}`,
            reason: 'job service on the host',
            internal: true,
            bytes_up: up,
            bytes_down: down,
            duration_ms: Date.now() - started,
          }),
        );
      } catch (err) {
        client.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n');
        logger.warn(`local route ${host} unreachable: ${(err as Error).message}`);
      }
      return;
    }
    const d = matcher.match({ host, port });
    if (d.decision === 'deny') {
      const info: DenyInfo = { layer: 'l4', host, port, reason: d.reason };
      deny(info, d, () => denySocket(client, info), started);
      return;
    }
    const name = classifyHost(host);
    const normHost = name.kind === 'invalid' ? host : name.host;
    if (d.inspect) {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      inspectTunnel(client, head, { host: normHost, port, tls: false, decision: d }, started);
      return;
    }
    const addr = await dialAddress(normHost, d);
    if ('reason' in addr) {
      const info: DenyInfo = { layer: 'ssrf', host, port, reason: addr.reason };
      deny(info, d, () => denySocket(client, info), started);
      return;
    }
    let upstream: Socket;
    try {
      upstream = await connectUpstream({ host: addr.address, port });
    } catch (err) {
      client.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n');
      record({
        layer: 'l4',
        host,
        port,
        ...base(d),
        reason: `upstream: ${(err as Error).message}`,
        bytes_up: 0,
        bytes_down: 0,
        duration_ms: Date.now() - started,
      });
      return;
    }
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    pipeTunnel(client, upstream, head, (up, down) =>
      record({
        layer: 'l4',
        host,
        port,
        ...base(d),
        bytes_up: up,
        bytes_down: down,
        duration_ms: Date.now() - started,
      }),
    );
  }

  // ---- inspected tunnels: TLS terminated with the job CA, requests decided one by one ----
  const tunnels = new WeakMap<object, TunnelCtx>();
  function inspectTunnel(client: Duplex, head: Buffer, ctx: TunnelCtx, started: number) {
    const begin = (first: Buffer) => {
      client.pause();
      client.unshift(first);
      if (first[0] === 0x16) {
        const tlsSock = track(
          new TLSSocket(client as Socket, {
            isServer: true,
            secureContext: contextFor(ctx.host),
            ALPNProtocols: ['http/1.1'],
            SNICallback: (sni, cb) => {
              const n = classifyHost(sni);
              if (n.kind !== 'name' || n.host !== ctx.host) {
                const reason = `TLS SNI "${sni}" does not match the CONNECT target ${ctx.host}`;
                record({
                  layer: 'l7',
                  host: ctx.host,
                  port: ctx.port,
                  decision: 'deny',
                  reason,
                  bytes_up: 0,
                  bytes_down: 0,
                  duration_ms: Date.now() - started,
                });
                cb(new Error(reason));
                return;
              }
              cb(null, contextFor(ctx.host));
            },
          }),
        );
        tlsSock.on('error', () => tlsSock.destroy());
        tunnels.set(tlsSock, { ...ctx, tls: true });
        inner.emit('connection', tlsSock);
      } else {
        tunnels.set(client, ctx);
        inner.emit('connection', client);
      }
    };
    if (head.length) begin(head);
    else client.once('data', begin);
  }

  function hostHeaderProblem(req: IncomingMessage, ctx: TunnelCtx): string | undefined {
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

  // ---- forwarding one HTTP request (absolute-URI, or inside an inspected tunnel) ----
  interface Upstream {
    host: string;
    port: number;
    tls: boolean;
    pathAndQuery: string;
    route?: LocalRoute;
  }

  async function forward(
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
    let target: { host: string; port: number } | { socketPath: string };
    if (up.route) target = up.route;
    else {
      const addr = await dialAddress(up.host, d!);
      if ('reason' in addr) {
        const info: DenyInfo = {
          layer: 'ssrf',
          host: up.host,
          port: up.port,
          method: event.method,
          path,
          reason: addr.reason,
        };
        deny(info, d, () => denyResponse(res, info), started);
        req.resume();
        return;
      }
      target = { host: addr.address, port: up.port };
    }
    let bytesUp = 0;
    let bytesDown = 0;
    let status: number | undefined;
    const headers = endToEnd(req.headers);
    headers.host = req.headers.host ?? (up.port === (up.tls ? 443 : 80) ? up.host : `${up.host}:${up.port}`);
    const common = { method: req.method, path: up.pathAndQuery, headers, timeout: idleMs };
    const upReq = up.tls
      ? httpsRequest({
          ...common,
          ...(target as { host: string; port: number }),
          agent: httpsAgent,
          ...(isIP(up.host) ? {} : { servername: up.host }),
          ...(opts.upstreamCa ? { ca: opts.upstreamCa } : {}),
          checkServerIdentity: (_h, cert) => checkServerIdentity(up.host, cert),
        })
      : httpRequest({ ...common, ...target, agent: 'socketPath' in target ? false : httpAgent });
    let done = false;
    const finish = (err?: string) => {
      if (done) return;
      done = true;
      record({
        ...event,
        ...(status ? { status } : {}),
        ...(err ? { reason: `${event.reason}; ${err}` } : {}),
        bytes_up: bytesUp,
        bytes_down: bytesDown,
        duration_ms: Date.now() - started,
      });
    };
    upReq.on('socket', (s) => {
      track(s);
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

  // ---- websocket (and any) upgrades, once allowed ----
  function forwardUpgrade(
    req: IncomingMessage,
    client: Duplex,
    head: Buffer,
    up: Upstream,
    d: Decision | undefined,
    started: number,
  ) {
    void (async () => {
      let target: { host: string; port: number } | { socketPath: string };
      if (up.route) target = up.route;
      else {
        const addr = await dialAddress(up.host, d!);
        if ('reason' in addr) {
          const info: DenyInfo = {
            layer: 'ssrf',
            host: up.host,
            port: up.port,
            method: req.method ?? 'GET',
            path: pathOnly(up.pathAndQuery),
            reason: addr.reason,
          };
          deny(info, d, () => denySocket(client, info), started);
          return;
        }
        target = { host: addr.address, port: up.port };
      }
      const headers = endToEnd(req.headers, true);
      const options = { method: req.method, path: up.pathAndQuery, headers, agent: false as const };
      const upReq = up.tls
        ? httpsRequest({
            ...options,
            ...(target as { host: string; port: number }),
            ...(isIP(up.host) ? {} : { servername: up.host }),
            ...(opts.upstreamCa ? { ca: opts.upstreamCa } : {}),
            checkServerIdentity: (_h, cert) => checkServerIdentity(up.host, cert),
          })
        : httpRequest({ ...options, ...target });
      upReq.on('upgrade', (upRes, upSocket, upHead) => {
        track(upSocket);
        const lines = [`HTTP/1.1 ${upRes.statusCode} ${upRes.statusMessage}`];
        for (let i = 0; i < upRes.rawHeaders.length; i += 2)
          lines.push(`${upRes.rawHeaders[i]}: ${upRes.rawHeaders[i + 1]}`);
        client.write(`${lines.join('\r\n')}\r\n\r\n`);
        if (upHead.length) client.write(upHead);
        pipeTunnel(client, upSocket, head, (bu, bd) =>
          record({
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
  function decide(
    req: IncomingMessage,
    respond: (info: DenyInfo) => void,
    started: number,
  ): { up: Upstream; d: Decision | undefined } | undefined {
    const ctx = tunnels.get(req.socket);
    const method = req.method ?? 'GET';
    let up: Upstream;
    if (ctx) {
      const problem = hostHeaderProblem(req, ctx);
      const pq = /^[a-z]+:\/\//i.test(req.url ?? '')
        ? parseAbsolute(req.url!)!.pathAndQuery
        : (req.url ?? '/');
      if (problem) {
        const info: DenyInfo = {
          layer: 'l7',
          host: ctx.host,
          port: ctx.port,
          method,
          path: pathOnly(pq),
          reason: problem,
        };
        deny(info, undefined, () => respond(info), started);
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
        deny(info, undefined, () => respond(info), started);
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
          deny(info, undefined, () => respond(info), started);
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
      const route = routes.get(up.host);
      if (route) return { up: { ...up, route }, d: undefined };
    }
    const { path, query } = splitQuery(up.pathAndQuery);
    const d = matcher.match({
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
      deny(info, d, () => respond(info), started);
      return undefined;
    }
    return { up, d };
  }

  function onRequest(req: IncomingMessage, res: ServerResponse) {
    const started = Date.now();
    const r = decide(req, (info) => denyResponse(res, info), started);
    if (!r) {
      req.resume();
      return;
    }
    void forward(req, res, r.up, r.d, started);
  }

  function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
    const started = Date.now();
    track(socket);
    socket.on('error', () => undefined);
    const r = decide(req, (info) => denySocket(socket, info), started);
    if (r) forwardUpgrade(req, socket, head, r.up, r.d, started);
  }

  const serverOptions = {
    maxHeaderSize: opts.maxHeaderSize ?? 32 * 1024,
    noDelay: true,
    keepAliveTimeout: idleMs,
    headersTimeout: 30_000,
    requestTimeout: 0,
  };
  const inner = createServer(serverOptions, onRequest);
  inner.on('upgrade', onUpgrade);
  inner.on('clientError', (_e, s) => s.destroy());

  const servers: Server[] = [];
  const makeServer = () => {
    const s = createServer(serverOptions, onRequest);
    s.maxConnections = opts.maxConnections ?? 512;
    s.on('connect', (req, socket, head) => void onConnect(req, socket, head));
    s.on('upgrade', onUpgrade);
    s.on('connection', (sock: Socket) => track(sock));
    s.on('clientError', (err, sock) => {
      if (sock.writable)
        sock.end(
          `HTTP/1.1 ${(err as { code?: string }).code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`,
        );
      else sock.destroy();
    });
    servers.push(s);
    return s;
  };
  const listen = (s: Server, arg: string | number) =>
    new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      if (typeof arg === 'string') s.listen(arg, () => resolve());
      else s.listen(arg, '127.0.0.1', () => resolve());
    });

  let port: number | undefined;
  if (opts.socketPath) await listen(makeServer(), opts.socketPath);
  if (opts.port !== undefined) {
    const s = makeServer();
    await listen(s, opts.port);
    port = (s.address() as { port: number }).port;
  }
  if (!opts.socketPath && opts.port === undefined)
    throw new Error('startEgressProxy: give socketPath and/or port');

  let closed: Promise<void> | undefined;
  return {
    ...(opts.socketPath ? { socketPath: opts.socketPath } : {}),
    ...(port !== undefined ? { port } : {}),
    caCertPem: ca.certPem,
    ...(opts.caCertPath ? { caCertPath: opts.caCertPath } : {}),
    summary: () => summarizeEgress(kept),
    events: () => kept,
    close() {
      closed ??= (async () => {
        const waits = servers.map((s) => new Promise<void>((r) => s.close(() => r())));
        for (const s of servers) s.closeAllConnections();
        inner.closeAllConnections();
        for (const s of sockets) s.destroy();
        httpAgent.destroy();
        httpsAgent.destroy();
        await Promise.all(waits);
      })();
      return closed;
    },
  };
}
