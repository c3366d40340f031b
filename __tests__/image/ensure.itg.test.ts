// ensureImage against the real engine: pull by digest from a local registry
// (Debian docker-registry on loopback), the cache restore paths, verification
// failures, and the build path (with a stand-in recipe that is quick to run).
import Docker from 'dockerode';
import { createHash } from 'node:crypto';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryAuditSink } from '../../src/audit/events.js';
import type { ResolvedBlueprint } from '../../src/blueprint/resolve.js';
import { resolveBlueprint } from '../../src/blueprint/resolve.js';
import { ActionsImageCache } from '../../src/image/actions-cache.js';
import { LocalImageCache } from '../../src/image/cache.js';
import { ensureImage } from '../../src/image/ensure.js';
import { imageCacheKey } from '../../src/image/key.js';
import { UserError } from '../../src/errors.js';
import { MemoryLogger } from '../../src/log.js';
import { applyEnv, startActionsServices } from '../support/actions-services.js';

const BASE = 'nemoclaw/sandbox-test:dev';
const docker = new Docker();
let tmp: string;
let registry: ChildProcess;
let port: number;
const made: string[] = [];

const sh = (cmd: string, input?: string) =>
  execFileSync('sh', ['-c', cmd], { encoding: 'utf8', input }).trim();
/** A throwaway image: the test image plus one label, so it has its own ID but shares every layer. */
function derive(tag: string, label: string): string {
  const id = sh(
    `docker build -q --label io.nemoclaw.test=${label} --label io.nemoclaw.managed=test -t ${tag} -`,
    `FROM ${BASE}\n`,
  );
  made.push(tag);
  return id;
}
function pushed(tag: string): string {
  sh(`docker push -q ${tag} >/dev/null`);
  const digests = JSON.parse(sh(`docker image inspect -f '{{json .RepoDigests}}' ${tag}`)) as string[];
  return digests.find((d) => d.startsWith(`127.0.0.1:${port}/`))!.split('@')[1]!;
}
const rmi = (ref: string) => sh(`docker rmi -f ${ref} >/dev/null 2>&1 || true`);

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const p = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return p;
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'nemoclaw-image-'));
  port = await freePort();
  writeFileSync(
    join(tmp, 'registry.yml'),
    `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${tmp}/registry\nhttp:\n  addr: 127.0.0.1:${port}\nlog:\n  level: error\n`,
  );
  registry = spawn('/usr/bin/docker-registry', ['serve', join(tmp, 'registry.yml')], { stdio: 'ignore' });
  for (let i = 0; i < 50; i++) {
    if (
      await fetch(`http://127.0.0.1:${port}/v2/`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await new Promise((r) => setTimeout(r, 200));
  }
}, 30_000);

afterAll(() => {
  for (const t of made) rmi(t);
  registry?.kill();
  rmSync(tmp, { recursive: true, force: true });
});

/** The shipped blueprint with its image section swapped, as resolveBlueprint would return it. */
async function blueprintWith(
  image: ResolvedBlueprint['spec']['image'],
  build?: ResolvedBlueprint['spec']['build'],
) {
  const bp = await resolveBlueprint({ ref: 'openclaw@0.1.0', logger: new MemoryLogger() });
  const digest = `sha256:${createHash('sha256')
    .update(JSON.stringify([image, build ?? null]))
    .digest('hex')}`;
  const spec = { ...bp.spec, image, ...(build ? { build } : {}) };
  if (!build) delete (spec as { build?: unknown }).build;
  return { ...bp, spec, digest } as ResolvedBlueprint;
}

describe('pinned registry image', () => {
  let refA: string;
  let idA: string;
  let digestB: string;
  let idB: string;
  const repo = () => `127.0.0.1:${port}/nemoclaw-test/sbx`;

  beforeAll(() => {
    idA = derive(`${repo()}:moving`, `a-${Date.now()}`);
    refA = `${repo()}@${pushed(`${repo()}:moving`)}`;
    // Move the tag to other bytes and push again.
    idB = derive(`${repo()}:moving`, `b-${Date.now()}`);
    digestB = pushed(`${repo()}:moving`);
    made.push(refA, `${repo()}@${digestB}`);
    expect(idA).not.toBe(idB);
  }, 120_000);

  it('pulls by digest the pinned bytes although the tag moved, saves them, then restores from the cache', async () => {
    rmi(idA);
    const cache = new LocalImageCache(join(tmp, 'cache-pull'));
    const bp = await blueprintWith({ reference: refA, id: idA, platforms: ['linux/amd64', 'linux/arm64'] });
    const audit = new MemoryAuditSink();
    const logger = new MemoryLogger();
    const got = await ensureImage({ blueprint: bp, docker, cache, logger, audit });
    expect(got).toMatchObject({ imageId: idA, source: 'pull', cacheHit: false });
    made.push(got.tag);
    expect(audit.of('config')[0]).toMatchObject({ activity: 'image', source: 'pull', image_id: idA });
    expect(statSync(join(tmp, 'cache-pull', `${imageCacheKey(bp)}.tar.zst`)).size).toBeGreaterThan(0);

    // Present now: nothing to do.
    expect((await ensureImage({ blueprint: bp, docker, cache, logger, audit })).source).toBe('present');

    rmi(idA);
    const again = await ensureImage({ blueprint: bp, docker, cache, logger, audit });
    expect(again).toMatchObject({ imageId: idA, source: 'cache', cacheHit: true });
    expect(logger.lines.some((l) => /Loaded .* MB in .* s \(\d+ MB\/s\)/.test(l.message))).toBe(true);
  }, 180_000);

  it('refuses a pin whose image ID does not match what the digest serves (moved tag re-pinned)', async () => {
    rmi(idA);
    rmi(idB);
    const bp = await blueprintWith({
      reference: `${repo()}@${digestB}`,
      id: idA,
      platforms: ['linux/amd64'],
    });
    const err = await ensureImage({
      blueprint: bp,
      docker,
      cache: new LocalImageCache(join(tmp, 'cache-moved')),
      logger: new MemoryLogger(),
      audit: new MemoryAuditSink(),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(`image verification failed: expected image ID ${idA}, actual ${idB}`);
  }, 120_000);

  it('treats a truncated cache entry as a miss with a warning and falls back to the pull', async () => {
    const cache = new LocalImageCache(join(tmp, 'cache-pull'));
    const bp = await blueprintWith({ reference: refA, id: idA, platforms: ['linux/amd64'] });
    const file = join(tmp, 'cache-pull', `${imageCacheKey(bp)}.tar.zst`);
    truncateSync(file, Math.floor(statSync(file).size / 2));
    rmi(idA);
    const logger = new MemoryLogger();
    const got = await ensureImage({ blueprint: bp, docker, cache, logger, audit: new MemoryAuditSink() });
    expect(got).toMatchObject({ imageId: idA, source: 'pull', cacheHit: false });
    expect(logger.lines.find((l) => l.level === 'warn')?.message).toMatch(
      /corrupt or truncated.*discarding it and falling back/,
    );
  }, 180_000);

  it('fails hard when a cache entry loads as a different image', async () => {
    const cache = new LocalImageCache(join(tmp, 'cache-poisoned'));
    const bp = await blueprintWith({ reference: refA, id: idA, platforms: ['linux/amd64'] });
    // A poisoned entry: the bytes of image B under image A's key.
    const { saveImageToFile } = await import('../../src/image/stream.js');
    const file = cache.pathFor(imageCacheKey(bp));
    const idC = derive('nemoclaw-test/poison:latest', `c-${Date.now()}`);
    await saveImageToFile(docker, 'nemoclaw-test/poison:latest', file);
    await cache.save(imageCacheKey(bp), file);
    rmi(idA);
    const err = await ensureImage({
      blueprint: bp,
      docker,
      cache,
      logger: new MemoryLogger(),
      audit: new MemoryAuditSink(),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toContain(
      `image verification failed after cache restore: expected image ID ${idA}, actual ${idC}`,
    );
  }, 180_000);
});

/** A stand-in for scripts/build-image.sh with the same contract (args, env, ID on stdout), in seconds. */
function fakeBuildScript(): string {
  const script = join(tmp, 'fake-build.sh');
  writeFileSync(
    script,
    `#!/bin/sh\nset -e\nprintf 'FROM ${BASE}\\n' | docker build -q --label io.nemoclaw.blueprint-digest=$NEMOCLAW_BLUEPRINT_DIGEST --label io.nemoclaw.managed=test -t "$3" - >/dev/null\necho building "$2" >&2\ndocker image inspect -f '{{.Id}}' "$3"\n`,
  );
  chmodSync(script, 0o755);
  return script;
}

describe('build recipe', () => {
  it('builds, labels with the blueprint digest, caches, and finds the build present next time', async () => {
    const script = fakeBuildScript();
    const bp = await blueprintWith(
      { platforms: ['linux/amd64'] },
      { recipe: 'debootstrap', dir: 'image', variant: 'test' },
    );
    const cache = new LocalImageCache(join(tmp, 'cache-build'));
    const logger = new MemoryLogger();
    const audit = new MemoryAuditSink();
    const got = await ensureImage({ blueprint: bp, docker, cache, logger, audit, buildScript: script });
    made.push(got.tag);
    expect(got).toMatchObject({ source: 'build', cacheHit: false });
    expect(got.tag).toMatch(/^nemoclaw\/openclaw:0\.1\.0-[0-9a-f]{12}$/);
    expect(logger.lines.some((l) => l.message === 'building test')).toBe(true);
    expect(audit.of('config')[0]).toMatchObject({
      source: 'build',
      image_id: got.imageId,
      blueprint_digest: bp.digest,
    });
    expect(
      (await ensureImage({ blueprint: bp, docker, cache, logger, audit, buildScript: script })).source,
    ).toBe('present');
    rmi(got.tag);
    rmi(got.imageId);
    const restored = await ensureImage({ blueprint: bp, docker, cache, logger, audit, buildScript: script });
    expect(restored).toMatchObject({ source: 'cache', cacheHit: true, imageId: got.imageId });
  }, 180_000);
});

describe('on Actions: @actions/cache against the loopback stand-ins', () => {
  it('builds and saves through @actions/cache; the next job restores and verifies it', async () => {
    const services = await startActionsServices();
    const undo = applyEnv(services.env);
    try {
      const script = fakeBuildScript();
      const bp = await blueprintWith(
        { platforms: ['linux/amd64'] },
        { recipe: 'debootstrap', dir: 'image', variant: 'sandbox' },
      );
      const logger = new MemoryLogger();
      const audit = new MemoryAuditSink();
      const first = await ensureImage({
        blueprint: bp,
        docker,
        cache: new ActionsImageCache(logger),
        logger,
        audit,
        buildScript: script,
      });
      made.push(first.tag);
      expect(first.source).toBe('build');
      expect(logger.lines.filter((l) => l.level === 'warn')).toEqual([]);
      expect(services.cacheKeys()).toEqual([first.cacheKey]);
      rmi(first.tag);
      rmi(first.imageId);
      const second = await ensureImage({
        blueprint: bp,
        docker,
        cache: new ActionsImageCache(logger),
        logger,
        audit,
        buildScript: script,
      });
      expect(second).toMatchObject({
        source: 'cache',
        cacheHit: true,
        imageId: first.imageId,
        tag: first.tag,
      });
      expect(logger.lines.filter((l) => l.level === 'warn')).toEqual([]);
    } finally {
      undo();
      await services.close();
    }
  }, 240_000);
});
