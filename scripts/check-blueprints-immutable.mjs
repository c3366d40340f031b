#!/usr/bin/env node
// CI check: every version listed in blueprints/index.yaml still hashes to its
// recorded digest; names the files that changed. Exit 0 = all intact.
//   node scripts/check-blueprints-immutable.mjs [--dir blueprints] [--base GIT_REF]
//     --base: also require every version published in GIT_REF's index.yaml (e.g. origin/main)
//             to keep its digest, so a PR cannot edit a version and its index entry together
//   node scripts/check-blueprints-immutable.mjs --publish NAME@VERSION   (records a new version)
// The logic lives in src/blueprint/immutable.ts; it is bundled on the fly (like bench/run.mjs)
// so the digest code exists once.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const dir = resolve(opt('--dir') ?? join(root, 'blueprints'));
const publish = opt('--publish');
const base = opt('--base');

const tmp = mkdtempSync(join(tmpdir(), 'nemoclaw-immutable-'));
try {
  const outfile = join(tmp, 'immutable.mjs');
  await build({
    entryPoints: [join(root, 'src/blueprint/immutable.ts')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
  });
  const { checkPublished, compareIndexes, parseIndexText, publishVersion, loadIndexForScript } = await import(
    pathToFileURL(outfile).href
  );
  if (publish) {
    const [name, version] = publish.split('@');
    const digest = await publishVersion(dir, name, version);
    console.log(`published ${name}@${version}: ${digest}`);
  } else {
    const problems = await checkPublished(dir);
    if (base) {
      const rel = relative(root, join(dir, 'index.yaml'));
      const text = execFileSync('git', ['show', `${base}:${rel}`], { cwd: root, encoding: 'utf8' });
      problems.push(...compareIndexes(parseIndexText(text), loadIndexForScript(dir)));
    }
    for (const p of problems) console.error(`${p.blueprint}: ${p.message}`);
    if (problems.length) {
      console.error(
        `\n${problems.length} published blueprint version(s) changed. Published versions are immutable: ` +
          'restore them from git and put the change in a new version directory (then --publish it).',
      );
      process.exitCode = 1;
    } else {
      console.log(`blueprints intact (${dir})`);
    }
  }
} catch (err) {
  console.error(`check-blueprints-immutable: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
