// One command in a fresh sandbox, start to finish: the host side (socket dir,
// egress proxy, CA files), the sandbox, the command, then teardown in reverse
// order, always. `nemoclaw exec` is this; the job runner uses the same host
// side around the agent.
import type { Writable } from 'node:stream';
import type { StartEgress } from './egress-port.js';
import type { SandboxRuntime } from './gvisor.js';
import { hostSpecInput, openHostSide } from './host-side.js';
import { Sandbox, type ExecResult, type SandboxDeps } from './lifecycle.js';
import type { SandboxJob, SandboxResources } from './spec.js';

export interface RunInSandboxOptions {
  image: string;
  job: SandboxJob;
  resources: SandboxResources;
  workspace: string;
  readOnlyWorkspace?: boolean;
  tmpExec?: boolean;
  runtime?: SandboxRuntime;
  extraEnv?: Record<string, string>;
  startEgress: StartEgress;
  cmd: string[];
  stdout: Writable;
  stderr: Writable;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export async function runInSandbox(deps: SandboxDeps, opts: RunInSandboxOptions): Promise<ExecResult> {
  const host = await openHostSide(opts.startEgress);
  let sandbox: Sandbox | undefined;
  try {
    sandbox = await Sandbox.start(
      deps,
      {
        image: opts.image,
        job: opts.job,
        resources: opts.resources,
        ...(await hostSpecInput(host, {
          path: opts.workspace,
          readOnly: opts.readOnlyWorkspace === true,
        })),
        ...(opts.tmpExec ? { tmpExec: true } : {}),
        ...(opts.runtime ? { runtime: opts.runtime } : {}),
        ...(opts.extraEnv ? { extraEnv: opts.extraEnv } : {}),
      },
      opts.signal,
    );
    return await sandbox.exec(opts.cmd, {
      stdout: opts.stdout,
      stderr: opts.stderr,
      ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } finally {
    await sandbox?.close();
    await host.close();
  }
}

/** The exit code a shell would show: the command's own, 124 on timeout, 130 on cancel. */
export function exitCodeOf(result: ExecResult): number {
  if (result.timedOut) return 124;
  if (result.aborted) return 130;
  return result.exitCode ?? 1;
}
