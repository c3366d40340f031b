// What the sandbox needs from the host-side egress proxy: a Unix socket in a
// directory it can mount, and the CA the proxy signs intercepted TLS with.
// `policyEgress` starts the real proxy (src/egress) on that socket.
import { join } from 'node:path';
import { startEgressProxy, type EgressProxy, type EgressProxyOptions } from '../egress/proxy.js';
import type { Policy } from '../policy/schema.js';
import { EGRESS_SOCKET_NAME } from './spec.js';

export interface EgressHandle {
  /** PEM of the job CA when the proxy terminates TLS; the sandbox trusts it. */
  caCertPem?: string;
  close(): Promise<void>;
}

/** Starts a proxy listening on `<socketDir>/egress.sock`. */
export type StartEgress = (socketDir: string) => Promise<EgressHandle>;

/** A policy that allows nothing: every request is denied (and audited). */
export const DENY_ALL_POLICY: Policy = { version: 1, network_policies: {} };

/** The real proxy on the sandbox's socket; `onStarted` hands the running proxy to the caller (summary, events). */
export function policyEgress(
  opts: Omit<EgressProxyOptions, 'socketPath'>,
  onStarted?: (proxy: EgressProxy) => void,
): StartEgress {
  return async (socketDir) => {
    const proxy = await startEgressProxy({ ...opts, socketPath: join(socketDir, EGRESS_SOCKET_NAME) });
    onStarted?.(proxy);
    return { caCertPem: proxy.caCertPem, close: () => proxy.close() };
  };
}
