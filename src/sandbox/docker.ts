// The few engine operations the sandbox needs, behind an interface so the
// lifecycle reads as a sequence of steps. dockerode talks to the local engine
// with unversioned paths, so the daemon's own API version is used (20.10 = 1.41).
import Docker from 'dockerode';
import type { ContainerCreateOptions } from 'dockerode';
import type { Writable } from 'node:stream';

export interface ContainerSummary {
  id: string;
  name: string;
  labels: Record<string, string>;
  state: string;
}

export interface ContainerState {
  running: boolean;
  oomKilled: boolean;
  exitCode: number;
}

export interface ExecRequest {
  cmd: string[];
  /** uid:gid; the container's own user (the forwarder's) is never the right one for commands. */
  user: string;
  stdout: Writable;
  stderr: Writable;
  env?: string[];
  workdir?: string;
}

export interface SandboxEngine {
  create(spec: ContainerCreateOptions): Promise<string>;
  start(id: string): Promise<void>;
  /** Resolves when the main process prints a line matching `ready`; rejects with its output if it exits first. */
  waitForOutput(id: string, ready: RegExp, timeoutMs: number): Promise<void>;
  /** Runs a command and resolves with its exit code once its output has ended (null if unknown). */
  exec(id: string, req: ExecRequest): Promise<number | null>;
  inspect(id: string): Promise<ContainerState>;
  /** Whether the kernel OOM-killed a process in the container since `sinceMs` (epoch ms). */
  oomSince(id: string, sinceMs: number): Promise<boolean>;
  stop(id: string, graceSeconds: number): Promise<void>;
  kill(id: string): Promise<void>;
  remove(id: string): Promise<void>;
  list(labels: Record<string, string>): Promise<ContainerSummary[]>;
  /** The OCI runtimes the engine knows, with the arguments each is registered with. */
  runtimes(): Promise<RegisteredRuntimes>;
}

export type RegisteredRuntimes = Record<string, { args: string[] }>;

// 304 (already stopped) and 404 (already gone) are the outcomes we wanted.
function ignoreGone(err: unknown): void {
  const code = (err as { statusCode?: number }).statusCode;
  if (code === 304 || code === 404 || code === 409) return;
  throw err;
}

export class DockerodeEngine implements SandboxEngine {
  constructor(readonly docker: Docker = new Docker()) {}

  async create(spec: ContainerCreateOptions): Promise<string> {
    return (await this.docker.createContainer(spec)).id;
  }

  async runtimes(): Promise<RegisteredRuntimes> {
    const info = (await this.docker.info()) as {
      Runtimes?: Record<string, { runtimeArgs?: string[] }>;
    };
    return Object.fromEntries(
      Object.entries(info.Runtimes ?? {}).map(([name, r]) => [name, { args: r.runtimeArgs ?? [] }]),
    );
  }

  async start(id: string): Promise<void> {
    await this.docker.getContainer(id).start();
  }

  async waitForOutput(id: string, ready: RegExp, timeoutMs: number): Promise<void> {
    const stream = (await this.docker
      .getContainer(id)
      .logs({ follow: true, stdout: true, stderr: true })) as NodeJS.ReadableStream & { destroy(): void };
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      const done = (err?: Error) => {
        clearTimeout(timer);
        stream.removeAllListeners('data');
        stream.destroy();
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(
        () => done(new Error(`sandbox main process not ready after ${timeoutMs} ms: ${clean(seen)}`)),
        timeoutMs,
      );
      stream.on('data', (chunk: Buffer) => {
        seen += chunk.toString('utf8');
        if (ready.test(seen)) done();
      });
      stream.on('end', () =>
        done(new Error(`sandbox main process exited before it was ready: ${clean(seen)}`)),
      );
      stream.on('error', (err: Error) => done(err));
    });
  }

  async exec(id: string, req: ExecRequest): Promise<number | null> {
    const exec = await this.docker.getContainer(id).exec({
      Cmd: req.cmd,
      AttachStdout: true,
      AttachStderr: true,
      AttachStdin: false,
      Tty: false,
      User: req.user,
      ...(req.env ? { Env: req.env } : {}),
      ...(req.workdir ? { WorkingDir: req.workdir } : {}),
    });
    const stream = await exec.start({ hijack: true, stdin: false });
    await new Promise<void>((resolve) => {
      this.docker.modem.demuxStream(stream, req.stdout, req.stderr);
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', () => resolve());
    });
    const info = await exec.inspect();
    return info.Running ? null : info.ExitCode;
  }

  async inspect(id: string): Promise<ContainerState> {
    const info = await this.docker.getContainer(id).inspect();
    return { running: info.State.Running, oomKilled: info.State.OOMKilled, exitCode: info.State.ExitCode };
  }

  // State.OOMKilled only covers the main process; an exec'd process killed by the OOM
  // killer shows up as an `oom` event, so ask the event log for the window of the command.
  async oomSince(id: string, sinceMs: number): Promise<boolean> {
    const stream = await this.docker.getEvents({
      // Seconds with a fraction; `until` in the past makes the call return at once.
      since: Math.floor(sinceMs / 1000) - 1,
      until: Number((Date.now() / 1000).toFixed(3)),
      filters: { container: [id], event: ['oom'] },
    });
    let text = '';
    for await (const chunk of stream) text += chunk.toString();
    return text.includes('"oom"');
  }

  async stop(id: string, graceSeconds: number): Promise<void> {
    await this.docker.getContainer(id).stop({ t: graceSeconds }).catch(ignoreGone);
  }

  async kill(id: string): Promise<void> {
    await this.docker.getContainer(id).kill().catch(ignoreGone);
  }

  async remove(id: string): Promise<void> {
    await this.docker.getContainer(id).remove({ force: true, v: true }).catch(ignoreGone);
  }

  async list(labels: Record<string, string>): Promise<ContainerSummary[]> {
    const label = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
    const found = await this.docker.listContainers({ all: true, filters: { label } });
    return found.map((c) => ({
      id: c.Id,
      name: (c.Names[0] ?? '').replace(/^\//, ''),
      labels: c.Labels,
      state: c.State,
    }));
  }
}

// Log frames carry an 8-byte binary header; keep only printable text for messages.
function clean(text: string): string {
  const out = text.replace(/[^\x20-\x7e\n]/g, '').trim();
  return out.length > 0 ? out.slice(-2000) : '(no output)';
}
