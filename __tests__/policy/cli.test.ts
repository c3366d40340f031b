import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/program.js';
import { parseRequestSpec } from '../../src/cli/commands/policy.js';

const dir = mkdtempSync(join(tmpdir(), 'policy-cli-'));
const good = join(dir, 'good.yaml');
const bad = join(dir, 'bad.yaml');
writeFileSync(good, 'version: 1\nextends: github-read\n');
writeFileSync(bad, 'version: 1\nnetwork_policies:\n  x:\n    endpoints:\n      - host: "*.com"\n');

async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const realOut = process.stdout.write.bind(process.stdout);
  const realErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
  process.exitCode = undefined;
  try {
    const code = await runCli(['node', 'nemoclaw', ...args]);
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = realOut;
    process.stderr.write = realErr;
    process.exitCode = undefined;
  }
}

test('policy lint: exit 0 for a good file, 1 with file:line:column for a bad one', async () => {
  expect(await cli('policy', 'lint', good)).toMatchObject({ code: 0 });
  const r = await cli('policy', 'lint', good, bad);
  expect(r.code).toBe(1);
  expect(r.err).toContain(`${bad}:5:15: network_policies.x.endpoints.0.host: host "*.com"`);
});

test('policy test: one JSON decision per request', async () => {
  const r = await cli(
    'policy',
    'test',
    good,
    '--request',
    'GET https://api.github.com/repos/o/r?x=1',
    '--request',
    'POST https://github.com/o/r.git/git-receive-pack',
    '--request',
    'CONNECT evil.test:443',
  );
  expect(r.code).toBe(0);
  const lines = r.out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(lines.map((l) => l.decision)).toEqual(['allow', 'deny', 'deny']);
  expect(lines[1]).toMatchObject({ layer: 'l7', policy: 'github' });
});

test.each([
  ['GET https://a.test/x?y=1', { host: 'a.test', port: 443, method: 'GET', path: '/x', query: 'y=1' }],
  ['post http://a.test:8080', { host: 'a.test', port: 8080, method: 'POST', path: '/' }],
  ['CONNECT [::1]:443', { host: '::1', port: 443 }],
])('parseRequestSpec %s', (spec, req) => expect(parseRequestSpec(spec)).toEqual(req));

test('parseRequestSpec rejects junk', () =>
  expect(() => parseRequestSpec('nonsense')).toThrow(/cannot read request/));
