// Registers gVisor with this host's Docker engine: merges runsc into
// /etc/docker/daemon.json and has the running engine reload it (dockerd
// re-reads its runtimes on SIGHUP; running containers are not touched).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import { withGvisorRuntime } from './gvisor.js';

export const DAEMON_JSON = '/etc/docker/daemon.json';
const DOCKERD_PID = '/var/run/docker.pid';

export function findRunsc(): string | undefined {
  for (const p of ['/usr/bin/runsc', '/usr/local/bin/runsc', '/usr/sbin/runsc']) if (existsSync(p)) return p;
  return undefined;
}

/** Returns whether daemon.json changed (and the engine was told to reload it). */
export function registerGvisor(path = DAEMON_JSON): boolean {
  const runsc = findRunsc();
  if (!runsc) {
    throw new UserError('gVisor (runsc) is not installed.', {
      where: 'this host',
      fix: 'install it (Debian: apt-get install runsc; elsewhere: https://gvisor.dev/docs/user_guide/install/), then run this again.',
    });
  }
  let current: Record<string, unknown> = {};
  if (existsSync(path)) {
    try {
      current = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    } catch (cause) {
      throw new UserError(`${path} is not valid JSON.`, {
        where: path,
        fix: 'fix or remove the file, then run this again.',
        cause,
      });
    }
  }
  const { config, changed } = withGvisorRuntime(current, runsc);
  if (!changed) return false;
  try {
    writeFileSync(path, JSON.stringify(config, null, 2) + '\n');
  } catch (cause) {
    throw new UserError(`cannot write ${path}.`, { where: path, fix: 'run it as root (sudo).', cause });
  }
  if (existsSync(DOCKERD_PID)) {
    execFileSync('kill', ['-HUP', readFileSync(DOCKERD_PID, 'utf8').trim()]);
  }
  return true;
}
