// Shared set-up for the sandbox integration tests: a real engine, a stand-in
// for the host egress proxy on a Unix socket, a workspace owned by a chosen uid.
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { MemoryAuditSink } from '../../src/audit/events.js';
import { silentLogger } from '../../src/log.js';
import { DockerodeEngine } from '../../src/sandbox/docker.js';
import type { SandboxRuntime } from '../../src/sandbox/gvisor.js';
import { runtimeDir } from '../../src/sandbox/host-side.js';
import { Sandbox, type ExecResult } from '../../src/sandbox/lifecycle.js';
import { seccompArchOf } from '../../src/sandbox/seccomp.js';
import { DEFAULT_RESOURCES, EGRESS_SOCKET_NAME, type SandboxSpecInput } from '../../src/sandbox/spec.js';

export const TEST_IMAGE = process.env.NEMOCLAW_TEST_IMAGE ?? 'nemoclaw/sandbox-test:dev';
export const engine = new DockerodeEngine();

/** Answers every request and CONNECT with 403, and counts them: "the host proxy decides". */
export async function startStandInProxy(
  dir: string,
): Promise<{ server: Server; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.writeHead(403, { 'content-type': 'text/plain' }).end('denied by stand-in proxy\n');
  });
  server.on('connect', (req, socket) => {
    seen.push(`CONNECT ${req.url}`);
    socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(join(dir, EGRESS_SOCKET_NAME), resolve));
  return {
    server,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface RunOutput extends ExecResult {
  out: string;
  err: string;
}

export interface TestSandbox {
  sandbox: Sandbox;
  audit: MemoryAuditSink;
  workspace: string;
  socketDir: string;
  jobId: string;
  run(cmd: string[] | string, opts?: { timeoutMs?: number; signal?: AbortSignal }): Promise<RunOutput>;
  dispose(): Promise<void>;
}

export interface TestSandboxOptions {
  workspaceUid?: number;
  readOnly?: boolean;
  resources?: Partial<typeof DEFAULT_RESOURCES>;
  extraEnv?: Record<string, string>;
  /** Start a stand-in proxy on the socket (default) or leave the socket dir empty. */
  proxy?: boolean;
  socketDir?: string;
  caDir?: string;
  image?: string;
  runtime?: SandboxRuntime;
}

export async function startTestSandbox(
  opts: TestSandboxOptions = {},
): Promise<TestSandbox & { proxy?: Awaited<ReturnType<typeof startStandInProxy>> }> {
  const root = await mkdtemp(join(tmpdir(), 'nemoclaw-sbx-'));
  const workspace = join(root, 'ws');
  const socketDir = opts.socketDir ?? join(root, 'sock');
  await import('node:fs/promises').then((fs) =>
    Promise.all([fs.mkdir(workspace), fs.mkdir(socketDir, { recursive: true })]),
  );
  const uid = opts.workspaceUid ?? 1000;
  await chown(workspace, uid, uid);
  await chmod(workspace, 0o755);
  const proxy = opts.proxy === false || opts.socketDir ? undefined : await startStandInProxy(socketDir);
  const audit = new MemoryAuditSink();
  const jobId = `test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const input: SandboxSpecInput = {
    image: opts.image ?? TEST_IMAGE,
    job: { jobId, runId: 'itg', blueprint: 'test', createdAt: new Date() },
    resources: {
      ...DEFAULT_RESOURCES,
      memoryMb: 256,
      pids: 128,
      tmpMb: 16,
      homeMb: 16,
      cpus: 1,
      ...opts.resources,
    },
    workspace: { hostPath: workspace, uid, gid: uid, readOnly: opts.readOnly ?? false },
    socketDir,
    runtimeDir: runtimeDir(),
    arch: seccompArchOf(process.arch),
    ...(opts.caDir ? { caDir: opts.caDir } : {}),
    ...(opts.extraEnv ? { extraEnv: opts.extraEnv } : {}),
    ...(opts.runtime ? { runtime: opts.runtime } : {}),
  };
  const sandbox = await Sandbox.start({ engine, audit, logger: silentLogger }, input);
  const run = async (cmd: string[] | string, o: { timeoutMs?: number; signal?: AbortSignal } = {}) => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (c: Buffer) => (out += c.toString()));
    stderr.on('data', (c: Buffer) => (err += c.toString()));
    const argv = typeof cmd === 'string' ? ['/bin/bash', '-c', cmd] : cmd;
    const result = await sandbox.exec(argv, {
      stdout,
      stderr,
      timeoutMs: o.timeoutMs ?? 20_000,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    return { ...result, out, err };
  };
  const dispose = async () => {
    await sandbox.close();
    await proxy?.close();
    await rm(root, { recursive: true, force: true });
  };
  return { sandbox, audit, workspace, socketDir, jobId, run, dispose, ...(proxy ? { proxy } : {}) };
}
