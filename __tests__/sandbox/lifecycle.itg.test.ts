import { jest } from '@jest/globals';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Label } from '../../src/constants.js';
import { silentLogger } from '../../src/log.js';
import { cleanupJob, cleanupStale } from '../../src/sandbox/cleanup.js';
import { engine, startTestSandbox, type TestSandbox } from './helpers.js';

jest.setTimeout(60_000);

describe('sandbox lifecycle (real engine)', () => {
  let t: Awaited<ReturnType<typeof startTestSandbox>>;
  beforeAll(async () => {
    t = await startTestSandbox({ workspaceUid: 1001 });
  });
  afterAll(async () => {
    await t.dispose();
  });

  it('streams stdout and stderr separately and returns the exit code', async () => {
    const r = await t.run('echo out; echo err >&2; exit 7');
    expect(r).toMatchObject({ out: 'out\n', err: 'err\n', exitCode: 7, timedOut: false, aborted: false });
  });

  it('runs as the workspace owner (uid 1001, as on GitHub runners), who can read and write it', async () => {
    await writeFile(join(t.workspace, 'from-host.txt'), 'hello');
    const r = await t.run(
      'id -u; id -g; cat from-host.txt; echo made > by-agent.txt; mkdir -p d && touch d/x; echo ok',
    );
    expect(r.out).toBe('1001\n1001\nhello' + 'ok\n');
    const made = await stat(join(t.workspace, 'by-agent.txt'));
    expect([made.uid, made.gid]).toEqual([1001, 1001]);
    expect(await readdir(join(t.workspace, 'd'))).toEqual(['x']);
  });

  it('reaches the host proxy only through the forwarder, which relays its decision', async () => {
    const r = await t.run(
      'curl -sS -o /dev/null -w "%{http_code}" http://allowed.example/x; echo; curl -sS -o /dev/null -w "%{http_code}" https://denied.example/ 2>&1; echo',
    );
    expect(r.out).toMatch(/^403\n/);
    expect(r.out).toMatch(/CONNECT tunnel failed, response 403|403/);
    expect(t.proxy!.seen).toEqual(
      expect.arrayContaining(['GET http://allowed.example/x', 'CONNECT denied.example:443']),
    );
  });

  it('node fetch uses the proxy too (NODE_USE_ENV_PROXY), tunnelling even plain http', async () => {
    const r = await t.run([
      'node',
      '-e',
      'fetch("http://node.example/").then((r) => console.log(r.status), (e) => console.log(e.cause.cause.message))',
    ]);
    expect(r.out.trim()).toBe('Proxy response (403) !== 200 when HTTP Tunneling');
    expect(t.proxy!.seen).toContain('CONNECT node.example:80');
  });

  it('per-command env goes through the same allow-list', async () => {
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (c: Buffer) => (out += c.toString()));
    const ok = await t.sandbox.exec(['sh', '-c', 'echo $OPENCLAW_X'], {
      stdout,
      stderr: new PassThrough(),
      env: { OPENCLAW_X: 'y' },
    });
    expect([ok.exitCode, out]).toEqual([0, 'y\n']);
    await expect(
      t.sandbox.exec(['true'], { stdout, stderr: stdout, env: { HTTPS_PROXY: 'http://evil' } }),
    ).rejects.toThrow(/HTTPS_PROXY may not be passed/);
    await expect(
      t.sandbox.exec(['true'], { stdout, stderr: stdout, env: { GITHUB_TOKEN: 'x' } }),
    ).rejects.toThrow(/GITHUB_TOKEN may not be passed/);
  });

  it('a command killed by hand (exit 137) is not reported as OOM', async () => {
    const r = await t.run('kill -9 $$');
    expect(r).toMatchObject({ exitCode: 137, oomKilled: false });
  });

  it('records every phase with its duration on the lifecycle stream', async () => {
    const phases = t.audit.of('lifecycle').map((e) => e.phase);
    expect(phases.slice(0, 2)).toEqual(['create', 'start']);
    expect(phases).toContain('exec');
    for (const e of t.audit.of('lifecycle')) {
      expect(e).toMatchObject({ class_uid: 1007, activity: 'phase', job: t.jobId });
      expect(typeof e.duration_ms).toBe('number');
    }
  });
});

describe('ending a sandbox', () => {
  let t: TestSandbox | undefined;
  afterEach(async () => {
    await t?.dispose();
    t = undefined;
  });

  it('a timeout kills the command and the sandbox; stop and remove are still recorded', async () => {
    t = await startTestSandbox();
    const r = await t.run('echo started; sleep 30', { timeoutMs: 1500 });
    expect(r).toMatchObject({ out: 'started\n', timedOut: true, exitCode: null });
    await expect(t.run('true')).rejects.toThrow(/has ended/);
    await t.sandbox.close();
    const phases = t.audit.of('lifecycle').map((e) => `${e.phase}:${e.status}`);
    expect(phases).toEqual(['create:ok', 'start:ok', 'exec:ok', 'stop:ok', 'remove:ok']);
    expect(await engine.list({ [Label.Job]: t.jobId })).toEqual([]);
  });

  it('an abort (SIGINT/SIGTERM in the CLI) ends the command and tears down with a complete audit', async () => {
    t = await startTestSandbox();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 500);
    const r = await t.run('sleep 30', { signal: ac.signal });
    expect(r).toMatchObject({ aborted: true, exitCode: null });
    await t.sandbox.close();
    expect(t.audit.of('lifecycle').map((e) => e.phase)).toEqual([
      'create',
      'start',
      'exec',
      'stop',
      'remove',
    ]);
  });

  it('stop is fast: the forwarder exits on SIGTERM instead of waiting for the kill', async () => {
    t = await startTestSandbox();
    await t.sandbox.close();
    const stop = t.audit.of('lifecycle').find((e) => e.phase === 'stop')!;
    expect(stop.status).toBe('ok');
    expect(await engine.list({ [Label.Job]: t.jobId })).toEqual([]);
  });
});

describe('cleanup by label', () => {
  it('removes the containers of one job, and stale ones of crashed jobs', async () => {
    const a = await startTestSandbox();
    try {
      expect((await engine.list({ [Label.Job]: a.jobId })).length).toBe(1);
      // Not stale yet at a one-hour threshold …
      expect(
        await cleanupStale(engine, 3_600_000, silentLogger, Date.now(), { [Label.Job]: a.jobId }),
      ).not.toContain(`nemoclaw-${a.jobId}`);
      // … but stale if "now" is two hours later.
      expect(
        await cleanupStale(engine, 3_600_000, silentLogger, Date.now() + 7_200_000, { [Label.Job]: a.jobId }),
      ).toContain(`nemoclaw-${a.jobId}`);
      expect(await engine.list({ [Label.Job]: a.jobId })).toEqual([]);
      expect(await cleanupJob(engine, a.jobId, silentLogger)).toEqual([]);
    } finally {
      await a.dispose();
    }
  });
});
