import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { UserError } from '../errors.js';

// The workspace is the one host directory the sandbox sees. Two ways it
// could carry more than the repository: being too wide a directory, and
// actions/checkout's persisted token in .git/config.

const CREDENTIAL_PATTERNS: Array<[RegExp, string]> = [
  [/^\s*extraheader\s*=\s*AUTHORIZATION:/im, 'an http extraheader with an Authorization header'],
  [/https?:\/\/[^\s/@:]+:[^\s/@]+@/i, 'a URL with a user name and password or token'],
];

/** What in a .git/config would hand a credential to the agent. Pure. */
export function persistedCredentials(gitConfig: string): string[] {
  return CREDENTIAL_PATTERNS.filter(([re]) => re.test(gitConfig)).map(([, what]) => what);
}

const isWithin = (child: string, parent: string) => {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && rel !== '..');
};

/** Directories too wide to mount: the root, system directories, a home or anything containing one. Pure. */
export function tooWide(workspace: string, home: string | undefined): string | undefined {
  const ws = resolve(workspace);
  if (ws === '/') return 'it is the root of the file system';
  for (const sys of ['/etc', '/var/run', '/run', '/proc', '/sys', '/dev', '/root', '/boot', '/usr']) {
    if (isWithin(ws, sys)) return `it is inside ${sys}`;
  }
  if (home && home !== '/' && isWithin(resolve(home), ws)) return `it contains the home directory ${home}`;
  return undefined;
}

/** Fails before anything starts when the workspace would expose more than the repository, or cannot be used. */
export function checkWorkspace(
  workspace: string,
  env: NodeJS.ProcessEnv,
  access: 'read-write' | 'read-only' = 'read-only',
): void {
  const st = existsSync(workspace) ? statSync(workspace) : undefined;
  if (!st?.isDirectory()) {
    throw new UserError(`the workspace ${workspace} is not a directory.`, {
      where: 'input "workspace"',
      fix: 'check out the repository first (actions/checkout), or pass an existing directory.',
    });
  }
  const wide = tooWide(workspace, env.HOME);
  if (wide) {
    throw new UserError(`refusing to mount ${workspace} into the sandbox: ${wide}.`, {
      where: 'input "workspace"',
      fix: 'point it at the repository checkout only (the default is GITHUB_WORKSPACE).',
    });
  }
  // The sandbox runs as the workspace's owner, never as root (then as uid 1000):
  // a root-owned checkout could only be read.
  if (access === 'read-write' && st.uid === 0) {
    throw new UserError(`the workspace ${workspace} is owned by root, so the agent could not write to it.`, {
      where: 'input "workspace"',
      fix: `give it to a regular user (e.g. \`chown -R 1000:1000 ${workspace}\`), or use workspace-access: read-only.`,
    });
  }
  const gitConfig = join(workspace, '.git', 'config');
  if (existsSync(gitConfig) && statSync(gitConfig).isFile()) {
    const found = persistedCredentials(readFileSync(gitConfig, 'utf8'));
    if (found.length > 0) {
      throw new UserError(
        `${gitConfig} holds ${found.join(' and ')}: the agent would be able to read it and push with your token.`,
        {
          where: 'the workspace',
          fix: 'check out with `persist-credentials: false` (actions/checkout) and authenticate later steps yourself (e.g. `gh auth setup-git`).',
        },
      );
    }
  }
}
