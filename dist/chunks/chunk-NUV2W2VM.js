import { createRequire as __nemoclawCreateRequire } from 'node:module'; const require = __nemoclawCreateRequire(import.meta.url);

// src/paths.ts
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
function findRoot(start) {
  let dir = start;
  for (; ; ) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, "utf8")).name === "nemoclaw-action") {
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`nemoclaw-action: package root not found above ${start}`);
    dir = parent;
  }
}
var packageRoot = findRoot(dirname(fileURLToPath(import.meta.url)));
function assetPath(...parts) {
  return join(packageRoot, ...parts);
}

export {
  packageRoot,
  assetPath
};
