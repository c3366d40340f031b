// Published blueprint versions never change: every version listed in
// blueprints/index.yaml must still hash to its recorded digest and files.
// Used by CI (scripts/check-blueprints-immutable.mjs) and by `nemoclaw blueprint`.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { describeDiff, diffFiles, digestDir } from './digest.js';
import { INDEX_FILE, loadBlueprintSpec, loadIndex } from './load.js';
import { BlueprintIndex } from './schema.js';

export interface ImmutabilityProblem {
  blueprint: string;
  message: string;
}

/** Recomputes every published version; one problem per version that differs or is missing. */
export async function checkPublished(blueprintsDir: string): Promise<ImmutabilityProblem[]> {
  const index = loadIndex(blueprintsDir);
  const problems: ImmutabilityProblem[] = [];
  for (const [name, entry] of Object.entries(index.blueprints)) {
    if (!entry.versions[entry.latest]) {
      problems.push({
        blueprint: `${name}@latest`,
        message: `latest (${entry.latest}) is not a published version`,
      });
    }
    for (const [version, published] of Object.entries(entry.versions)) {
      const label = `${name}@${version}`;
      const dir = join(blueprintsDir, name, version);
      if (!existsSync(dir)) {
        problems.push({ blueprint: label, message: `directory ${dir} is missing` });
        continue;
      }
      const { digest, files } = await digestDir(dir);
      if (digest !== published.digest) {
        problems.push({
          blueprint: label,
          message: `expected digest ${published.digest}, actual ${digest}; ${describeDiff(diffFiles(published.files, files))}`,
        });
      }
    }
  }
  return problems;
}

/** Records `name@version` in index.yaml (refuses to overwrite a published version). */
export async function publishVersion(blueprintsDir: string, name: string, version: string): Promise<string> {
  const path = join(blueprintsDir, INDEX_FILE);
  const index: BlueprintIndex = existsSync(path)
    ? BlueprintIndex.parse(parse(readFileSync(path, 'utf8')))
    : { blueprints: {} };
  const dir = join(blueprintsDir, name, version);
  const spec = loadBlueprintSpec(dir);
  if (spec.name !== name || spec.version !== version) {
    throw new Error(`${dir}/blueprint.yaml says ${spec.name}@${spec.version}, not ${name}@${version}`);
  }
  const entry = (index.blueprints[name] ??= { latest: version, versions: {} });
  if (entry.versions[version])
    throw new Error(`${name}@${version} is already published; publish a new version`);
  const { digest, files } = await digestDir(dir);
  entry.versions[version] = { digest, files };
  entry.latest = Object.keys(entry.versions).sort(compareSemver).at(-1)!;
  const header =
    '# Published blueprint versions: digest of each version directory and sha256 of each file\n' +
    '# (encoding in docs/blueprints.md). Written by `node scripts/check-blueprints-immutable.mjs --publish`;\n' +
    '# CI fails if a listed version changes.\n';
  writeFileSync(path, header + stringify(index, { lineWidth: 0 }));
  return digest;
}

function compareSemver(a: string, b: string): number {
  const pa = a.split(/[.+-]/).map((x) => Number(x));
  const pb = b.split(/[.+-]/).map((x) => Number(x));
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return a.length === b.length ? a.localeCompare(b) : b.length - a.length;
}

/**
 * Versions published in `base` (e.g. index.yaml on the main branch) must stay in
 * `current` with the same digest: editing a version's files together with its
 * index entry is still a change to a published version. Pure.
 */
export function compareIndexes(base: BlueprintIndex, current: BlueprintIndex): ImmutabilityProblem[] {
  const problems: ImmutabilityProblem[] = [];
  for (const [name, entry] of Object.entries(base.blueprints)) {
    for (const [version, published] of Object.entries(entry.versions)) {
      const now = current.blueprints[name]?.versions[version];
      const label = `${name}@${version}`;
      if (!now)
        problems.push({ blueprint: label, message: 'was published and is no longer listed in index.yaml' });
      else if (now.digest !== published.digest) {
        problems.push({
          blueprint: label,
          message: `index.yaml entry changed from ${published.digest} to ${now.digest}; ${describeDiff(diffFiles(published.files, now.files))}`,
        });
      }
    }
  }
  return problems;
}

export function parseIndexText(text: string): BlueprintIndex {
  return BlueprintIndex.parse(parse(text));
}

/** For the CI script: the same loader the action uses. */
export const loadIndexForScript = loadIndex;
