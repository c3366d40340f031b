// create → first command in a fully hardened sandbox, against a bare
// `docker run --rm IMAGE true` of the same image measured in the same run.
// Usage: node bench/run.mjs sandbox-start [IMAGE] [ROUNDS]   (from the repo root)
import { spawnSync } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { MemoryAuditSink } from '../src/audit/events.js';
import { silentLogger } from '../src/log.js';
import { DockerodeEngine } from '../src/sandbox/docker.js';
import { Sandbox } from '../src/sandbox/lifecycle.js';
import { seccompArchOf } from '../src/sandbox/seccomp.js';
import { DEFAULT_RESOURCES, EGRESS_SOCKET_NAME } from '../src/sandbox/spec.js';

const image = process.argv[2] ?? 'nemoclaw/sandbox-test:dev';
const rounds = Number(process.argv[3] ?? 7);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const root = await mkdtemp(join(tmpdir(), 'nemoclaw-bench-'));
const workspace = join(root, 'ws');
const socketDir = join(root, 'sock');
await import('node:fs/promises').then((fs) => Promise.all([fs.mkdir(workspace), fs.mkdir(socketDir)]));
await chown(workspace, 1000, 1000);
const proxy = createServer((_q, r) => r.writeHead(403).end());
await new Promise<void>((ok) => proxy.listen(join(socketDir, EGRESS_SOCKET_NAME), ok));

const engine = new DockerodeEngine();
const bare: number[] = [];
const sandboxed: number[] = [];
const phases: Record<string, number[]> = {};
for (let i = 0; i < rounds; i++) {
  let t = performance.now();
  const run = spawnSync('docker', ['run', '--rm', image, 'true']);
  if (run.status !== 0) throw new Error(`docker run failed: ${run.stderr.toString()}`);
  bare.push(performance.now() - t);

  const audit = new MemoryAuditSink();
  t = performance.now();
  const sandbox = await Sandbox.start(
    { engine, audit, logger: silentLogger },
    {
      image,
      job: { jobId: `bench-${process.pid}-${i}`, runId: 'bench', blueprint: 'bench', createdAt: new Date() },
      resources: DEFAULT_RESOURCES,
      workspace: { hostPath: workspace, uid: 1000, gid: 1000, readOnly: false },
      socketDir,
      runtimeDir: resolve('src/sandbox/runtime'),
      arch: seccompArchOf(process.arch),
    },
  );
  const r = await sandbox.exec(['true'], { stdout: new PassThrough(), stderr: new PassThrough() });
  sandboxed.push(performance.now() - t);
  if (r.exitCode !== 0) throw new Error(`first command exited ${r.exitCode}`);
  await sandbox.close();
  for (const e of audit.of('lifecycle')) (phases[String(e.phase)] ??= []).push(Number(e.duration_ms));
}
proxy.close();
await rm(root, { recursive: true, force: true });

const ms = (x: number) => Math.round(x);
console.log(
  JSON.stringify({
    bench: 'sandbox-start',
    image,
    rounds,
    ratio_first_command_vs_docker_run: Number((median(sandboxed) / median(bare)).toFixed(3)),
    target_ratio: 1.2,
    sandbox_create_to_first_command_ms: ms(median(sandboxed)),
    docker_run_true_ms: ms(median(bare)),
    phase_median_ms: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, ms(median(v))])),
  }),
);
