// Real `git` from the host through the proxy's L7 inspection: clone allowed,
// push refused on the same host by method/path; the same push through a proxy
// whose policy allows git-receive-pack succeeds (so the denial is the proxy's).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { MemoryAuditSink } from '../../src/audit/events.js';
import { startEgressProxy, type EgressProxy } from '../../src/egress/proxy.js';
import { parsePolicyText } from '../../src/policy/load.js';
import { gitHttpServer } from './git-server.js';
import { close, listen, run, tmp, upstreamTls } from './helpers.js';

const dir = tmp('git');
const up = upstreamTls(['git.test']);
let server: Server;
let port = 0;
const proxies: EgressProxy[] = [];

const policyFor = (rules: string) =>
  parsePolicyText(
    `version: 1
network_policies:
  git:
    endpoints:
      - host: git.test
        port: PORT
        protocol: rest
        access: read-only
        allowed_ips: ["127.0.0.0/8"]
        rules:
          - allow: { method: POST, path: "/*.git/git-upload-pack" }
${rules}`.replace('PORT', String(port)),
    'git.yaml',
  );

async function proxyWith(rules: string, audit = new MemoryAuditSink()) {
  const p = await startEgressProxy({
    policy: policyFor(rules),
    port: 0,
    audit,
    caCertPath: join(dir, `ca-${proxies.length}.pem`),
    upstreamCa: up.caPem,
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
  const root = join(dir, 'srv');
  mkdirSync(root);
  await run('git', ['init', '-q', '--bare', '-b', 'main', join(root, 'repo.git')]);
  await run('git', ['-C', join(root, 'repo.git'), 'config', 'http.receivepack', 'true']);
  const seed = join(dir, 'seed');
  await run('git', ['init', '-q', '-b', 'main', seed]);
  writeFileSync(join(seed, 'README'), 'hello\n');
  await run('git', ['-C', seed, 'add', '.']);
  await run('git', ['-C', seed, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'seed']);
  await run('git', ['-C', seed, 'push', '-q', join(root, 'repo.git'), 'main']);
  server = gitHttpServer(root, up.cert);
  port = await listen(server);
});

afterAll(async () => {
  for (const p of proxies) await p.close();
  await close(server);
});

test('git clone through L7 inspection is allowed, git push on the same host is denied', async () => {
  const audit = new MemoryAuditSink();
  const p = await proxyWith('', audit);
  const work = join(dir, 'clone1');
  const clone = await git(p, ['clone', '-q', `https://git.test:${port}/repo.git`, work]);
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
  expect((await git(p, ['clone', '-q', `https://git.test:${port}/repo.git`, work])).code).toBe(0);
  writeFileSync(join(work, 'README'), 'pushed\n');
  await run('git', ['-C', work, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam', 'push me']);
  const push = await git(p, ['push', '-q', 'origin', 'main'], work);
  expect(push.stderr).toBe('');
  expect(push.code).toBe(0);
});
