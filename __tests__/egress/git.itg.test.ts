// Real `git` from the host through the proxy's L7 inspection: clone allowed,
// push refused on the same host by method/path; the same push through a proxy
// whose policy allows git-receive-pack succeeds (so the denial is the proxy's).
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryAuditSink } from '../../src/audit/events.js';
import { startEgressProxy, type EgressProxy } from '../../src/egress/proxy.js';
import { gitReadPolicy, startGitFixture, type GitFixture } from './git-server.js';
import { run, tmp } from './helpers.js';

const dir = tmp('git');
let srv: GitFixture;
const proxies: EgressProxy[] = [];

async function proxyWith(rules: string, audit = new MemoryAuditSink()) {
  const p = await startEgressProxy({
    policy: gitReadPolicy('git.test', srv.port, rules),
    port: 0,
    audit,
    caCertPath: join(dir, `ca-${proxies.length}.pem`),
    upstreamCa: srv.upstreamCaPem,
    resolver: async () => ['127.0.0.1'],
  });
  proxies.push(p);
  return p;
}

const git = (p: EgressProxy, args: string[], cwd?: string) =>
  run(
    'git',
    [
      '-c',
      `http.proxy=http://127.0.0.1:${p.port}`,
      '-c',
      `http.sslCAInfo=${p.caCertPath}`,
      '-c',
      'user.name=t',
      '-c',
      'user.email=t@t',
      ...args,
    ],
    { GIT_TERMINAL_PROMPT: '0' },
    cwd,
  );

beforeAll(async () => {
  srv = await startGitFixture(dir, 'git.test');
});

afterAll(async () => {
  for (const p of proxies) await p.close();
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});

test('git clone through L7 inspection is allowed, git push on the same host is denied', async () => {
  const audit = new MemoryAuditSink();
  const p = await proxyWith('', audit);
  const work = join(dir, 'clone1');
  const clone = await git(p, ['clone', '-q', `https://git.test:${srv.port}/repo.git`, work]);
  expect(clone.stderr).toBe('');
  expect(clone.code).toBe(0);
  writeFileSync(join(work, 'README'), 'changed\n');
  await run('git', ['-C', work, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam', 'change']);
  const push = await git(p, ['push', 'origin', 'main'], work);
  expect(push.code).not.toBe(0);
  expect(push.stderr).toMatch(/403/);
  const events = audit.of('egress');
  expect(events).toContainEqual(
    expect.objectContaining({ activity: 'allow', method: 'POST', path: '/repo.git/git-upload-pack' }),
  );
  expect(events).toContainEqual(
    expect.objectContaining({
      activity: 'deny',
      layer: 'l7',
      method: 'POST',
      path: '/repo.git/git-receive-pack',
    }),
  );
  expect(p.summary().suggestedPatch).toContain('path: /repo.git/git-receive-pack');
});

test('the same push through a policy that allows git-receive-pack succeeds', async () => {
  const p = await proxyWith('          - allow: { method: POST, path: "/*.git/git-receive-pack" }\n');
  const work = join(dir, 'clone2');
  expect((await git(p, ['clone', '-q', `https://git.test:${srv.port}/repo.git`, work])).code).toBe(0);
  writeFileSync(join(work, 'README'), 'pushed\n');
  await run('git', ['-C', work, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam', 'push me']);
  const push = await git(p, ['push', '-q', 'origin', 'main'], work);
  expect(push.stderr).toBe('');
  expect(push.code).toBe(0);
});
