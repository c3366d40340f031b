// `nemoclaw exec` as users run it: the bundled CLI in a child process.
import { jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import { chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Label } from '../../src/constants.js';
import { packageRoot } from '../../src/paths.js';
import { engine, TEST_IMAGE } from './helpers.js';

jest.setTimeout(60_000);

// Inside the package root, so the bundle finds its runtime assets as dist/ does.
const cli = join(packageRoot, 'node_modules', '.cache', 'nemoclaw-test', 'cli.mjs');
let root: string;
let ws: string;

beforeAll(async () => {
  await build({
    // NEMOCLAW_CLI_ENTRY: another entry (e.g. exec alone) while the rest of the CLI is mid-change.
    entryPoints: [process.env.NEMOCLAW_CLI_ENTRY ?? join(packageRoot, 'src/cli/index.ts')],
    outfile: cli,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    external: ['cpu-features', '*.node'],
    logLevel: 'warning',
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url); const __dirname = import.meta.dirname; const __filename = import.meta.filename;",
    },
  });
  root = await mkdtemp(join(tmpdir(), 'nemoclaw-cli-'));
  ws = join(root, 'ws');
  await import('node:fs/promises').then((fs) => fs.mkdir(ws));
  await writeFile(join(ws, 'f.txt'), 'from the workspace\n');
  await chown(ws, 1001, 1001);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function nemoclaw(args: string[], onStart?: (child: ReturnType<typeof spawn>) => void) {
  return new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: ws,
      env: { ...process.env, NO_COLOR: '1' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('close', (code) => resolve({ code, out, err }));
    onStart?.(child);
  });
}

const phases = async (dir: string) =>
  (await readFile(join(dir, 'lifecycle.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { phase: string }).phase);

describe('nemoclaw exec', () => {
  it("streams the command's output and exits with its code; the audit has every phase", async () => {
    const audit = join(root, 'audit-1');
    const r = await nemoclaw([
      'exec',
      '--image',
      TEST_IMAGE,
      '--audit-dir',
      audit,
      '--',
      'sh',
      '-c',
      'id -u; cat f.txt; echo to-stderr >&2; curl -sS https://example.com/ -o /dev/null; exit 3',
    ]);
    expect(r.code).toBe(3);
    expect(r.out).toBe('1001\nfrom the workspace\n');
    expect(r.err).toContain('to-stderr\n');
    // No policy: the real proxy runs with an empty policy and refuses the tunnel.
    expect(r.err).toContain('CONNECT tunnel failed, response 403');
    expect(r.err).toMatch(/egress denied: example\.com.*\(no policy: everything is denied\)/);
    expect(await phases(audit)).toEqual(['create', 'start', 'exec', 'stop', 'remove']);
    const manifest = JSON.parse(await readFile(join(audit, 'manifest.json'), 'utf8')) as {
      files: Array<{ file: string }>;
    };
    expect(manifest.files.map((f) => f.file)).toEqual(['egress.jsonl', 'lifecycle.jsonl']);
    expect(await readFile(join(audit, 'egress.jsonl'), 'utf8')).toContain('example.com');
  });

  it('--blueprint verifies the blueprint and takes its limits', async () => {
    const audit = join(root, 'audit-bp');
    const r = await nemoclaw([
      'exec',
      '--blueprint',
      'openclaw@0.1.0',
      '--image',
      TEST_IMAGE,
      '--audit-dir',
      audit,
      '--',
      'sh',
      '-c',
      'cat /sys/fs/cgroup/pids/pids.max; df -m /tmp | tail -1',
    ]);
    expect(r.err).toMatch(/^Blueprint openclaw@0\.1\.0 verified: sha256:[0-9a-f]{64}/);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^512\ntmpfs\s+512 /);
  });

  it('--policy FILE: what it allows goes through the proxy, the rest is denied', async () => {
    const upstream = createServer((req, res) => res.end(`upstream saw ${req.url}\n`));
    await new Promise<void>((ok) => upstream.listen(0, '127.0.0.1', ok));
    const port = (upstream.address() as AddressInfo).port;
    const policy = join(root, 'policy.yaml');
    await writeFile(
      policy,
      `version: 1\nnetwork_policies:\n  local:\n    endpoints:\n      - host: localhost\n        port: ${port}\n        allowed_ips: [127.0.0.1/32]\n`,
    );
    try {
      const r = await nemoclaw([
        'exec',
        '--image',
        TEST_IMAGE,
        '--policy',
        policy,
        '--',
        // localhost is in NO_PROXY inside the sandbox (its own loopback); force it through the proxy.
        'sh',
        '-c',
        `curl -sS --noproxy '' http://localhost:${port}/ok; curl -sS -o /dev/null -w "%{http_code}\\n" http://other.test/`,
      ]);
      expect(r.out).toBe('upstream saw /ok\n403\n');
      expect(r.err).toMatch(/egress denied: other\.test/);
    } finally {
      await new Promise((ok) => upstream.close(ok));
    }
  });

  it('--read-only mounts the workspace read-only', async () => {
    const r = await nemoclaw([
      'exec',
      '--image',
      TEST_IMAGE,
      '--read-only',
      '--',
      'sh',
      '-c',
      'cat f.txt && touch new',
    ]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('from the workspace\n');
    expect(r.err).toMatch(/touch: cannot touch 'new': Read-only file system/);
  });

  it('--timeout kills the command and the sandbox and exits 124', async () => {
    const audit = join(root, 'audit-2');
    const r = await nemoclaw([
      'exec',
      '--image',
      TEST_IMAGE,
      '--timeout',
      '1',
      '--audit-dir',
      audit,
      '--',
      'sleep',
      '30',
    ]);
    expect(r.code).toBe(124);
    expect(r.err).toMatch(/timed out after 1s/);
    expect(await phases(audit)).toEqual(['create', 'start', 'exec', 'stop', 'remove']);
  });

  it('SIGTERM ends the sandbox, exits 130, and leaves a complete audit and no container', async () => {
    const audit = join(root, 'audit-3');
    const r = await nemoclaw(
      ['exec', '--image', TEST_IMAGE, '--audit-dir', audit, '--', 'sh', '-c', 'echo started; sleep 30'],
      (child) => child.stdout!.once('data', () => child.kill('SIGTERM')),
    );
    expect(r.code).toBe(130);
    expect(await phases(audit)).toEqual(['create', 'start', 'exec', 'stop', 'remove']);
    const job = /"job":"([^"]+)"/.exec(await readFile(join(audit, 'lifecycle.jsonl'), 'utf8'))![1]!;
    expect(await engine.list({ [Label.Job]: job })).toEqual([]);
  });

  it.each([
    [['--timeout', 'soon'], /option --timeout: timeout must be a positive number of seconds, got "soon"/],
    [['--blueprint', 'openclaw@9.9.9'], /openclaw@9\.9\.9/],
  ])('bad input %j gives a clear message and exit 1', async (flags, message) => {
    const r = await nemoclaw(['exec', '--image', TEST_IMAGE, ...flags, '--', 'true']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});
