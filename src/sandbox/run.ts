// One command in a fresh sandbox, start to finish: socket dir, egress proxy,
// CA files, sandbox, the command, then teardown in reverse order, always.
// `nemoclaw exec` is this; the job runner uses the same pieces around the agent.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { assetPath } from '../paths.js';
import { writeCaDir, type CaDir } from './ca.js';
import type { StartEgress } from './egress-port.js';
import { Sandbox, type ExecResult, type SandboxDeps } from './lifecycle.js';
import { seccompArchOf } from './seccomp.js';
import type { SandboxJob, SandboxResources, SandboxSpecInput } from './spec.js';

export interface RunInSandboxOptions {
  image: string;
  job: SandboxJob;
  resources: SandboxResources;
  workspace: string;
  readOnlyWorkspace?: boolean;
  tmpExec?: boolean;
  extraEnv?: Record<string, string>;
  startEgress: StartEgress;
  cmd: string[];
  stdout: Writable;
  stderr: Writable;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The runtime assets (forwarder) shipped with the package. */
export const runtimeDir = (): string => assetPath('src', 'sandbox', 'runtime');

export async function runInSandbox(deps: SandboxDeps, opts: RunInSandboxOptions): Promise<ExecResult> {
  const owner = await stat(opts.workspace);
  const socketDir = await mkdtemp(join(tmpdir(), 'nemoclaw-sock-'));
  let ca: CaDir | undefined;
  let egress: Awaited<ReturnType<StartEgress>> | undefined;
  let sandbox: Sandbox | undefined;
  try {
    egress = await opts.startEgress(socketDir);
    if (egress.caCertPem) ca = await writeCaDir(egress.caCertPem);
    const input: SandboxSpecInput = {
      image: opts.image,
      job: opts.job,
      resources: opts.resources,
      workspace: {
        hostPath: opts.workspace,
        uid: owner.uid,
        gid: owner.gid,
        readOnly: opts.readOnlyWorkspace === true,
      },
      socketDir,
      runtimeDir: runtimeDir(),
      arch: seccompArchOf(process.arch),
      ...(ca ? { caDir: ca.dir } : {}),
      ...(opts.tmpExec ? { tmpExec: true } : {}),
      ...(opts.extraEnv ? { extraEnv: opts.extraEnv } : {}),
    };
    sandbox = await Sandbox.start(deps, input, opts.signal);
    return await sandbox.exec(opts.cmd, {
      stdout: opts.stdout,
      stderr: opts.stderr,
      ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } finally {
    await sandbox?.close();
    await egress?.close().catch(() => undefined);
    await ca?.dispose();
    await rm(socketDir, { recursive: true, force: true });
  }
}

/** The exit code a shell would show: the command's own, 124 on timeout, 130 on cancel. */
export function exitCodeOf(result: ExecResult): number {
  if (result.timedOut) return 124;
  if (result.aborted) return 130;
  return result.exitCode ?? 1;
}
