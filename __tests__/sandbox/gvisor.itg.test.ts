// sandbox-runtime: runsc. The same sandbox under gVisor: the agent's system
// calls go to gVisor's kernel, and everything else (non-root, read-only root,
// workspace, the Unix-socket way out through the real egress proxy) holds.
// Then the whole job, OpenClaw included, under gVisor through the bundled CLI.
// Skipped, saying so, where gVisor is not installed (scripts/setup-host.sh
// installs and registers it where the distribution packages it, as Debian does).
import { jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryAuditSink } from '../../src/audit/events.js';
import { startEgressProxy, type EgressProxy } from '../../src/egress/proxy.js';
import { parsePolicyText } from '../../src/policy/load.js';
import { runtimeProblem } from '../../src/sandbox/gvisor.js';
import { EGRESS_SOCKET_NAME } from '../../src/sandbox/spec.js';
import { expectCleanEnd, root, run, workspace } from '../support/cli-job.js';
import { engine, startTestSandbox } from './helpers.js';

jest.setTimeout(120_000);

const problem = runtimeProblem('runsc', await engine.runtimes());
if (problem) console.warn(`gVisor tests skipped: ${problem}`);
const withGvisor = problem ? describe.skip : describe;

withGvisor('sandbox under gVisor (runsc)', () => {
  let upstream: Server;
  let port: number;
  let proxy: EgressProxy;
  let dir: string;
  const egressAudit = new MemoryAuditSink();
  let t: Awaited<ReturnType<typeof startTestSandbox>>;

  beforeAll(async () => {
    upstream = createServer((req, res) => res.end(`hello from allowed ${req.method} ${req.url}\n`));
    await new Promise<void>((ok) => upstream.listen(0, '127.0.0.1', ok));
    port = (upstream.address() as AddressInfo).port;
    dir = await mkdtemp(join(tmpdir(), 'nemoclaw-gvisor-'));
    const socketDir = join(dir, 'sock');
    await mkdir(socketDir);
    proxy = await startEgressProxy({
      policy: parsePolicyText(
        `version: 1\nnetwork_policies:\n  t:\n    endpoints:\n      - { host: allowed.test, port: ${port}, allowed_ips: [127.0.0.1/32] }\n`,
        'gvisor.yaml',
      ),
      socketPath: join(socketDir, EGRESS_SOCKET_NAME),
      audit: egressAudit,
      resolver: async () => ['127.0.0.1'],
    });
    t = await startTestSandbox({ socketDir, runtime: 'runsc' });
  });

  afterAll(async () => {
    await t?.dispose();
    await proxy?.close();
    await new Promise((r) => upstream.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  test("the agent's kernel is gVisor's, not the host's", async () => {
    const r = await t.run('uname -r');
    expect(r.exitCode).toBe(0);
    expect(r.out.trim()).not.toBe(release());
    // dmesg is gVisor's own boot log when it can be read at all; the kernel release is the tell.
    expect(t.audit.of('lifecycle').find((e) => e.phase === 'create')).toMatchObject({ runtime: 'runsc' });
  });

  test('non-root, read-only root, writable workspace', async () => {
    const r = await t.run(
      'id -u; touch /etc/x 2>/dev/null && echo root-writable; echo hi > /sandbox/workspace/w && echo ok',
    );
    expect(r.out.split('\n')).toEqual(['1000', 'ok', '']);
    expect(await readFile(join(t.workspace, 'w'), 'utf8')).toBe('hi\n');
  });

  test('no network but the proxy: allowed host answers, others get 403 from the proxy', async () => {
    const ok = await t.run(`curl -sS -m 10 http://allowed.test:${port}/x`);
    expect(ok.out).toBe('hello from allowed GET /x\n');
    const denied = await t.run('curl -sS -m 10 -o /dev/null -w "%{http_code}" http://denied.test/');
    expect(denied.out).toBe('403');
    const ifaces = await t.run("awk 'NR>2 {print $1}' /proc/net/dev");
    expect(ifaces.out.trim()).toBe('lo:');
    expect(egressAudit.of('egress').map((e) => [e.host, e.decision])).toEqual(
      expect.arrayContaining([
        ['allowed.test', 'allow'],
        ['denied.test', 'deny'],
      ]),
    );
  });
});

withGvisor('the whole job under gVisor (bundled CLI)', () => {
  test('OpenClaw fixes the test in a gVisor sandbox; the denial and the change are reported', async () => {
    const ws = workspace();
    // A checkout, so the job can report what changed.
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'safe.directory=*', '-c', 'user.email=t@t', '-c', 'user.name=t', ...args], {
        cwd: ws,
      });
    git('init', '-q');
    git('add', '-A');
    git('commit', '-qm', 'init');
    execFileSync('chown', ['-R', '1000:1000', ws]);
    const audit = await mkdtemp(join(tmpdir(), 'nemoclaw-gvisor-audit-'));
    const r = await run([
      '--workspace',
      ws,
      '--task',
      'Fix the failing test.',
      '--replay-script',
      join(root, 'examples', 'replay', 'fix-failing-test.yaml'),
      '--sandbox-runtime',
      'runsc',
      '--audit-dir',
      audit,
    ]);
    expect(r.result?.status).toBe('policy-violation');
    expect(r.code).toBe(3);
    expect(readFileSync(join(ws, 'src', 'math.js'), 'utf8')).toContain('return a + b;');
    expect(r.result?.changedFiles).toEqual(['src/math.js']);
    expect(readFileSync(join(audit, 'lifecycle.jsonl'), 'utf8')).toContain('"runtime":"runsc"');
    await expectCleanEnd(r);
  }, 300_000);
});
