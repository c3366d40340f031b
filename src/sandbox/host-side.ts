// What the host lends a sandbox, opened before it starts and closed after it
// is gone: a private directory holding the egress proxy's Unix socket (the
// sandbox's only way out), the proxy itself, and the job CA's files when the
// proxy terminates TLS. `nemoclaw exec` and the agent job both go through
// here, so both set up and tear down in the same order.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assetPath } from '../paths.js';
import { writeCaDir, type CaDir } from './ca.js';
import type { EgressHandle } from './egress-port.js';
import { seccompArchOf } from './seccomp.js';
import { EGRESS_SOCKET_NAME, type SandboxSpecInput } from './spec.js';

/** The runtime assets (forwarder) shipped with the package, mounted read-only. */
export const runtimeDir = (): string => assetPath('src', 'sandbox', 'runtime');

export interface HostSide<E extends EgressHandle> {
  socketDir: string;
  egress: E;
  caDir: string | undefined;
  /** Proxy, CA files, socket dir; a proxy that fails to close is reported, never thrown. */
  close(onProxyError?: (err: unknown) => void): Promise<void>;
}

/** Starts the egress proxy on `<new socket dir>/egress.sock` and writes its CA for the sandbox. */
export async function openHostSide<E extends EgressHandle>(
  startEgress: (socketPath: string) => Promise<E>,
): Promise<HostSide<E>> {
  const socketDir = await mkdtemp(join(tmpdir(), 'nemoclaw-sock-'));
  let egress: E | undefined;
  let ca: CaDir | undefined;
  const close = async (onProxyError?: (err: unknown) => void) => {
    await egress?.close().catch((err: unknown) => onProxyError?.(err));
    await ca?.dispose();
    await rm(socketDir, { recursive: true, force: true });
  };
  try {
    egress = await startEgress(join(socketDir, EGRESS_SOCKET_NAME));
    if (egress.caCertPem) ca = await writeCaDir(egress.caCertPem);
  } catch (err) {
    await close();
    throw err;
  }
  return { socketDir, egress, caDir: ca?.dir, close };
}

export interface WorkspaceMount {
  path: string;
  readOnly: boolean;
}

/**
 * The parts of the sandbox spec the host decides: the workspace mount (run as
 * its owner), the socket dir, the CA, the shipped runtime and the seccomp arch.
 */
export async function hostSpecInput(
  host: HostSide<EgressHandle>,
  workspace: WorkspaceMount,
): Promise<Pick<SandboxSpecInput, 'workspace' | 'socketDir' | 'runtimeDir' | 'arch' | 'caDir'>> {
  const owner = await stat(workspace.path);
  return {
    workspace: { hostPath: workspace.path, uid: owner.uid, gid: owner.gid, readOnly: workspace.readOnly },
    socketDir: host.socketDir,
    runtimeDir: runtimeDir(),
    arch: seccompArchOf(process.arch),
    ...(host.caDir ? { caDir: host.caDir } : {}),
  };
}
