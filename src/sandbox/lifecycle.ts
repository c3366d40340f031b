// One sandbox's life: create → start (forwarder as main process) → exec … →
// stop (graceful, then kill) → remove. Every phase is timed on the audit
// stream 'lifecycle'; a timeout or an abort kills the container and the
// record still ends with its stop and remove phases.
import { chmod, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { AuditStream, OcsfClass, type AuditSink } from '../audit/events.js';
import { SandboxPaths } from '../constants.js';
import { UserError } from '../errors.js';
import type { Logger } from '../log.js';
import type { SandboxEngine } from './docker.js';
import { checkExtraEnv } from './env.js';
import { GVISOR_DAEMON_JSON, runtimeProblem } from './gvisor.js';
import { buildContainerSpec, EGRESS_SOCKET_NAME, execUser, type SandboxSpecInput } from './spec.js';

export type Phase = 'create' | 'start' | 'exec' | 'stop' | 'remove';

export interface SandboxDeps {
  engine: SandboxEngine;
  audit: AuditSink;
  logger: Logger;
  now?: () => number;
}

export interface ExecOptions {
  stdout: Writable;
  stderr: Writable;
  /** Ends the command (and with it the sandbox) after this long. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Extra variables for this command only; same allow-list as the sandbox's (src/sandbox/env.ts). */
  env?: Record<string, string>;
  workdir?: string;
}

export interface ExecResult {
  /** The command's exit code; null when it was cut short (timeout, abort) before reporting one. */
  exitCode: number | null;
  timedOut: boolean;
  aborted: boolean;
  /** The kernel's OOM killer struck inside the sandbox during this command. */
  oomKilled: boolean;
  durationMs: number;
}

const READY = /forwarder ready/;
const STOP_GRACE_SECONDS = 5;

export class Sandbox {
  private ended = false;
  private closing: Promise<void> | undefined;

  private constructor(
    readonly id: string,
    readonly jobId: string,
    /** uid:gid commands run as: the workspace owner. */
    readonly user: string,
    private readonly deps: SandboxDeps,
  ) {}

  /** Creates and starts a sandbox; resolves once its forwarder listens on 127.0.0.1:3128. */
  static async start(deps: SandboxDeps, input: SandboxSpecInput, signal?: AbortSignal): Promise<Sandbox> {
    if (input.runtime === 'runsc') {
      const problem = runtimeProblem(input.runtime, await deps.engine.runtimes());
      if (problem) {
        throw new UserError(`${problem}.`, {
          where: 'input "sandbox-runtime"',
          fix:
            'install gVisor (apt-get install runsc) and run `sudo nemoclaw onboard --register-gvisor` ' +
            `(it merges ${GVISOR_DAEMON_JSON} into /etc/docker/daemon.json and reloads the engine); ` +
            'or use sandbox-runtime: runc.',
        });
      }
    }
    await prepareSocketDir(input.socketDir);
    const spec = buildContainerSpec(input);
    const id = await timed(deps, input.job.jobId, 'create', () => deps.engine.create(spec), {
      image: input.image,
      user: execUser(input),
      workspace_read_only: input.workspace.readOnly,
      runtime: input.runtime ?? 'runc',
    });
    const sandbox = new Sandbox(id, input.job.jobId, execUser(input), deps);
    try {
      signal?.throwIfAborted();
      await timed(deps, input.job.jobId, 'start', async () => {
        await deps.engine.start(id);
        await deps.engine.waitForOutput(id, READY, 15_000);
      });
      signal?.throwIfAborted();
    } catch (err) {
      await sandbox.close();
      throw err;
    }
    return sandbox;
  }

  async exec(cmd: string[], opts: ExecOptions): Promise<ExecResult> {
    if (this.ended) throw new Error(`sandbox ${this.jobId} has ended; start a new one`);
    if (opts.env) checkExtraEnv(opts.env);
    const { engine } = this.deps;
    const now = this.deps.now ?? Date.now;
    const started = now();
    let timedOut = false;
    let aborted = false;
    // Docker cannot kill a single exec: ending the command means ending the sandbox.
    const cut = (why: 'timeout' | 'abort') => {
      if (why === 'timeout') timedOut = true;
      else aborted = true;
      this.ended = true;
      this.deps.logger.warn(
        `sandbox ${this.jobId}: ${why === 'timeout' ? 'command timed out' : 'cancelled'}; killing it`,
      );
      void engine.kill(this.id).catch(() => undefined);
    };
    const timer = opts.timeoutMs ? setTimeout(() => cut('timeout'), opts.timeoutMs) : undefined;
    const onAbort = () => cut('abort');
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let exitCode: number | null = null;
    let error: unknown;
    try {
      if (!aborted) {
        exitCode = await engine.exec(this.id, {
          cmd,
          user: this.user,
          stdout: opts.stdout,
          stderr: opts.stderr,
          ...(opts.env ? { env: Object.entries(opts.env).map(([k, v]) => `${k}=${v}`) } : {}),
          workdir: opts.workdir ?? SandboxPaths.Workspace,
        });
      }
    } catch (err) {
      error = err;
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    }
    if (timedOut || aborted) exitCode = null;
    // 137 = SIGKILL: the OOM killer, or a kill by hand; the engine's events tell which.
    const oomKilled = exitCode === 137 ? await engine.oomSince(this.id, started).catch(() => false) : false;
    const result: ExecResult = { exitCode, timedOut, aborted, oomKilled, durationMs: now() - started };
    this.deps.audit.emit(AuditStream.Lifecycle, {
      ...OcsfClass.ProcessActivity,
      activity: 'phase',
      phase: 'exec',
      job: this.jobId,
      container: this.id,
      status: error ? 'error' : 'ok',
      command: summarize(cmd),
      exit_code: result.exitCode,
      timed_out: timedOut,
      aborted,
      oom_killed: result.oomKilled,
      duration_ms: result.durationMs,
      ...(error ? { error: (error as Error).message } : {}),
    });
    if (error && !timedOut && !aborted) throw error;
    return result;
  }

  /** Stops (SIGTERM, then SIGKILL after a grace period) and removes the container. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.ended = true;
      const { engine } = this.deps;
      await timed(this.deps, this.jobId, 'stop', () => engine.stop(this.id, STOP_GRACE_SECONDS), {}, true);
      await timed(this.deps, this.jobId, 'remove', () => engine.remove(this.id), {}, true);
    })();
    return this.closing;
  }
}

async function timed<T>(
  deps: SandboxDeps,
  job: string,
  phase: Phase,
  fn: () => Promise<T>,
  fields: Record<string, unknown> = {},
  swallow = false,
): Promise<T> {
  const now = deps.now ?? Date.now;
  const started = now();
  try {
    const value = await fn();
    deps.audit.emit(AuditStream.Lifecycle, {
      ...OcsfClass.ProcessActivity,
      activity: 'phase',
      phase,
      job,
      status: 'ok',
      duration_ms: now() - started,
      ...(typeof value === 'string' ? { container: value } : {}),
      ...fields,
    });
    return value;
  } catch (err) {
    deps.audit.emit(AuditStream.Lifecycle, {
      ...OcsfClass.ProcessActivity,
      activity: 'phase',
      phase,
      job,
      status: 'error',
      error: (err as Error).message,
      duration_ms: now() - started,
      ...fields,
    });
    if (swallow) {
      deps.logger.warn(`sandbox ${job}: ${phase} failed: ${(err as Error).message}`);
      return undefined as T;
    }
    throw err;
  }
}

// The agent's task text can be long; the audit keeps the program and a bounded prefix.
function summarize(cmd: string[]): string {
  const text = cmd.join(' ');
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

// The sandbox user (uid 1000 or the workspace owner) must reach the socket:
// traverse the directory and connect (which needs write permission on the socket file).
async function prepareSocketDir(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new Error(`egress socket directory ${dir} does not exist`);
  await chmod(dir, 0o755);
  const socket = join(dir, EGRESS_SOCKET_NAME);
  const sock = await stat(socket).catch(() => undefined);
  if (sock?.isSocket()) await chmod(socket, 0o666);
}
