// Real `git` INSIDE the sandbox, with only the environment the sandbox spec
// gives every agent (HTTPS_PROXY, GIT_SSL_CAINFO, …), through the forwarder and
// the real host-side egress proxy to a git smart-HTTP server on loopback. The
// proxy terminates TLS with the job CA (`protocol: rest`) and decides each git
// request: clone is allowed, push is refused by method/path on the same host.
import { jest } from '@jest/globals';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MemoryAuditSink } from '../../src/audit/events.js';
import { LAYER_HEADER } from '../../src/egress/deny.js';
import { startEgressProxy, type EgressProxy } from '../../src/egress/proxy.js';
import { writeCaDir, type CaDir } from '../../src/sandbox/ca.js';
import { EGRESS_SOCKET_NAME } from '../../src/sandbox/spec.js';
import { gitReadPolicy, startGitFixture, type GitFixture } from '../egress/git-server.js';
import { tmp } from '../egress/helpers.js';
import { startTestSandbox, type TestSandbox } from './helpers.js';

jest.setTimeout(60_000);

const HOST = 'git.test';

/** The JSON denial git received, reassembled from GIT_TRACE_CURL's 60-character `Recv data` lines. */
function tracedDenial(trace: string): Record<string, unknown> {
  const data = [...trace.matchAll(/<= Recv data: (.*)$/gm)].map((m) => m[1]).join('');
  const body = /\{"error":"policy_denied".*?"\}/.exec(data);
  if (!body) throw new Error(`no policy denial in git's trace:\n${trace}`);
  return JSON.parse(body[0]) as Record<string, unknown>;
}

describe('git inside the sandbox through the real egress proxy', () => {
  const root = tmp('sbx-git');
  const egressAudit = new MemoryAuditSink();
  const resolved: string[] = [];
  let srv: GitFixture;
  let proxy: EgressProxy;
  let ca: CaDir;
  let t: TestSandbox;
  let url = '';
  let seedHead = '';

  beforeAll(async () => {
    srv = await startGitFixture(root, HOST);
    url = `https://${HOST}:${srv.port}/repo.git`;
    seedHead = await srv.head();
    const socketDir = join(root, 'sock');
    await mkdir(socketDir);
    proxy = await startEgressProxy({
      policy: gitReadPolicy(HOST, srv.port),
      socketPath: join(socketDir, EGRESS_SOCKET_NAME),
      audit: egressAudit,
      upstreamCa: srv.upstreamCaPem,
      // Every name maps to loopback, so even a mistake could not dial anything else.
      resolver: async (host) => {
        resolved.push(host);
        return ['127.0.0.1'];
      },
    });
    ca = await writeCaDir(proxy.caCertPem);
    // uid 1001 like a GitHub-hosted runner's workspace owner; the identity comes
    // through the allow-listed GIT_* names, as a job would pass it.
    t = await startTestSandbox({
      socketDir,
      caDir: ca.dir,
      workspaceUid: 1001,
      extraEnv: {
        GIT_AUTHOR_NAME: 'agent',
        GIT_AUTHOR_EMAIL: 'agent@sandbox',
        GIT_COMMITTER_NAME: 'agent',
        GIT_COMMITTER_EMAIL: 'agent@sandbox',
      },
    });
  });

  afterAll(async () => {
    await t?.dispose();
    await proxy?.close();
    await ca?.dispose();
    await srv?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('git clone over https succeeds and the files are there', async () => {
    const r = await t.run(`git clone -q ${url} clone && cat clone/README && git -C clone rev-parse HEAD`);
    expect(r.err).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.out).toBe(`hello\n${seedHead}\n`);
    const events = egressAudit.of('egress');
    expect(events).toContainEqual(
      expect.objectContaining({ activity: 'allow', method: 'GET', path: '/repo.git/info/refs' }),
    );
    expect(events).toContainEqual(
      expect.objectContaining({ activity: 'allow', method: 'POST', path: '/repo.git/git-upload-pack' }),
    );
  });

  it('git push from that clone is refused by the proxy (403, L7 layer header, JSON reason)', async () => {
    // GIT_TRACE_CURL shows what git itself received: the proxy's answer inside the TLS tunnel.
    const r = await t.run(
      'cd clone && echo changed > README && git commit -qam change && GIT_TRACE_CURL=1 git push origin main',
    );
    expect(r.exitCode).not.toBe(0);
    expect(r.err).toMatch(/HTTP 403|returned error: 403/);
    expect(r.err).toMatch(new RegExp(`<= Recv header: ${LAYER_HEADER}: l7`, 'i'));
    expect(tracedDenial(r.err)).toMatchObject({
      error: 'policy_denied',
      host: HOST,
      port: srv.port,
      method: 'POST',
      path: '/repo.git/git-receive-pack',
    });
    expect(egressAudit.of('egress')).toContainEqual(
      expect.objectContaining({
        activity: 'deny',
        layer: 'l7',
        host: HOST,
        method: 'POST',
        path: '/repo.git/git-receive-pack',
      }),
    );
    // The push never reached the server, and its branch is unchanged.
    expect(srv.seen).not.toContain('POST /repo.git/git-receive-pack');
    expect(await srv.head()).toBe(seedHead);
  });

  it('the name was resolved only by the proxy (to loopback), never inside the sandbox', async () => {
    const r = await t.run(`getent hosts ${HOST} || echo unresolved`);
    expect(r.out).toBe('unresolved\n');
    expect(new Set(resolved)).toEqual(new Set([HOST]));
  });
});
