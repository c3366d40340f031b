// Real @actions/cache and @actions/artifact against the loopback stand-ins
// (twirp server + Azurite): the image cache's Actions half, and the artifact
// half the audit upload uses.
import { DefaultArtifactClient } from '@actions/artifact';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActionsImageCache } from '../../src/image/actions-cache.js';
import { MemoryLogger } from '../../src/log.js';
import { applyEnv, startActionsServices, type ActionsServices } from '../support/actions-services.js';

let services: ActionsServices;
let undo: () => void;

beforeAll(async () => {
  services = await startActionsServices();
  undo = applyEnv(services.env);
}, 60_000);

afterAll(async () => {
  undo?.();
  await services?.close();
});

describe('ActionsImageCache through @actions/cache', () => {
  it('saves one file and restores the same bytes under the same key', async () => {
    const logger = new MemoryLogger();
    const cache = new ActionsImageCache(logger);
    const key = `nemoclaw-image-test-${randomBytes(4).toString('hex')}`;
    expect(await cache.restore(key)).toBeUndefined();
    const payload = randomBytes(3 * 1024 * 1024);
    const file = cache.pathFor(key);
    writeFileSync(file, payload);
    expect(await cache.save(key, file)).toBe(true);
    expect(services.cacheKeys()).toContain(key);
    const restored = await cache.restore(key);
    expect(restored).toBeDefined();
    expect(readFileSync(restored!).equals(payload)).toBe(true);
    expect(services.calls).toEqual(
      expect.arrayContaining([
        'CacheService/CreateCacheEntry',
        'CacheService/FinalizeCacheEntryUpload',
        'CacheService/GetCacheEntryDownloadURL',
      ]),
    );
    expect(logger.lines.filter((l) => l.level === 'warn')).toEqual([]);
  }, 60_000);

  it('reports a failed save as false with a warning (the toolkit itself returns -1)', async () => {
    const logger = new MemoryLogger();
    const cache = new ActionsImageCache(logger);
    const key = `nemoclaw-image-dup-${randomBytes(4).toString('hex')}`;
    for (const expected of [true, false]) {
      const file = cache.pathFor(key);
      writeFileSync(file, randomBytes(1024));
      expect(await cache.save(key, file)).toBe(expected);
    }
    expect(logger.lines.some((l) => l.level === 'warn')).toBe(true);
  }, 60_000);
});

describe('artifact service stand-in', () => {
  it('uploads, lists, downloads and deletes an artifact with @actions/artifact', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nemoclaw-artifact-'));
    try {
      const files = ['a.jsonl', 'sub/b.json'].map((f) => join(dir, 'src', f));
      mkdirSync(join(dir, 'src', 'sub'), { recursive: true });
      writeFileSync(files[0]!, '{"x":1}\n');
      writeFileSync(files[1]!, randomBytes(200_000).toString('hex'));
      const client = new DefaultArtifactClient();
      const up = await client.uploadArtifact('audit-log', files, join(dir, 'src'), { compressionLevel: 6 });
      expect(up.id).toBeGreaterThan(0);
      expect(up.size).toBeGreaterThan(0);
      const { artifacts } = await client.listArtifacts();
      expect(artifacts.map((a) => a.name)).toContain('audit-log');
      const got = await client.getArtifact('audit-log');
      const down = await client.downloadArtifact(got.artifact.id, { path: join(dir, 'out') });
      expect(down.downloadPath).toBe(join(dir, 'out'));
      expect(readFileSync(join(dir, 'out', 'a.jsonl'), 'utf8')).toBe('{"x":1}\n');
      expect(readFileSync(join(dir, 'out', 'sub', 'b.json')).equals(readFileSync(files[1]!))).toBe(true);
      await client.deleteArtifact('audit-log');
      expect((await client.listArtifacts()).artifacts).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
