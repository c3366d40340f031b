import { jest } from '@jest/globals';
import { runCli } from '../../src/cli/program.js';

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((c) => ((out += String(c)), true));
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((c) => ((err += String(c)), true));
  try {
    process.exitCode = undefined;
    const code = await runCli(['node', 'nemoclaw', ...args]);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.exitCode = undefined;
  }
}

describe('nemoclaw blueprint', () => {
  it('list prints every published version with its digest', async () => {
    const { code, out } = await cli('blueprint', 'list');
    expect(code).toBe(0);
    expect(out).toMatch(/^openclaw@0\.1\.0 \(latest\) {2}sha256:[0-9a-f]{64}$/m);
  });

  it('verify exits 0 with the digest for a valid blueprint', async () => {
    const { code, out } = await cli('blueprint', 'verify', 'openclaw@latest');
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({
      name: 'openclaw',
      version: '0.1.0',
      digest: expect.stringMatching(/^sha256:/),
    });
  });

  it('verify exits 1 with the reason for a wrong digest', async () => {
    const { code, err } = await cli(
      'blueprint',
      'verify',
      'openclaw@0.1.0',
      '--digest',
      `sha256:${'a'.repeat(64)}`,
    );
    expect(code).toBe(1);
    expect(err).toContain('failed verification: expected digest sha256:aaaa');
    expect(err).toContain('Fix:');
  });
});
