// Bundles the action's two entry points and the CLI into dist/. Output must be
// byte-identical for the same sources: CI rebuilds and diffs it (check-dist).
import { build } from 'esbuild';
import { readFile, rm } from 'node:fs/promises';

await rm('dist', { recursive: true, force: true });
await build({
  entryPoints: {
    'main/index': 'src/main.ts',
    'post/index': 'src/post.ts',
    'cli/index': 'src/cli/index.ts',
  },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  format: 'esm',
  platform: 'node',
  target: 'node24',
  legalComments: 'none',
  define: {
    NEMOCLAW_VERSION: JSON.stringify(JSON.parse(await readFile('package.json', 'utf8')).version),
    // CommonJS packages read __dirname/__filename (ssh2, via dockerode, at load time).
    // define replaces only free uses, so modules that declare their own keep them.
    __dirname: 'import.meta.dirname',
    __filename: 'import.meta.filename',
  },
  logLevel: 'warning',
  // Optional native add-ons of ssh2 (pulled in by docker-modem) are loaded in a
  // try/catch; the pure-JS fallback is what runs.
  external: ['cpu-features', '*.node'],
  // Some bundled CommonJS packages call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __nemoclawCreateRequire } from 'node:module'; const require = __nemoclawCreateRequire(import.meta.url);",
  },
});
