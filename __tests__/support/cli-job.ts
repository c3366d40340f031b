// Runs the job through the bundled CLI (dist/cli), as a user or the action
// would, and checks what every job must leave behind: no container, and a
// complete, verifiable audit log.
import Docker from 'dockerode';
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyAuditDir } from '../../src/audit/read.js';
import { Label } from '../../src/constants.js';

export const root = join(import.meta.dirname, '..', '..');
const docker = new Docker();

/** A copy of examples/sample-repo owned by uid 1000, as a checkout would be. */
export function workspace(): string {
  const ws = mkdtempSync(join(tmpdir(), 'nemoclaw-fail-ws-'));
  cpSync(join(root, 'examples', 'sample-repo'), ws, { recursive: true });
  execFileSync('chown', ['-R', '1000:1000', ws]);
  return ws;
}

export interface Run {
  code: number | null;
  out: string;
  result:
    { status: string; reason: string; jobId: string; auditDir: string; changedFiles: string[] } | undefined;
}

export function run(
  args: string[],
  opts: { killAfterMs?: number; onAgent?: () => void; env?: NodeJS.ProcessEnv } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'dist', 'cli', 'index.js'), 'run', '--json', ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...opts.env },
    });
    let stdout = '';
    let out = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      out += c.toString();
      // Cancel once the agent is running, as a runner does on a cancelled workflow.
      if (opts.killAfterMs && out.includes('Agent: openclaw agent exec') && !child.killed) {
        setTimeout(() => child.kill('SIGTERM'), opts.killAfterMs);
        opts.killAfterMs = undefined;
      }
      if (opts.onAgent && out.includes('Agent: openclaw agent exec')) {
        opts.onAgent();
        opts.onAgent = undefined;
      }
    });
    const guard = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      let result: Run['result'];
      try {
        result = JSON.parse(stdout) as Run['result'];
      } catch {
        result = undefined;
      }
      resolve({ code, out, result });
    });
  });
}

export async function expectCleanEnd(r: Run): Promise<void> {
  expect(r.result).toBeDefined();
  const left = await docker.listContainers({
    all: true,
    filters: { label: [`${Label.Job}=${r.result!.jobId}`] },
  });
  expect(left).toEqual([]);
  expect(verifyAuditDir(r.result!.auditDir)).toEqual([]);
  expect(readFileSync(join(r.result!.auditDir, 'lifecycle.jsonl'), 'utf8')).toContain('"job_end"');
}
