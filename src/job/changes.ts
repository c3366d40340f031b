import { Writable } from 'node:stream';
import type { Sandbox } from '../sandbox/lifecycle.js';
import { Capture } from './capture.js';

// What the agent changed in the workspace, computed INSIDE the sandbox: the
// repository is untrusted after the agent ran (hooks, filters, fsmonitor in
// .git/config), so no git command runs on it on the host.

const GIT = "git -c safe.directory='*' -c core.fsmonitor= -c core.hooksPath=/dev/null -c core.quotepath=off";

/** Changed and untracked paths, NUL-separated, relative to the workspace. Writes nothing. */
export const CHANGED_FILES_SCRIPT = `cd /sandbox/workspace && ${GIT} rev-parse --is-inside-work-tree >/dev/null 2>&1 || exit 3
{ ${GIT} diff -z --name-only HEAD 2>/dev/null || ${GIT} diff -z --name-only; ${GIT} ls-files -z --others --exclude-standard; }`;

/** The patch: tracked changes against HEAD plus every untracked file as an addition. Writes nothing. */
export const PATCH_SCRIPT = `cd /sandbox/workspace && { ${GIT} diff --binary HEAD 2>/dev/null || ${GIT} diff --binary; }
${GIT} ls-files -z --others --exclude-standard | while IFS= read -r -d '' f; do ${GIT} diff --binary --no-index /dev/null "$f"; done; exit 0`;

export interface Changes {
  /** undefined when the workspace is not a git repository. */
  files: string[] | undefined;
  patch: string;
}

const sink = () => new Writable({ write: (_c, _e, done) => done() });

/** Parses NUL-separated paths into a sorted, de-duplicated list. Pure. */
export function parseChangedFiles(nulSeparated: string): string[] {
  return [...new Set(nulSeparated.split('\0').filter(Boolean))].sort();
}

export async function collectChanges(sandbox: Sandbox, timeoutMs = 60_000): Promise<Changes> {
  const names = new Capture(4 * 1024 * 1024);
  const listed = await sandbox.exec(['bash', '-c', CHANGED_FILES_SCRIPT], {
    stdout: names,
    stderr: sink(),
    timeoutMs,
  });
  if (listed.exitCode === 3) return { files: undefined, patch: '' };
  const files = parseChangedFiles(names.text());
  if (files.length === 0) return { files, patch: '' };
  const patch = new Capture(64 * 1024 * 1024);
  await sandbox.exec(['bash', '-c', PATCH_SCRIPT], { stdout: patch, stderr: sink(), timeoutMs });
  return { files, patch: patch.text() };
}
