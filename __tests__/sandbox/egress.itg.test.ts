// The sandbox behind the real host-side egress proxy (src/egress): allowed
// traffic reaches a loopback test server the proxy's resolver maps a name to;
// everything else is refused by the proxy, and the denial is in its audit.
import { jest } from '@jest/globals';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryAuditSink } from '../../src/audit/events.js';
import { startEgressProxy, type EgressProxy } from '../../src/egress/proxy.js';
import { parsePolicyText } from '../../src/policy/load.js';
import { writeCaDir, type CaDir } from '../../src/sandbox/ca.js';
import { EGRESS_SOCKET_NAME } from '../../src/sandbox/spec.js';
import { startTestSandbox } from './helpers.js';

jest.setTimeout(60_000);

describe('sandbox + real egress proxy', () => {
  let upstream: Server;
  let port: number;
  let proxy: EgressProxy;
  let ca: CaDir;
  let root: string;
  const egressAudit = new MemoryAuditSink();
  const resolved: string[] = [];
  let t: Awaited<ReturnType<typeof startTestSandbox>>;

  beforeAll(async () => {
    upstream = createServer((req, res) => res.end(`hello from allowed ${req.method} ${req.url}\n`));
    await new Promise<void>((ok) => upstream.listen(0, '127.0.0.1', ok));
    port = (upstream.address() as AddressInfo).port;
    root = await mkdtemp(join(tmpdir(), 'nemoclaw-egress-'));
    const socketDir = join(root, 'sock');
    await mkdir(socketDir);
    const policy = parsePolicyText(
      [
        'version: 1',
        'network_policies:',
        '  test:',
        '    endpoints:',
        '      - host: allowed.test',
        `        port: ${port}`,
        '        allowed_ips: [127.0.0.1/32]',
      ].join('\n'),
      'test-policy.yaml',
    );
    proxy = await startEgressProxy({
      policy,
      socketPath: join(socketDir, EGRESS_SOCKET_NAME),
      audit: egressAudit,
      // Every name maps to loopback, so even a mistake could not dial anything else.
      resolver: async (host) => {
        resolved.push(host);
        return ['127.0.0.1'];
      },
    });
    ca = await writeCaDir(proxy.caCertPem);
    t = await startTestSandbox({ socketDir, caDir: ca.dir, workspaceUid: 1001 });
  });

  afterAll(async () => {
    await t?.dispose();
    await proxy?.close();
    await ca?.dispose();
    await new Promise((ok) => upstream.close(ok));
    await rm(root, { recursive: true, force: true });
  });

  it('curl reaches an allowed host through forwarder and proxy', async () => {
    const r = await t.run(`curl -sS http://allowed.test:${port}/x`);
    expect(r.err).toBe('');
    expect(r.out).toBe('hello from allowed GET /x\n');
  });

  it('node fetch reaches it too (NODE_USE_ENV_PROXY)', async () => {
    const r = await t.run([
      'node',
      '-e',
      `fetch("http://allowed.test:${port}/n").then(async (r) => console.log(r.status, (await r.text()).trim()))`,
    ]);
    expect(r.out).toBe('200 hello from allowed GET /n\n');
  });

  it('a host the policy does not list is refused by the proxy and never resolved', async () => {
    const r = await t.run(
      'curl -sS -o /dev/null -w "%{http_code}\\n" http://denied.test/; curl -sS https://denied.test/ 2>&1',
    );
    expect(r.out).toMatch(/^403\n[\s\S]*CONNECT tunnel failed, response 403/);
    expect(resolved).not.toContain('denied.test');
    expect(JSON.stringify(egressAudit.events)).toContain('denied.test');
  });

  it('the allowed host on another port is refused (the port is part of the rule)', async () => {
    const r = await t.run(`curl -sS -o /dev/null -w "%{http_code}\\n" http://allowed.test:${port + 1}/`);
    expect(r.out).toBe('403\n');
  });

  it('the job CA is mounted and named by the CA variables', async () => {
    const r = await t.run(
      'echo $SSL_CERT_FILE $NODE_EXTRA_CA_CERTS; grep -c "BEGIN CERTIFICATE" $NODE_EXTRA_CA_CERTS',
    );
    expect(r.out).toBe('/etc/nemoclaw/ca/bundle.pem /etc/nemoclaw/ca/job-ca.pem\n1\n');
  });
});
