// Remote blueprints: an http(s) .tar.gz, downloaded with @actions/tool-cache and
// kept in its tool cache under the blueprint's digest, so a second job on the
// runner (or the same job re-run) does not download again.
import * as tc from '@actions/tool-cache';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import type { Logger } from '../log.js';

const TOOL = 'nemoclaw-blueprint';

/** tool-cache reads these at call time; outside Actions (the CLI) give it homes of our own. */
export function ensureToolCacheEnv(): void {
  process.env.RUNNER_TOOL_CACHE ||= join(
    process.env.NEMOCLAW_CACHE_DIR ?? join(homedir(), '.cache', 'nemoclaw'),
    'tools',
  );
  process.env.RUNNER_TEMP ||= tmpdir();
  mkdirSync(process.env.RUNNER_TOOL_CACHE, { recursive: true });
}

/** tool-cache keys by semver; a digest fits as a pre-release tag. */
export const cacheVersion = (digest: string) => `0.0.0-${digest.replace(':', '-')}`;

export function findCached(digest: string): string | undefined {
  ensureToolCacheEnv();
  const dir = tc.find(TOOL, cacheVersion(digest));
  return dir || undefined;
}

/** A tarball holding one top-level directory means that directory is the blueprint. */
function blueprintRoot(extracted: string): string {
  const entries = readdirSync(extracted);
  if (entries.length === 1 && statSync(join(extracted, entries[0]!)).isDirectory())
    return join(extracted, entries[0]!);
  return extracted;
}

/** Downloads and unpacks; the caller verifies the digest before calling `keep`. */
export async function downloadBlueprint(
  url: string,
  logger: Logger,
): Promise<{ dir: string; keep: (digest: string) => Promise<string>; discard: () => void }> {
  ensureToolCacheEnv();
  let archive: string;
  try {
    archive = await tc.downloadTool(url);
  } catch (err) {
    throw new UserError(`cannot download the blueprint: ${(err as Error).message}`, {
      where: `input "blueprint" (${url})`,
      fix: 'check the URL is reachable from the runner and serves a .tar.gz',
      cause: err,
    });
  }
  logger.info(`Downloaded blueprint ${url} (${statSync(archive).size} bytes)`);
  let extracted: string;
  try {
    extracted = await tc.extractTar(archive, undefined, 'xz');
  } catch (err) {
    throw new UserError(`the blueprint download is not a gzip tarball: ${(err as Error).message}`, {
      where: `input "blueprint" (${url})`,
      fix: 'publish the blueprint directory as `tar -czf NAME-VERSION.tar.gz -C DIR .`',
      cause: err,
    });
  } finally {
    rmSync(archive, { force: true });
  }
  const dir = blueprintRoot(extracted);
  return {
    dir,
    keep: async (digest) => {
      const cached = await tc.cacheDir(dir, TOOL, cacheVersion(digest));
      rmSync(extracted, { recursive: true, force: true });
      return cached;
    },
    discard: () => rmSync(extracted, { recursive: true, force: true }),
  };
}
