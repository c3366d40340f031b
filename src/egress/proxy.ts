// The host-side egress proxy. The sandbox has no network; its only way out is
// this proxy's Unix socket. Absolute-URI HTTP and CONNECT are decided by the
// compiled policy; `protocol: rest` tunnels are terminated with the job CA and
// every request inside is decided again. Denials never dial anything.
import { promises as dns } from 'node:dns';
import { writeFileSync } from 'node:fs';
import { Agent as HttpAgent, createServer, type Server } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createSecureContext, type SecureContext } from 'node:tls';
import { AuditStream, nullAuditSink, type AuditSink } from '../audit/events.js';
import { silentLogger, type Logger } from '../log.js';
import { compilePolicy, type Decision, type Enforcement, type Matcher } from '../policy/matcher.js';
import type { Policy } from '../policy/schema.js';
import { createJobCa } from './ca.js';
import type { LocalRoute, ProxyContext } from './context.js';
import { toAuditFields, type EgressEvent } from './events.js';
import { onRequest, onUpgrade } from './requests.js';
import { pickAddress } from './ssrf.js';
import { summarizeEgress, type EgressSummary } from './summary.js';
import { onConnect } from './tunnel.js';

export type { LocalRoute } from './context.js';
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
  async function dialAddress(host: string, d: Decision): Promise<{ address: string } | { reason: string }> {
    let addrs: string[];
    try {
      addrs = isIP(host) ? [host] : await resolver(host);
    } catch (err) {
      return { reason: `cannot resolve ${host}: ${(err as Error).message}` };
    }
    return pickAddress(addrs, d.allowedIps);
  }

  const serverOptions = {
    maxHeaderSize: opts.maxHeaderSize ?? 32 * 1024,
    noDelay: true,
    keepAliveTimeout: idleMs,
    headersTimeout: 30_000,
    requestTimeout: 0,
  };
  const px: ProxyContext = {
    matcher,
    routes,
    idleMs,
    connectMs,
    logger,
    upstreamCa: opts.upstreamCa,
    httpAgent,
    httpsAgent,
    track,
    record,
    dialAddress,
    contextFor,
    tunnels: new WeakMap(),
    inner: createServer(serverOptions, (req, res) => onRequest(px, req, res)),
  };
  const inner = px.inner;
  inner.on('upgrade', (req, socket, head) => onUpgrade(px, req, socket, head));
  inner.on('clientError', (_e, s) => s.destroy());

  const servers: Server[] = [];
  const makeServer = () => {
    const s = createServer(serverOptions, (req, res) => onRequest(px, req, res));
    s.maxConnections = opts.maxConnections ?? 512;
    s.on('connect', (req, socket, head) => void onConnect(px, req, socket, head));
    s.on('upgrade', (req, socket, head) => onUpgrade(px, req, socket, head));
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
