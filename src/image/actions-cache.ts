// The image cache on GitHub Actions: one file per entry through @actions/cache.
// The toolkit reads its env (ACTIONS_RESULTS_URL, ACTIONS_RUNTIME_TOKEN,
// ACTIONS_CACHE_SERVICE_V2, RUNNER_TEMP, GITHUB_WORKSPACE) at call time. It
// reports failure as -1 / undefined with misleading messages, so every result is
// checked by what arrived on disk, not by the absence of an exception.
import * as cache from '@actions/cache';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import type { ImageCache } from './cache.js';

export class ActionsImageCache implements ImageCache {
  readonly kind = 'actions';
  /** The same absolute path on save and restore: @actions/cache versions entries by their paths. */
  private readonly file: string;

  constructor(
    private readonly logger: Logger,
    dir: string = join(process.env.RUNNER_TEMP ?? tmpdir(), 'nemoclaw-image-cache'),
  ) {
    this.file = join(dir, 'image.tar.zst');
  }

  pathFor(_key: string): string {
    mkdirSync(join(this.file, '..'), { recursive: true });
    rmSync(this.file, { force: true });
    return this.file;
  }

  async restore(key: string): Promise<string | undefined> {
    if (!cache.isFeatureAvailable()) {
      this.logger.info('The Actions cache service is not available to this job; skipping the image cache.');
      return undefined;
    }
    this.pathFor(key);
    try {
      const hit = await cache.restoreCache([this.file], key, [], {}, false);
      if (hit !== key) return undefined;
    } catch (err) {
      this.logger.warn(`Image cache restore failed: ${(err as Error).message}`);
      return undefined;
    }
    if (!existsSync(this.file) || statSync(this.file).size === 0) {
      this.logger.warn(`Image cache reported a hit for ${key}, but no file arrived; treating it as a miss.`);
      return undefined;
    }
    return this.file;
  }

  async save(key: string, file: string): Promise<boolean> {
    if (!cache.isFeatureAvailable()) return false;
    const restoreEnv = boundUploadMemory();
    try {
      const id = await cache.saveCache([file], key);
      if (id === -1) {
        this.logger.warn(
          `Image cache save for ${key} did not complete (see the messages above); the next job rebuilds or pulls.`,
        );
        return false;
      }
      return true;
    } catch (err) {
      this.logger.warn(`Image cache save for ${key} failed: ${(err as Error).message}`);
      return false;
    } finally {
      restoreEnv();
      rmSync(file, { force: true });
    }
  }

  discard(_key: string, file: string): Promise<void> {
    // An Actions cache entry cannot be deleted from a job; the bad one is just not used.
    rmSync(file, { force: true });
    return Promise.resolve();
  }
}

/**
 * Cache v2 uploads 8 blocks of 64 MiB in parallel (up to 512 MiB in flight).
 * Its env overrides (read per call) bring that to 2 × 32 MiB, so saving a
 * multi-GB image keeps the action's memory flat. A user's own settings win.
 */
function boundUploadMemory(): () => void {
  const set: string[] = [];
  for (const [k, v] of [
    ['CACHE_UPLOAD_CONCURRENCY', '2'],
    ['CACHE_UPLOAD_CHUNK_SIZE', '32'],
  ] as const) {
    if (!process.env[k]) {
      process.env[k] = v;
      set.push(k);
    }
  }
  return () => set.forEach((k) => delete process.env[k]);
}
