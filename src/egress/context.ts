// What the proxy's handlers share: the compiled policy, routes, limits,
// upstream agents, socket tracking and the audit recorder. Built once per
// proxy in proxy.ts; the handlers (tunnel.ts, requests.ts, forward.ts) are
// plain functions of it.
import type { Agent as HttpAgent, Server } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type { Duplex } from 'node:stream';
import type { SecureContext } from 'node:tls';
import type { Logger } from '../log.js';
import type { Decision, Matcher } from '../policy/matcher.js';
import type { DenyInfo } from './deny.js';
import type { EgressEvent, EgressOutcome } from './events.js';

export type LocalRoute = { host: string; port: number } | { socketPath: string };

/** The CONNECT target of an inspected tunnel, kept per client socket. */
export interface TunnelCtx {
  host: string;
  port: number;
  tls: boolean;
  decision: Decision;
}

export interface ProxyContext {
  matcher: Matcher;
  routes: Map<string, LocalRoute>;
  idleMs: number;
  connectMs: number;
  logger: Logger;
  upstreamCa: string | string[] | undefined;
  httpAgent: HttpAgent;
  httpsAgent: HttpsAgent;
  /** Every socket the proxy holds, so close() can end them all. */
  track<T extends Duplex>(s: T): T;
  record(e: EgressEvent): void;
  /** Resolves and applies the SSRF guard; IP literals are checked as they are. */
  dialAddress(host: string, d: Decision): Promise<{ address: string } | { reason: string }>;
  /** TLS context with the job CA's leaf for a host. */
  contextFor(host: string): SecureContext;
  tunnels: WeakMap<object, TunnelCtx>;
  /** The HTTP server that parses requests inside inspected tunnels. */
  inner: Server;
}

export const outcome = (d: Decision): EgressOutcome =>
  d.decision === 'deny' ? 'deny' : d.wouldDeny ? 'would_deny' : 'allow';

/** The decision's fields of an egress event. */
export const base = (d: Decision) => ({
  decision: outcome(d),
  reason: d.reason,
  ...(d.policy ? { policy: d.policy } : {}),
  ...(d.rule ? { rule: d.rule } : {}),
});

/** Answers a denial and records it; nothing was dialled. */
export function deny(
  px: ProxyContext,
  info: DenyInfo,
  d: Decision | undefined,
  respond: () => void,
  started: number,
) {
  respond();
  px.record({
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
