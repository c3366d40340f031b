import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyAuditDir } from '../../src/audit/read.js';
import { expectCleanEnd, root, run, workspace } from '../support/cli-job.js';

// The job's failure paths, through the bundled CLI (same job code as the
// action): each ends with the right status and exit code, a clear reason,
// no container left behind, and a complete, verifiable audit log.

const replay = ['--replay-script', join(root, 'examples', 'replay', 'fix-failing-test.yaml')];

describe('job failure paths (bundled CLI, real sandbox)', () => {
  it('budget exceeded: the gateway refuses the call over the limit and the job says so', async () => {
    const audit = mkdtempSync(join(tmpdir(), 'nemoclaw-fail-audit-'));
    const r = await run([
      '--workspace',
      workspace(),
      '--task',
      'fix it',
      ...replay,
      '--max-requests',
      '2',
      '--audit-dir',
      audit,
    ]);
    expect(r.result?.status).toBe('budget-exceeded');
    expect(r.code).toBe(4);
    expect(r.out).toContain('BUDGET EXCEEDED');
    expect(readFileSync(join(audit, 'inference.jsonl'), 'utf8')).toContain('budget_exceeded');
    await expectCleanEnd(r);
  }, 240_000);

  it('timeout: the sandbox is stopped and the status is timeout', async () => {
    const audit = mkdtempSync(join(tmpdir(), 'nemoclaw-fail-audit-'));
    const r = await run([
      '--workspace',
      workspace(),
      '--task',
      'fix it',
      ...replay,
      '--timeout-minutes',
      '0.1',
      '--audit-dir',
      audit,
    ]);
    expect(r.result?.status).toBe('timeout');
    expect(r.code).toBe(124);
    await expectCleanEnd(r);
  }, 240_000);

  it('cancel (SIGTERM): the sandbox is stopped and the audit log is complete', async () => {
    const audit = mkdtempSync(join(tmpdir(), 'nemoclaw-fail-audit-'));
    const r = await run(['--workspace', workspace(), '--task', 'fix it', ...replay, '--audit-dir', audit], {
      killAfterMs: 2000,
    });
    expect(r.result?.status).toBe('failure');
    expect(r.result?.reason).toMatch(/cancelled/);
    await expectCleanEnd(r);
  }, 240_000);

  it('Docker engine gone mid-job: failure with a clear reason, audit complete; the leftover is removed by label later', async () => {
    // The job talks to the engine through a socket this test owns, and loses it while the agent runs.
    const dir = mkdtempSync(join(tmpdir(), 'nemoclaw-engine-'));
    const path = join(dir, 'docker.sock');
    const conns = new Set<net.Socket>();
    const relay = net.createServer((client) => {
      const engine = net.connect('/var/run/docker.sock');
      conns.add(client).add(engine);
      client.pipe(engine).pipe(client);
      const end = () => {
        client.destroy();
        engine.destroy();
      };
      client.on('error', end);
      engine.on('error', end);
    });
    await new Promise<void>((r) => relay.listen(path, r));
    const audit = mkdtempSync(join(tmpdir(), 'nemoclaw-fail-audit-'));
    const r = await run(['--workspace', workspace(), '--task', 'fix it', ...replay, '--audit-dir', audit], {
      env: { DOCKER_HOST: `unix://${path}` },
      onAgent: () =>
        setTimeout(() => {
          relay.close();
          for (const c of conns) c.destroy();
        }, 1500),
    });
    expect(r.result?.status).toBe('failure');
    expect(r.result?.reason).toMatch(/Docker engine/);
    expect(verifyAuditDir(r.result!.auditDir)).toEqual([]);
    expect(readFileSync(join(audit, 'lifecycle.jsonl'), 'utf8')).toContain('"job_end"');
    // What the job could not remove, the post step (cleanup by label) removes once the engine is back.
    execFileSync(process.execPath, [join(root, 'dist', 'cli', 'index.js'), 'stop', r.result!.jobId]);
    await expectCleanEnd(r);
  }, 240_000);

  it('bad policy file: a clear error naming file, line and column; nothing starts', async () => {
    const ws = workspace();
    const policy = join(ws, 'policy.yaml');
    execFileSync('sh', [
      '-c',
      `printf 'version: 1\\nnetwork_policies:\\n  x:\\n    endpoints:\\n      - host: "*.com"\\n' > ${policy}`,
    ]);
    const audit = mkdtempSync(join(tmpdir(), 'nemoclaw-fail-audit-'));
    const r = await run([
      '--workspace',
      ws,
      '--task',
      'x',
      ...replay,
      '--policy',
      policy,
      '--audit-dir',
      audit,
    ]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`${policy}:5:`);
    expect(r.out).not.toMatch(/\n\s+at /);
    // The failure is on record, and no sandbox was ever created.
    const lifecycle = readFileSync(join(audit, 'lifecycle.jsonl'), 'utf8');
    expect(lifecycle).toContain('"job_error"');
    expect(lifecycle).not.toContain('"phase":"create"');
    await expectCleanEnd(r);
  }, 120_000);
});
