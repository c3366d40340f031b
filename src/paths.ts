import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The shipped data (blueprints/, policies/, examples/, sandbox/ assets) sits at
// the package root. Code runs from src/ under tests and from dist/<entry>/ when
// bundled, so find the root by walking up instead of assuming a depth.
function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (
      existsSync(pkg) &&
      (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'nemoclaw-action'
    ) {
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`nemoclaw-action: package root not found above ${start}`);
    dir = parent;
  }
}

export const packageRoot = findRoot(dirname(fileURLToPath(import.meta.url)));

export function assetPath(...parts: string[]): string {
  return join(packageRoot, ...parts);
}
