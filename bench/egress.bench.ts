// Egress proxy cost, measured against baselines in the same run:
// - added latency (p50/p99) of a keep-alive GET through the proxy vs direct loopback;
// - CONNECT throughput with 64 concurrent tunnels, as a ratio to tinyproxy and squid
//   (started here on loopback with generated configs, stopped at the end);
// - matcher decision time with 1,000 endpoints.
// Prints one JSON object.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, createServer as createHttp, request, type IncomingMessage } from 'node:http';
import { connect, createServer as createTcp, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEgressProxy } from '../src/egress/proxy.js';
import { downstreamRelay } from '../src/egress/relay.js';
import { compilePolicy } from '../src/policy/matcher.js';
import { PolicySchema } from '../src/policy/schema.js';

const LATENCY_N = 2000;
const TUNNELS = 64;
const BYTES_PER_TUNNEL = 4 * 1024 * 1024;
const ROUNDS = 5;

const listen = async (s: Server, port = 0) => {
  await new Promise<void>((r) => s.listen(port, '127.0.0.1', () => r()));
  return (s.address() as AddressInfo).port;
};

const freePort = async () => {
  const s = createTcp();
  const p = await listen(s);
  await new Promise((r) => s.close(r));
  return p;
};

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

async function latency(opts: { port: number; path: string; host: string }) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const once = () =>
    new Promise<number>((resolve, reject) => {
      const t = process.hrtime.bigint();
      const req = request(
        { host: '127.0.0.1', port: opts.port, path: opts.path, headers: { host: opts.host }, agent },
        (res) => {
          res.resume();
          res.on('end', () => resolve(Number(process.hrtime.bigint() - t) / 1e6));
        },
      );
      req.on('error', reject);
      req.end();
    });
  for (let i = 0; i < 200; i++) await once();
  const samples: number[] = [];
  for (let i = 0; i < LATENCY_N; i++) samples.push(await once());
  agent.destroy();
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99) };
}

/** 64 CONNECT tunnels at once, each downloading BYTES_PER_TUNNEL; returns MiB/s. */
async function connectThroughput(proxyPort: number, target: string): Promise<number> {
  const one = () =>
    new Promise<number>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: proxyPort });
      s.setNoDelay(true);
      let header = true;
      let got = 0;
      let buf = '';
      s.on('data', (d: Buffer) => {
        if (header) {
          buf += d.toString('latin1');
          const end = buf.indexOf('\r\n\r\n');
          if (end === -1) return;
          if (!/^HTTP\/1\.[01] 200/.test(buf))
            return reject(new Error(`CONNECT refused: ${buf.split('\r\n')[0]}`));
          header = false;
          got += Buffer.byteLength(buf.slice(end + 4), 'latin1');
          s.write('go');
        } else got += d.length;
        if (got >= BYTES_PER_TUNNEL) {
          s.destroy();
          resolve(got);
        }
      });
      s.on('error', reject);
      s.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`);
    });
  const t = process.hrtime.bigint();
  const bytes = (await Promise.all(Array.from({ length: TUNNELS }, one))).reduce((a, b) => a + b, 0);
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  return bytes / 1024 / 1024 / seconds;
}

async function waitForPort(port: number, child: ChildProcess, name: string) {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((r) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not listen on ${port}`);
}

function stop(child: ChildProcess) {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    const t = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function startTinyproxy(dir: string) {
  const port = await freePort();
  const conf = join(dir, 'tinyproxy.conf');
  writeFileSync(
    conf,
    `Port ${port}\nListen 127.0.0.1\nTimeout 600\nMaxClients 256\nAllow 127.0.0.1\nLogLevel Critical\n`,
  );
  const child = spawn('/usr/bin/tinyproxy', ['-d', '-c', conf], { stdio: 'ignore' });
  await waitForPort(port, child, 'tinyproxy');
  return { port, child };
}

async function startSquid(dir: string) {
  const port = await freePort();
  const conf = join(dir, 'squid.conf');
  chmodSync(dir, 0o777);
  writeFileSync(
    conf,
    [
      `http_port 127.0.0.1:${port}`,
      'http_access allow all',
      'cache deny all',
      'cache_mem 8 MB',
      `pid_filename ${join(dir, 'squid.pid')}`,
      'access_log none',
      `cache_log ${join(dir, 'squid-cache.log')}`,
      `coredump_dir ${dir}`,
      'visible_hostname nemoclaw-bench',
      'shutdown_lifetime 0 seconds',
      '',
    ].join('\n'),
  );
  const child = spawn('/usr/sbin/squid', ['-N', '-f', conf], { stdio: 'ignore' });
  await waitForPort(port, child, 'squid');
  return { port, child };
}

function matcherTiming() {
  const endpoints = Array.from({ length: 1000 }, (_, i) =>
    i % 2 === 0
      ? { host: `host${i}.example.com`, port: 443 }
      : {
          host: `*.svc${i}.example.org`,
          port: 443,
          protocol: 'rest' as const,
          access: 'read-only' as const,
          deny_rules: [{ path: '/admin/**' }],
        },
  );
  const m = compilePolicy(PolicySchema.parse({ version: 1, network_policies: { big: { endpoints } } }));
  const reqs = [
    { host: 'host500.example.com', port: 443 },
    { host: 'api.svc501.example.org', port: 443, method: 'GET', path: '/repos/x' },
    { host: 'api.svc501.example.org', port: 443, method: 'GET', path: '/admin/x' },
    { host: 'nope.test', port: 443 },
  ];
  const N = 200_000;
  for (let i = 0; i < 20_000; i++) m.match(reqs[i & 3]!);
  const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) m.match(reqs[i & 3]!);
  return Number(process.hrtime.bigint() - t) / 1e3 / N;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'nemoclaw-bench-egress-'));
  const children: ChildProcess[] = [];
  const http = createHttp((_req, res) => res.end('ok'));
  const httpPort = await listen(http);
  const chunk = Buffer.alloc(64 * 1024, 120);
  const source = createTcp((s) => {
    s.setNoDelay(true);
    s.on('error', () => undefined);
    // Sends once the client speaks ("go"), so the proxy's 200 arrives first.
    s.once('data', () => {
      const pump = () => {
        while (!s.destroyed && s.write(chunk));
      };
      s.on('drain', pump);
      pump();
    });
  });
  const sourcePort = await listen(source);
  const policy = PolicySchema.parse({
    version: 1,
    network_policies: {
      bench: {
        endpoints: [
          { host: 'bench.test', port: httpPort, allowed_ips: ['127.0.0.0/8'] },
          { host: 'bench.test', port: sourcePort, allowed_ips: ['127.0.0.0/8'] },
        ],
      },
    },
  });
  // The proxy gets its own process, as tinyproxy and squid do: it must not
  // share an event loop (or an allocator) with the load generator.
  const proxy = await startProxyProcess(policy);
  const bareRelay = await startProxyProcess(policy, true);
  try {
    const direct = await latency({ port: httpPort, path: '/', host: `127.0.0.1:${httpPort}` });
    const proxied = await latency({
      port: proxy.port,
      path: `http://bench.test:${httpPort}/`,
      host: `bench.test:${httpPort}`,
    });
    const tiny = await startTinyproxy(dir);
    children.push(tiny.child);
    const squid = await startSquid(dir);
    children.push(squid.child);
    // Interleaved rounds; each ratio is the median of the per-round ratios, so a
    // neighbour's burst on this shared machine skews one round, not the answer.
    const rounds: { ours: number; bare: number; tiny: number; squid: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      rounds.push({
        ours: await connectThroughput(proxy.port, `bench.test:${sourcePort}`),
        bare: await connectThroughput(bareRelay.port, `127.0.0.1:${sourcePort}`),
        tiny: await connectThroughput(tiny.port, `127.0.0.1:${sourcePort}`),
        squid: await connectThroughput(squid.port, `127.0.0.1:${sourcePort}`),
      });
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const ours = median(rounds.map((r) => r.ours));
    const tinyMiBs = median(rounds.map((r) => r.tiny));
    const squidMiBs = median(rounds.map((r) => r.squid));
    const vsTiny = median(rounds.map((r) => r.ours / r.tiny));
    const vsSquid = median(rounds.map((r) => r.ours / r.squid));
    const bareMiBs = median(rounds.map((r) => r.bare));
    const bareVsSquid = median(rounds.map((r) => r.bare / r.squid));
    const decisionUs = matcherTiming();
    const r3 = (n: number) => Math.round(n * 1000) / 1000;
    process.stdout.write(
      `${JSON.stringify({
        bench: 'egress',
        added_latency_ms: { p50: r3(proxied.p50 - direct.p50), p99: r3(proxied.p99 - direct.p99) },
        latency_ms: {
          direct: { p50: r3(direct.p50), p99: r3(direct.p99) },
          proxy: { p50: r3(proxied.p50), p99: r3(proxied.p99) },
        },
        connect_throughput_mib_s: {
          nemoclaw: r3(ours),
          bare_node_relay: r3(bareMiBs),
          tinyproxy: r3(tinyMiBs),
          squid: r3(squidMiBs),
        },
        connect_throughput_ratio: { vs_tinyproxy: r3(vsTiny), vs_squid: r3(vsSquid) },
        // The floor for any Node relay on this machine, next to squid.
        bare_node_relay_vs_squid: r3(bareVsSquid),
        matcher_decision_us_1000_endpoints: r3(decisionUs),
        params: {
          latency_requests: LATENCY_N,
          tunnels: TUNNELS,
          bytes_per_tunnel: BYTES_PER_TUNNEL,
          rounds: ROUNDS,
        },
        targets: { added_p50_ms: 0.5, throughput_ratio: 1.0, decision_us: 5 },
      })}\n`,
    );
  } finally {
    await proxy.close();
    await bareRelay.close();
    for (const c of children) await stop(c);
    http.close();
    source.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface ProxyProcess {
  port: number;
  close(): Promise<void>;
}

const PROXY_ARG = '--proxy-process';

async function startProxyProcess(policy: unknown, bare = false): Promise<ProxyProcess> {
  const child = fork(process.argv[1]!, [PROXY_ARG], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  child.send({ policy, bare });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`proxy process exited with ${code}`)));
  });
  return {
    port,
    close: async () => {
      child.send('close');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/**
 * The least a Node CONNECT relay can do: no policy, no audit, no address
 * checks, the same relay as the proxy's tunnels. What any Node proxy costs here.
 */
async function startBareRelay(): Promise<{ port: number; close(): Promise<void> }> {
  const server = createHttp();
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const port = Number(/:(\d+)$/.exec(req.url ?? '')?.[1]);
    client.setNoDelay(true);
    const relay = downstreamRelay(client);
    const up = connect({ host: '127.0.0.1', port, onread: relay.onread }, () => {
      up.setNoDelay(true);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) up.write(head);
      client.pipe(up);
    });
    relay.attach(up);
    const end = () => {
      client.destroy();
      up.destroy();
    };
    up.on('error', end).on('close', end);
    client.on('error', end).on('close', end);
  });
  const port = await listen(server as unknown as Server);
  return {
    port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

async function proxyProcess() {
  const { policy, bare } = await new Promise<{ policy: unknown; bare: boolean }>((r) =>
    process.once('message', r as never),
  );
  const proxy = bare
    ? await startBareRelay()
    : await startEgressProxy({
        policy: PolicySchema.parse(policy),
        port: 0,
        resolver: async () => ['127.0.0.1'],
      });
  process.send!({ port: proxy.port });
  process.once('message', () => void proxy.close().then(() => process.exit(0)));
}

if (process.argv.includes(PROXY_ARG)) {
  await proxyProcess();
} else {
  await main();
  process.exit(0);
}
