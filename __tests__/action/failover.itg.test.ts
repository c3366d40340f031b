import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReplayServer, type ReplayServer } from '../../src/replay/server.js';
import { expectCleanEnd, root, run, workspace } from '../support/cli-job.js';

// fallback-* and record-prompts end to end, through the bundled CLI and the
// real agent in the sandbox: the primary provider is down (a loopback port
// nobody listens on), so every call fails over to an OpenAI-compatible
// fallback (the replay model served on loopback), and the prompts the agent
// sent are in the audit log because the run opted in. After two failed calls the
// primary's breaker opens and the rest go straight to the fallback.

let replay: ReplayServer;
let deadPort: number;

beforeAll(async () => {
  replay = await startReplayServer({
    scriptPath: join(root, 'examples', 'replay', 'fix-failing-test.yaml'),
    host: '127.0.0.1',
    port: 0,
  });
  // A port that was free a moment ago: connecting to it is refused.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  deadPort = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
});

afterAll(async () => {
  await replay.close();
});

const lines = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

it('primary down: every call fails over, the task completes, prompts are recorded', async () => {
  const audit = mkdtempSync(join(tmpdir(), 'nemoclaw-failover-audit-'));
  const ws = workspace();
  const r = await run([
    '--workspace',
    ws,
    '--task',
    'Fix the failing test.',
    '--provider',
    'openai-compatible',
    '--base-url',
    `http://127.0.0.1:${deadPort}/v1`,
    '--model',
    'primary-model',
    '--fallback-provider',
    'openai-compatible',
    '--fallback-base-url',
    `${replay.url}/v1`,
    '--fallback-model',
    'replay',
    '--record-prompts',
    '--audit-dir',
    audit,
  ]);
  // The script's curl to an undeclared host is denied, as in the demo.
  expect(r.result?.status).toBe('policy-violation');
  expect(r.code).toBe(3);
  const calls = lines(join(audit, 'inference.jsonl')).filter((e) => e.activity === 'call');
  expect(calls.length).toBeGreaterThanOrEqual(3);
  for (const c of calls) expect(c).toMatchObject({ route: 'fallback', model: 'replay', status: 200 });
  // Two calls wait out the primary's retries; then its breaker sends the rest straight to the fallback.
  expect(calls.map((c) => c.retries)).toEqual([3, 3, ...calls.slice(2).map(() => 0)]);
  expect(r.out).toContain('route "primary" failed 2 calls in a row; calls go to "fallback"');
  const prompts = lines(join(audit, 'prompts.jsonl'));
  expect(prompts).toHaveLength(calls.length);
  expect(JSON.stringify(prompts[0]!.request)).toContain('Fix the failing test.');
  // The edit the script makes reached the workspace.
  expect(readFileSync(join(ws, 'src', 'math.js'), 'utf8')).toContain('a + b');
  await expectCleanEnd(r);
}, 240_000);
