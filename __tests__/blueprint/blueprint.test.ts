import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { canonicalListing, diffFiles, digestDir } from '../../src/blueprint/digest.js';
import { parseBlueprintRef, parseDigestPin } from '../../src/blueprint/ref.js';
import { unmetRequirements, versionAtLeast } from '../../src/blueprint/requirements.js';
import { resolveBlueprint } from '../../src/blueprint/resolve.js';
import { describeError, UserError } from '../../src/errors.js';
import { MemoryLogger } from '../../src/log.js';
import { packageRoot } from '../../src/paths.js';

const shipped = join(packageRoot, 'blueprints');
let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'nemoclaw-bp-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

/** A copy of the shipped blueprints/ tree that a test may tamper with. */
function copyBlueprints(): string {
  const dir = join(tmp, 'blueprints');
  cpSync(shipped, dir, { recursive: true });
  return dir;
}

async function errorOf(p: Promise<unknown>): Promise<UserError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  return err as UserError;
}

describe('digest', () => {
  it('equals sha256sum over the sorted sha256sum listing (the documented encoding)', async () => {
    const dir = join(shipped, 'openclaw', '0.1.0');
    const { digest, files } = await digestDir(dir);
    const listing = execFileSync(
      'sh',
      ['-c', 'find . -type f | sed s,^./,, | LC_ALL=C sort | xargs sha256sum'],
      { cwd: dir, encoding: 'utf8' },
    );
    expect(canonicalListing(files)).toBe(listing);
    expect(digest).toBe(
      `sha256:${execFileSync('sha256sum', { input: listing, encoding: 'utf8' }).slice(0, 64)}`,
    );
  });

  it('rejects symlinks', async () => {
    writeFileSync(join(tmp, 'a'), 'x');
    symlinkSync('/etc/passwd', join(tmp, 'link'));
    const err = await errorOf(digestDir(tmp));
    expect(err.message).toMatch(/symlink: link/);
  });

  it.each([
    [
      { a: '1', b: '2' },
      { a: '1', b: '3' },
      { changed: ['b'], added: [], removed: [] },
    ],
    [{ a: '1' }, { a: '1', c: '4' }, { changed: [], added: ['c'], removed: [] }],
    [{ a: '1', b: '2' }, { a: '1' }, { changed: [], added: [], removed: ['b'] }],
  ])('diffFiles %j vs %j', (expected, actual, diff) => {
    expect(diffFiles(expected, actual)).toEqual(diff);
  });
});

describe('refs and pins', () => {
  it.each([
    ['openclaw@0.1.0', { kind: 'index', name: 'openclaw', version: '0.1.0' }],
    ['openclaw@latest', { kind: 'index', name: 'openclaw', version: 'latest' }],
    ['', { kind: 'index', name: 'openclaw', version: 'latest' }],
    ['./my/blueprint', { kind: 'path', path: './my/blueprint' }],
    ['https://example.invalid/bp.tar.gz', { kind: 'url', url: 'https://example.invalid/bp.tar.gz' }],
  ])('%s', (input, ref) => expect(parseBlueprintRef(input)).toEqual(ref));

  it.each(['openclaw@1', 'ftp://x/y.tar.gz', 'https://u:p@h/x.tar.gz'])('refuses %s', (input) => {
    expect(() => parseBlueprintRef(input)).toThrow(UserError);
  });

  it('refuses a malformed digest pin, naming the input', () => {
    const err = (() => {
      try {
        parseDigestPin('sha256:abc');
      } catch (e) {
        return e as UserError;
      }
    })();
    expect(err?.where).toBe('input "blueprint-digest"');
  });
});

describe('requirements', () => {
  const req = {
    min_cpus: 4,
    min_memory: '8g',
    min_disk: '10g',
    docker: { min_version: '20.10' },
    on_unmet: 'warn' as const,
  };
  it.each([
    [{ cpus: 8, memoryBytes: 16 * 2 ** 30, diskFreeBytes: 50 * 2 ** 30, dockerVersion: '20.10.24+dfsg1' }, 0],
    [{ cpus: 2, memoryBytes: 16 * 2 ** 30, diskFreeBytes: 50 * 2 ** 30, dockerVersion: '20.10.24' }, 1],
    [{ cpus: 2, memoryBytes: 2 ** 30, diskFreeBytes: 2 ** 30, dockerVersion: '19.03.1' }, 4],
    [{ cpus: 8, memoryBytes: 16 * 2 ** 30 }, 1],
  ])('%j → %i unmet', (facts, n) => expect(unmetRequirements(req, facts)).toHaveLength(n));
  it.each([
    ['20.10.24+dfsg1', '20.10', true],
    ['28.0.1', '20.10', true],
    ['19.03.12', '20.10', false],
    ['20.9', '20.10', false],
  ])('%s >= %s is %s', (a, m, ok) => expect(versionAtLeast(a, m)).toBe(ok));
});

describe('resolveBlueprint', () => {
  const logger = new MemoryLogger();
  const base = { logger, os: 'linux', arch: 'x64' };

  it('resolves openclaw@latest to the published, verified 0.1.0', async () => {
    const bp = await resolveBlueprint({ ...base, ref: 'openclaw@latest' });
    expect(bp).toMatchObject({
      name: 'openclaw',
      version: '0.1.0',
      source: 'index',
      platform: 'linux/amd64',
    });
    expect(bp.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(bp.policyPath).toBe(join(shipped, 'openclaw', '0.1.0', 'policy.yaml'));
    expect(bp.buildDir).toBe(join(shipped, 'openclaw', '0.1.0', 'image'));
  });

  it('fails on a tampered published file, naming the file and both digests', async () => {
    const dir = copyBlueprints();
    appendFileSync(join(dir, 'openclaw', '0.1.0', 'image', 'packages.txt'), 'netcat-openbsd\n');
    const err = await errorOf(resolveBlueprint({ ...base, ref: 'openclaw@0.1.0', blueprintsDir: dir }));
    expect(err.message).toMatch(/expected digest sha256:[0-9a-f]{64}, actual sha256:[0-9a-f]{64}/);
    expect(err.message).toContain('changed: image/packages.txt');
  });

  it('fails on a wrong blueprint-digest input, naming the input', async () => {
    const wrong = `sha256:${'0'.repeat(64)}`;
    const err = await errorOf(resolveBlueprint({ ...base, ref: 'openclaw@0.1.0', digest: wrong }));
    expect(err.where).toBe('input "blueprint-digest"');
    expect(describeError(err)).toContain(`expected digest ${wrong}`);
  });

  it('accepts the right blueprint-digest for a local path', async () => {
    const { digest } = await resolveBlueprint({ ...base, ref: 'openclaw@0.1.0' });
    const bp = await resolveBlueprint({ ...base, ref: join(shipped, 'openclaw', '0.1.0'), digest });
    expect(bp.source).toBe('path');
  });

  it('refuses an unsupported OS/arch clearly', async () => {
    const err = await errorOf(resolveBlueprint({ ...base, ref: 'openclaw@0.1.0', arch: 's390x' }));
    expect(err.message).toContain('does not support this runner (linux/s390x)');
    expect(err.message).toContain('linux/amd64, linux/arm64');
    const mac = await errorOf(
      resolveBlueprint({ ...base, ref: 'openclaw@0.1.0', os: 'darwin', arch: 'arm64' }),
    );
    expect(mac.message).toContain('darwin/arm64');
  });

  it('warns or fails on runner requirements per the blueprint', async () => {
    const small = { cpus: 1, memoryBytes: 2 ** 30, diskFreeBytes: 2 ** 40, dockerVersion: '20.10.24' };
    const warned = new MemoryLogger();
    const bp = await resolveBlueprint({ ...base, logger: warned, ref: 'openclaw@0.1.0', runner: small });
    expect(bp.unmet).toHaveLength(2);
    expect(warned.lines.find((l) => l.level === 'warn')?.message).toMatch(
      /1 CPU\(s\), the blueprint wants at least 2/,
    );

    const dir = copyBlueprints();
    const local = join(dir, 'openclaw', '0.1.0');
    writeFileSync(
      join(local, 'blueprint.yaml'),
      readFileSync(join(local, 'blueprint.yaml'), 'utf8').replace('on_unmet: warn', 'on_unmet: fail'),
    );
    const err = await errorOf(resolveBlueprint({ ...base, ref: local, runner: small }));
    expect(err.where).toBe('blueprint.yaml requirements');
  });

  it('names the field of an invalid blueprint.yaml', async () => {
    const dir = join(copyBlueprints(), 'openclaw', '0.1.0');
    writeFileSync(
      join(dir, 'blueprint.yaml'),
      readFileSync(join(dir, 'blueprint.yaml'), 'utf8').replace('pids: 512', 'pids: lots'),
    );
    const err = await errorOf(resolveBlueprint({ ...base, ref: dir }));
    expect(err.message).toContain('resources.pids');
    expect(err.where).toBe(join(dir, 'blueprint.yaml'));
  });

  it('needs a digest for a URL, then downloads once and serves the tool cache', async () => {
    const dir = join(shipped, 'openclaw', '0.1.0');
    const tarball = join(tmp, 'bp.tar.gz');
    execFileSync('tar', ['-czf', tarball, '-C', dir, '.']);
    let hits = 0;
    const server: Server = createServer((_req, res) => {
      hits++;
      res.end(readFileSync(tarball));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/openclaw-0.1.0.tar.gz`;
    const saved = { cache: process.env.RUNNER_TOOL_CACHE, temp: process.env.RUNNER_TEMP };
    process.env.RUNNER_TOOL_CACHE = join(tmp, 'tools');
    process.env.RUNNER_TEMP = join(tmp, 'temp');
    try {
      const noPin = await errorOf(resolveBlueprint({ ...base, ref: url }));
      expect(noPin.where).toBe('input "blueprint-digest"');
      const { digest } = await resolveBlueprint({ ...base, ref: 'openclaw@0.1.0' });
      const wrong = await errorOf(
        resolveBlueprint({ ...base, ref: url, digest: `sha256:${'1'.repeat(64)}` }),
      );
      expect(wrong.message).toContain(`actual ${digest}`);
      const first = await resolveBlueprint({ ...base, ref: url, digest });
      expect(first.source).toBe('url');
      expect(first.dir.startsWith(join(tmp, 'tools'))).toBe(true);
      const second = await resolveBlueprint({ ...base, ref: url, digest });
      expect(second.dir).toBe(first.dir);
      expect(hits).toBe(2); // the wrong-digest attempt and the first good one; the second came from the cache
    } finally {
      process.env.RUNNER_TOOL_CACHE = saved.cache;
      process.env.RUNNER_TEMP = saved.temp;
      if (saved.cache === undefined) delete process.env.RUNNER_TOOL_CACHE;
      if (saved.temp === undefined) delete process.env.RUNNER_TEMP;
      server.close();
    }
  });
});

describe('scripts/check-blueprints-immutable.mjs', () => {
  const run = (dir: string) =>
    spawnSync(process.execPath, [join(packageRoot, 'scripts/check-blueprints-immutable.mjs'), '--dir', dir], {
      encoding: 'utf8',
    });

  it('passes on the shipped tree and fails naming a changed file', () => {
    expect(run(shipped).status).toBe(0);
    const dir = copyBlueprints();
    appendFileSync(join(dir, 'openclaw', '0.1.0', 'policy.yaml'), '# edited\n');
    const res = run(dir);
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('openclaw@0.1.0');
    expect(res.stderr).toContain('changed: policy.yaml');
  }, 30_000);
});

describe('NemoClaw blueprint.yaml', () => {
  it('is recognised and pointed at the conversion guide', async () => {
    writeFileSync(
      join(tmp, 'blueprint.yaml'),
      'version: 0.1.0\ndigest: ""\nprofiles: [default]\ncomponents:\n  sandbox:\n    image: ghcr.io/nvidia/openshell-community/sandboxes/openclaw@sha256:' +
        'a'.repeat(64) +
        '\n',
    );
    writeFileSync(join(tmp, 'policy.yaml'), 'version: 1\n');
    const err = await errorOf(
      resolveBlueprint({ ref: tmp, logger: new MemoryLogger(), os: 'linux', arch: 'x64' }),
    );
    expect(err.message).toContain('this is a NemoClaw blueprint.yaml');
    expect(err.fix).toContain('Coming from NemoClaw');
  });
});

describe('compareIndexes', () => {
  const idx = (digest: string, files: Record<string, string>) => ({
    blueprints: { openclaw: { latest: '0.1.0', versions: { '0.1.0': { digest, files } } } },
  });
  const d = (c: string) => `sha256:${c.repeat(64)}`;
  it.each([
    [idx(d('a'), { x: 'a'.repeat(64) }), idx(d('a'), { x: 'a'.repeat(64) }), ''],
    [idx(d('a'), { x: 'a'.repeat(64) }), idx(d('b'), { x: 'b'.repeat(64) }), 'changed: x'],
    [idx(d('a'), {}), { blueprints: {} }, 'no longer listed'],
  ])('%#', async (base, current, msg) => {
    const { compareIndexes } = await import('../../src/blueprint/immutable.js');
    const problems = compareIndexes(base, current);
    if (msg) expect(problems[0]?.message).toContain(msg);
    else expect(problems).toEqual([]);
  });
});
