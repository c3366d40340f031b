// `blueprint` (+ optional `blueprint-digest`) → a verified blueprint directory.
// Nothing of a blueprint is used before its digest has been checked here.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve as resolvePath } from 'node:path';
import { UserError } from '../errors.js';
import type { Logger } from '../log.js';
import { assetPath } from '../paths.js';
import { describeDiff, diffFiles, digestDir, sha256Hex, type FileHashes } from './digest.js';
import { loadBlueprintSpec, loadIndex } from './load.js';
import { checkPlatform } from './platform.js';
import { parseBlueprintRef, parseDigestPin, type BlueprintRef } from './ref.js';
import { downloadBlueprint, findCached } from './remote.js';
import { enforceRequirements, type RunnerFacts } from './requirements.js';
import type { BlueprintIndex, BlueprintSpec, Platform } from './schema.js';

export interface ResolvedBlueprint {
  name: string;
  version: string;
  /** What the user asked for, as given (`openclaw@latest`, a path, a URL). */
  ref: string;
  source: BlueprintRef['kind'];
  /** The verified directory (read-only from here on). */
  dir: string;
  /** Canonical digest of `dir` (src/blueprint/digest.ts). */
  digest: string;
  files: FileHashes;
  spec: BlueprintSpec;
  /** Absolute path of the default policy, its digest checked. */
  policyPath: string;
  /** Absolute path of the build recipe's inputs, when the blueprint has one. */
  buildDir?: string;
  platform: Platform;
  /** Requirements the runner does not meet (warned about); empty when all are met. */
  unmet: string[];
}

export interface ResolveOptions {
  /** The `blueprint` input; empty = openclaw@latest. */
  ref: string;
  /** The `blueprint-digest` input; empty = no pin (required for URLs). */
  digest?: string;
  logger: Logger;
  /** Where published blueprints and index.yaml live (default: the shipped blueprints/). */
  blueprintsDir?: string;
  /** Base for relative paths (default: GITHUB_WORKSPACE or the current directory). */
  cwd?: string;
  os?: string;
  arch?: string;
  /** Runner facts for the requirements check; omitted = no check. */
  runner?: RunnerFacts;
}

function mismatch(label: string, expected: string, actual: string, files: string, fix: string): UserError {
  return new UserError(
    `blueprint ${label} failed verification: expected digest ${expected}, actual ${actual} (${files})`,
    { where: label, fix },
  );
}

function publishedEntry(index: BlueprintIndex | undefined, name: string, version: string) {
  return index?.blueprints[name]?.versions[version];
}

/** A path inside the blueprint that must not escape it (policy, build dir). */
function inside(dir: string, rel: string, field: string): string {
  const abs = resolvePath(dir, rel);
  const r = relative(dir, abs);
  if (r.startsWith('..') || isAbsolute(r)) {
    throw new UserError(`${field} points outside the blueprint directory: ${rel}`, {
      where: `${join(dir, 'blueprint.yaml')} ${field}`,
      fix: 'keep every file the blueprint uses inside its directory, so the digest covers it',
    });
  }
  return abs;
}

async function locate(
  ref: BlueprintRef,
  opts: ResolveOptions,
  pin: string | undefined,
  index: () => BlueprintIndex,
): Promise<{ dir: string; keep?: (digest: string) => Promise<string>; discard?: () => void }> {
  switch (ref.kind) {
    case 'index': {
      const entry = index().blueprints[ref.name];
      if (!entry) {
        throw new UserError(`no published blueprint named "${ref.name}"`, {
          where: 'input "blueprint"',
          fix: `use one of: ${Object.keys(index().blueprints).join(', ')} (see \`nemoclaw blueprint list\`)`,
        });
      }
      const version = ref.version === 'latest' ? entry.latest : ref.version;
      if (!entry.versions[version]) {
        throw new UserError(`${ref.name}@${version} is not published`, {
          where: 'input "blueprint"',
          fix: `use one of: ${Object.keys(entry.versions)
            .map((v) => `${ref.name}@${v}`)
            .join(', ')}`,
        });
      }
      return { dir: join(opts.blueprintsDir ?? assetPath('blueprints'), ref.name, version) };
    }
    case 'path': {
      const dir = resolvePath(opts.cwd ?? process.env.GITHUB_WORKSPACE ?? process.cwd(), ref.path);
      if (!existsSync(dir) || !statSync(dir).isDirectory()) {
        throw new UserError(`blueprint directory not found: ${dir}`, {
          where: 'input "blueprint"',
          fix: 'give a directory holding blueprint.yaml, or NAME@VERSION of a published blueprint',
        });
      }
      return { dir };
    }
    case 'url': {
      if (!pin) {
        throw new UserError('a blueprint from a URL needs its digest', {
          where: 'input "blueprint-digest"',
          fix: 'set blueprint-digest: sha256:… (run `nemoclaw blueprint verify DIR` on the unpacked tarball)',
        });
      }
      const cached = findCached(pin);
      if (cached) {
        opts.logger.info(`Blueprint ${pin} found in the tool cache (${cached})`);
        return { dir: cached };
      }
      return downloadBlueprint(ref.url, opts.logger);
    }
  }
}

/** Resolves, verifies and checks a blueprint; throws UserError on any mismatch. */
export async function resolveBlueprint(opts: ResolveOptions): Promise<ResolvedBlueprint> {
  const ref = parseBlueprintRef(opts.ref);
  const pin = parseDigestPin(opts.digest);
  const blueprintsDir = opts.blueprintsDir ?? assetPath('blueprints');
  let cachedIndex: BlueprintIndex | undefined;
  const index = () => (cachedIndex ??= loadIndex(blueprintsDir));
  const found = await locate(ref, opts, pin, index);
  try {
    const { digest, files } = await digestDir(found.dir);
    if (!existsSync(join(found.dir, 'blueprint.yaml'))) {
      throw new UserError(`no blueprint.yaml in ${found.dir}`, {
        where: 'input "blueprint"',
        fix: 'point at the directory that contains blueprint.yaml',
      });
    }
    const spec = loadBlueprintSpec(found.dir);
    const label = `${spec.name}@${spec.version}`;
    const published =
      ref.kind === 'index' ? publishedEntry(index(), spec.name, spec.version) : safeEntry(index, spec);

    if (ref.kind === 'index') {
      if (`${ref.name}` !== spec.name || (ref.version !== 'latest' && ref.version !== spec.version)) {
        throw new UserError(
          `blueprint.yaml says ${label}, but it sits in the directory of ${ref.name}@${ref.version}`,
          {
            where: join(found.dir, 'blueprint.yaml'),
            fix: 'name and version in blueprint.yaml must match the directory blueprints/NAME/VERSION',
          },
        );
      }
      if (published && published.digest !== digest) {
        throw mismatch(
          label,
          published.digest,
          digest,
          describeDiff(diffFiles(published.files, files)),
          'published blueprints are immutable: restore the files from git, or publish the change as a new version',
        );
      }
    } else if (published && published.digest !== digest) {
      opts.logger.warn(
        `blueprint ${found.dir} claims ${label}, which is published with a different digest (${describeDiff(diffFiles(published.files, files))}); using it as given`,
      );
    }
    if (pin && pin !== digest) {
      const which = published
        ? describeDiff(diffFiles(published.files, files))
        : 'no per-file record to compare against';
      throw new UserError(
        `blueprint ${label} failed verification: expected digest ${pin}, actual ${digest} (${which})`,
        {
          where: 'input "blueprint-digest"',
          fix: `if you trust these contents, pin ${digest}; otherwise find out who changed the blueprint`,
        },
      );
    }
    const policyPath = inside(found.dir, spec.policy.path, 'policy.path');
    const policyDigest = `sha256:${sha256Hex(readFileSync(policyPath))}`;
    if (policyDigest !== spec.policy.digest) {
      throw new UserError(
        `default policy ${spec.policy.path}: expected digest ${spec.policy.digest}, actual ${policyDigest}`,
        {
          where: `${join(found.dir, 'blueprint.yaml')} policy.digest`,
          fix: 'set policy.digest to the sha256 of the policy file (`sha256sum`), in a new blueprint version',
        },
      );
    }
    const buildDir = spec.build ? inside(found.dir, spec.build.dir, 'build.dir') : undefined;
    const platform = checkPlatform(spec, opts.os ?? process.platform, opts.arch ?? process.arch);
    const unmet = opts.runner ? enforceRequirements(spec, opts.runner, opts.logger) : [];
    const dir = found.keep ? await found.keep(digest) : found.dir;
    opts.logger.info(`Blueprint ${label} verified: ${digest} (${Object.keys(files).length} files)`);
    return {
      name: spec.name,
      version: spec.version,
      ref: opts.ref,
      source: ref.kind,
      dir,
      digest,
      files,
      spec,
      policyPath: found.keep ? join(dir, relative(found.dir, policyPath)) : policyPath,
      ...(buildDir ? { buildDir: found.keep ? join(dir, relative(found.dir, buildDir)) : buildDir } : {}),
      platform,
      unmet,
    };
  } catch (err) {
    found.discard?.();
    throw err;
  }
}

/** A local directory may or may not be a copy of a published version; a missing index is fine then. */
function safeEntry(index: () => BlueprintIndex, spec: BlueprintSpec) {
  try {
    return publishedEntry(index(), spec.name, spec.version);
  } catch {
    return undefined;
  }
}
