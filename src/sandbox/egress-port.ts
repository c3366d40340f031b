// What the sandbox needs from the host-side egress proxy: a Unix socket in a
// directory it can mount (see host-side.ts), and the CA the proxy signs intercepted TLS with.
// `policyEgress` starts the real proxy (src/egress) on that socket.
import { startEgressProxy, type EgressProxy, type EgressProxyOptions } from '../egress/proxy.js';
import type { Policy } from '../policy/schema.js';

export interface EgressHandle {
  /** PEM of the job CA when the proxy terminates TLS; the sandbox trusts it. */
  caCertPem?: string;
  close(): Promise<void>;
}

/** Starts a proxy listening on this Unix socket (`<socket dir>/egress.sock`). */
export type StartEgress = (socketPath: string) => Promise<EgressHandle>;

/** A policy that allows nothing: every request is denied (and audited). */
export const DENY_ALL_POLICY: Policy = { version: 1, network_policies: {} };

/** The real proxy on the sandbox's socket; `onStarted` hands the running proxy to the caller (summary, events). */
export function policyEgress(
  opts: Omit<EgressProxyOptions, 'socketPath'>,
  onStarted?: (proxy: EgressProxy) => void,
): StartEgress {
  return async (socketPath) => {
    const proxy = await startEgressProxy({ ...opts, socketPath });
    onStarted?.(proxy);
    return { caCertPem: proxy.caCertPem, close: () => proxy.close() };
  };
}
