import { jest } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/program.js';
import { assetPath } from '../../src/paths.js';

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    return { code: await runCli(['node', 'nemoclaw', ...args]), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

test('replay check lists the turns of the demo script', async () => {
  const r = await cli('replay', 'check', assetPath('examples', 'replay', 'fix-failing-test.yaml'));
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/fix-failing-test: 6 turns/);
  expect(r.out).toMatch(/3\. edit {2}\(expects contains\)/);
});

test('replay check names the file and the fix for a bad script', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'replay-cli-'));
  try {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'turns:\n  - tool_calls: [{ name: rm, arguments: {} }]\n');
    const r = await cli('replay', 'check', bad);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${bad}: replay script:`);
    expect(r.err).toContain('Fix: Each turn is either');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
