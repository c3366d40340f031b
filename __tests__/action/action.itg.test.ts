import { DefaultArtifactClient } from '@actions/artifact';
import Docker from 'dockerode';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { Label } from '../../src/constants.js';
import { verifyAuditDir } from '../../src/audit/read.js';
import { applyEnv, startActionsServices, type ActionsServices } from '../support/actions-services.js';

// The action as the runner runs it: the bundled dist/main and dist/post in
// child processes, inputs as INPUT_* variables, the runner's command files,
// the real sandbox and the replay model, and the audit artifact uploaded to
// local stand-ins of the artifact service and blob storage.

const root = join(import.meta.dirname, '..', '..');
const docker = new Docker();

/** Parses the runner's `name<<delimiter … delimiter` command files (GITHUB_OUTPUT, GITHUB_STATE). */
function parseCommandFile(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = existsSync(path) ? readFileSync(path, 'utf8').split('\n') : [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i]!);
    if (!m) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i]!);
    out[m[1]!] = value.join('\n');
  }
  return out;
}

function runNode(
  script: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, script)], {
      env,
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

interface Step {
  code: number | null;
  out: string;
  outputs: Record<string, string>;
  summary: string;
  state: Record<string, string>;
}

async function runAction(
  inputs: Record<string, string>,
  services: ActionsServices,
  temp: string,
): Promise<{ main: Step; post: Step }> {
  const files = {
    GITHUB_OUTPUT: join(temp, 'output'),
    GITHUB_STEP_SUMMARY: join(temp, 'summary'),
    GITHUB_STATE: join(temp, 'state'),
  };
  for (const f of Object.values(files)) writeFileSync(f, '');
  const base: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    RUNNER_TEMP: temp,
    GITHUB_RUN_ID: '1234',
    GITHUB_WORKSPACE: inputs.workspace,
    ...services.env,
    ...files,
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
  };
  const main = await runNode('dist/main/index.js', base, 240_000);
  const state = parseCommandFile(files.GITHUB_STATE);
  const stateEnv = Object.fromEntries(Object.entries(state).map(([k, v]) => [`STATE_${k}`, v]));
  const summary = readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8');
  const outputs = parseCommandFile(files.GITHUB_OUTPUT);
  const post = await runNode('dist/post/index.js', { ...base, ...stateEnv }, 120_000);
  return {
    main: { ...main, outputs, summary, state },
    post: { ...post, outputs: {}, summary: '', state: {} },
  };
}

function sampleWorkspace(): string {
  const ws = mkdtempSync(join(tmpdir(), 'nemoclaw-e2e-ws-'));
  cpSync(join(root, 'examples', 'sample-repo'), ws, { recursive: true });
  const git = (...args: string[]) => execFileSync('git', ['-C', ws, ...args], { stdio: 'ignore' });
  git('init', '-q');
  git('-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'add', '-A');
  git('-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-qm', 'sample');
  // The runner's user, not root, owns a checkout.
  execFileSync('chown', ['-R', '1001:1001', ws]);
  return ws;
}

describe('the action, bundled, end to end', () => {
  let services: ActionsServices;
  let undo: () => void;
  beforeAll(async () => {
    services = await startActionsServices();
    undo = applyEnv(services.env);
  }, 60_000);
  afterAll(async () => {
    undo?.();
    await services?.close();
  });

  it('fixes the sample repo with the replay model, reports, and uploads a complete audit artifact', async () => {
    const temp = mkdtempSync(join(tmpdir(), 'nemoclaw-e2e-'));
    const ws = sampleWorkspace();
    const { main, post } = await runAction(
      {
        task: 'The test in test.js fails. Fix the bug so that `node test.js` passes.',
        workspace: ws,
        provider: 'replay',
        'replay-script': 'examples/replay/fix-failing-test.yaml',
        'max-requests': '30',
        'audit-artifact-name': 'nemoclaw-audit-e2e',
      },
      services,
      temp,
    );
    const o = main.outputs;
    // The replay script tries one undeclared host: enforce mode blocks it and says so.
    expect({ status: o.status, denied: o['denied-hosts'] }).toEqual({
      status: 'policy-violation',
      denied: 'registry.npmjs.org',
    });
    expect(main.code).toBe(1);
    expect(o['changed-files']).toContain('src/math.js');
    expect(readFileSync(o.patch!, 'utf8')).toContain('+++ b/src/math.js');
    expect(Number(o.requests)).toBeGreaterThan(1);
    expect(o['blueprint-digest']).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(o['image-id']).toMatch(/^sha256:/);
    expect(main.out).toContain('::warning');
    expect(main.summary).toContain('policy violation');
    expect(main.summary).toContain('registry.npmjs.org');
    expect(main.summary).toContain('```yaml');
    // The fix is real: the test passes on the host now.
    execFileSync(process.execPath, [join(ws, 'test.js')], { cwd: ws });

    expect(post.code).toBe(0);
    const auditDir = o['audit-path']!;
    expect(verifyAuditDir(auditDir)).toEqual([]);
    const names = readdirSync(auditDir).sort();
    expect(names).toEqual(
      expect.arrayContaining([
        'config.jsonl',
        'egress.jsonl',
        'inference.jsonl',
        'lifecycle.jsonl',
        'manifest.json',
      ]),
    );
    expect(readFileSync(join(auditDir, 'lifecycle.jsonl'), 'utf8')).toContain('post_cleanup');

    // Nothing of the job is left running.
    const left = await docker.listContainers({
      all: true,
      filters: { label: [`${Label.Job}=${main.state['job-id']}`] },
    });
    expect(left).toEqual([]);

    // The artifact arrived whole.
    const client = new DefaultArtifactClient();
    const { artifacts } = await client.listArtifacts();
    const art = artifacts.find((a) => a.name === 'nemoclaw-audit-e2e');
    expect(art).toBeDefined();
    const down = mkdtempSync(join(tmpdir(), 'nemoclaw-e2e-down-'));
    await client.downloadArtifact(art!.id, { path: down });
    expect(readdirSync(down).sort()).toEqual(names);
    expect(verifyAuditDir(down)).toEqual([]);
  }, 300_000);

  it('fails before anything starts on a bad input, naming it, and post has nothing to do', async () => {
    const temp = mkdtempSync(join(tmpdir(), 'nemoclaw-e2e-'));
    const ws = sampleWorkspace();
    const { main, post } = await runAction(
      { task: 'x', workspace: ws, 'max-cost-usd': 'lots' },
      services,
      temp,
    );
    expect(main.code).toBe(1);
    expect(main.out).toContain('::error::input "max-cost-usd"');
    expect(main.out).not.toMatch(/\n\s+at /); // no stack trace
    expect(post.code).toBe(0);
    expect(post.out).toContain('nothing to clean up');
  }, 60_000);
});
