// Where compressed images (`docker save | zstd`, one file per entry) are kept
// between jobs. Two homes behind one interface: @actions/cache on Actions, a
// directory for the CLI. Both only move files; verification is ensureImage's.
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface ImageCache {
  readonly kind: string;
  /** Where ensureImage writes a new entry before `save`. */
  pathFor(key: string): string;
  /** Path of the restored entry's file, or undefined on a miss (or a failed restore). */
  restore(key: string): Promise<string | undefined>;
  /** Stores the file under `key`; false (never a throw) when it could not. */
  save(key: string, file: string): Promise<boolean>;
  /** Forgets a bad entry: removes the local file and, where possible, the entry. */
  discard(key: string, file: string): Promise<void>;
}

export function defaultLocalCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.NEMOCLAW_CACHE_DIR ?? join(homedir(), '.cache', 'nemoclaw'), 'images');
}

/** A directory of `<key>.tar.zst` files, written atomically (temp name, then rename). */
export class LocalImageCache implements ImageCache {
  readonly kind = 'local';
  constructor(readonly dir: string = defaultLocalCacheDir()) {}

  private entry(key: string): string {
    return join(this.dir, `${key}.tar.zst`);
  }
  pathFor(key: string): string {
    mkdirSync(this.dir, { recursive: true });
    return `${this.entry(key)}.partial-${process.pid}`;
  }
  restore(key: string): Promise<string | undefined> {
    const file = this.entry(key);
    return Promise.resolve(existsSync(file) && statSync(file).size > 0 ? file : undefined);
  }
  save(key: string, file: string): Promise<boolean> {
    try {
      if (file !== this.entry(key)) renameSync(file, this.entry(key));
      return Promise.resolve(true);
    } catch {
      return Promise.resolve(false);
    }
  }
  discard(key: string, file: string): Promise<void> {
    rmSync(file, { force: true });
    rmSync(this.entry(key), { force: true });
    return Promise.resolve();
  }
}
