// Runs one benchmark: `node bench/run.mjs NAME [args]` bundles bench/NAME.bench.ts
// with esbuild (the same way dist/ is built) and runs it under this Node.
// Each benchmark prints one JSON object with its ratios against a baseline
// measured in the same run. BENCH_PROF=DIR writes a CPU profile of every
// process and thread to DIR.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [name, ...args] = process.argv.slice(2);
if (!name) {
  console.error('usage: node bench/run.mjs NAME [args...]  (runs bench/NAME.bench.ts)');
  process.exit(2);
}
const outfile = join(mkdtempSync(join(tmpdir(), 'nemoclaw-bench-')), `${name}.mjs`);
await build({
  entryPoints: [`bench/${name}.bench.ts`],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  logLevel: 'warning',
  define: { __dirname: 'import.meta.dirname', __filename: 'import.meta.filename' },
  external: ['cpu-features', '*.node'],
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
});
const run = spawnSync(
  process.execPath,
  [
    ...(process.env.BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.BENCH_PROF] : []),
    '--expose-gc',
    outfile,
    ...args,
  ],
  {
    stdio: 'inherit',
    cwd: process.cwd(),
  },
);
process.exit(run.status ?? 1);
