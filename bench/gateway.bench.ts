// Gateway overhead against a fast local upstream measured in the same run:
// time to first token (streaming) and non-streaming req/s at 100 concurrent,
// direct vs through the gateway, and the CPU each side spends per call. The
// upstream and the gateway each run in their own process, so neither shares
// an event loop (or an allocator) with the load generator.
import { fork, type ChildProcess } from 'node:child_process';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Agent as UndiciAgent } from 'undici';
import { startGateway } from '../src/gateway/server.js';

const TTFT_SAMPLES = 400;
const CONCURRENCY = 100;
const THROUGHPUT_MS = 3000;
const WARMUP_MS = 1500;
const SLOW_UPSTREAM_MS = 100;

const chatJson = JSON.stringify({
  id: 'x',
  object: 'chat.completion',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 20, completion_tokens: 2, total_tokens: 22 },
});
const body = JSON.stringify({
  model: 'gateway/default',
  messages: [{ role: 'user', content: 'hello '.repeat(50) }],
});
const streamBody = JSON.stringify({ ...JSON.parse(body), stream: true });

type Role =
  | { role: 'upstream' }
  | { role: 'gateway'; upstream: string; token: string }
  | { role: 'bare-proxy'; upstream: string };

async function upstreamMain(): Promise<string> {
  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    const answer = () => {
      if (Buffer.concat(chunks).includes('"stream":true')) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: {"choices":[{"index":0,"delta":{"content":"ok"}}]}\n\n');
        res.end(
          'data: {"choices":[],"usage":{"prompt_tokens":20,"completion_tokens":2}}\n\ndata: [DONE]\n\n',
        );
      } else {
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(chatJson),
        });
        res.end(chatJson);
      }
    };
    // Service time asked for by the load generator, in the body (which the gateway passes on).
    req.on('end', () => {
      const delay = Number(/"bench_delay_ms":(\d+)/.exec(Buffer.concat(chunks).toString())?.[1] ?? 0);
      if (delay > 0) setTimeout(answer, delay);
      else answer();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * The floor for any Node proxy: one HTTP server, one undici client, bytes
 * copied through and nothing else (no auth, no JSON, no audit). What the
 * gateway costs above this is its own work; this much is the hop itself.
 */
async function bareProxyMain(upstream: string): Promise<string> {
  const dispatcher = new UndiciAgent({ connections: 256, pipelining: 1 });
  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const got: Buffer[] = [];
      let status = 502;
      dispatcher.dispatch(
        {
          origin: upstream,
          path: req.url!,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
          body,
        },
        {
          onRequestStart: () => undefined,
          onResponseStart: (_c, code) => void (status = code),
          onResponseData: (_c, chunk) => void got.push(chunk),
          onResponseEnd: () => {
            const out = Buffer.concat(got);
            res.writeHead(status, { 'content-type': 'application/json', 'content-length': out.length });
            res.end(out);
          },
          onResponseError: () => res.destroy(),
        },
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function gatewayMain(upstream: string, token: string): Promise<string> {
  const gw = await startGateway({
    token,
    prices: { models: {} },
    logger: { debug() {}, info() {}, warn() {}, error() {}, group: (_n, f) => f() },
    routes: {
      default: 'primary',
      routes: [
        {
          name: 'primary',
          provider: 'openai',
          baseUrl: `${upstream}/v1`,
          model: 'm',
          apiKey: 'sk-bench-key',
        },
      ],
    },
  });
  return gw.url;
}

interface Side {
  url: string;
  /** CPU time (user + system) the process has used so far, in µs. */
  cpu(): Promise<number>;
  stop(): void;
  /** Settles when the process has exited. */
  exited: Promise<void>;
}

const ROLE_ARG = '--bench-role';

function inProcess(role: Role): Promise<Side> {
  const child: ChildProcess = fork(process.argv[1]!, [ROLE_ARG, JSON.stringify(role)], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const cpu = () =>
    new Promise<number>((resolve) => {
      child.once('message', (m) => resolve(m as number));
      child.send('cpu');
    });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    // A clean exit (not a signal), so --cpu-prof gets to write the child's profile.
    const stop = () => child.send('exit');
    child.once('message', (url) => resolve({ url: url as string, cpu, stop, exited }));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${role.role} exited with ${code}`)));
  });
}

async function roleMain(role: Role): Promise<void> {
  const url =
    role.role === 'upstream'
      ? await upstreamMain()
      : role.role === 'bare-proxy'
        ? await bareProxyMain(role.upstream)
        : await gatewayMain(role.upstream, role.token);
  // Also when the load generator dies without saying so: no orphans left serving.
  process.on('disconnect', () => process.exit(0));
  process.on('message', (m) => {
    if (m === 'exit') process.exit(0);
    const u = process.cpuUsage();
    process.send!(u.user + u.system);
  });
  process.send!(url);
}

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
const headers = { 'content-type': 'application/json', authorization: 'Bearer bench-token' };

/** Resolves with ms to the first body byte, after draining the rest. */
function oneCall(url: string, payload: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(
      `${url}/v1/chat/completions`,
      {
        method: 'POST',
        agent,
        headers: { ...headers, 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        let first: number | undefined;
        res.on('data', () => (first ??= performance.now() - t0));
        res.on('end', () =>
          res.statusCode === 200 ? resolve(first ?? 0) : reject(new Error(`HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function ttft(url: string): Promise<number> {
  for (let i = 0; i < 50; i++) await oneCall(url, streamBody); // warm up
  const samples: number[] = [];
  for (let i = 0; i < TTFT_SAMPLES; i++) samples.push(await oneCall(url, streamBody));
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

async function throughput(
  url: string,
  upstreamDelayMs = 0,
  windowMs = THROUGHPUT_MS,
): Promise<{ rps: number; calls: number }> {
  const payload =
    upstreamDelayMs > 0 ? JSON.stringify({ ...JSON.parse(body), bench_delay_ms: upstreamDelayMs }) : body;
  let done = 0;
  const start = performance.now();
  const end = start + windowMs;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        await oneCall(url, payload);
        done += 1;
      }
    }),
  );
  // Divide by the real elapsed time: calls in flight at the deadline still finish.
  return { rps: done / ((performance.now() - start) / 1000), calls: done };
}

/** Throughput, and the CPU µs per call each side spent meanwhile. */
async function measured(url: string, sides: Side[], upstreamDelayMs = 0) {
  // Every process (load generator included) runs optimised code before the clock starts.
  await throughput(url, upstreamDelayMs, WARMUP_MS);
  const before = await Promise.all(sides.map((s) => s.cpu()));
  const own = process.cpuUsage();
  const t = await throughput(url, upstreamDelayMs);
  const ownUsed = process.cpuUsage(own);
  const after = await Promise.all(sides.map((s) => s.cpu()));
  return {
    rps: t.rps,
    cpuPerCall: after.map((a, i) => (a - before[i]!) / t.calls),
    loadgenPerCall: (ownUsed.user + ownUsed.system) / t.calls,
  };
}

function cpuModelRatio(loadgen: number, upstream: number, hop: number): number {
  const cpus = availableParallelism();
  const directPerCall = Math.max(loadgen, (loadgen + upstream) / cpus);
  return directPerCall / Math.max(loadgen, hop, (loadgen + upstream + hop) / cpus);
}

async function main(): Promise<void> {
  const upstream = await inProcess({ role: 'upstream' });
  const gateway = await inProcess({ role: 'gateway', upstream: upstream.url, token: 'bench-token' });
  const directTtft = await ttft(upstream.url);
  const gatewayTtft = await ttft(gateway.url);
  const direct = await measured(upstream.url, [upstream, gateway]);
  const through = await measured(gateway.url, [upstream, gateway]);
  const bare = await inProcess({ role: 'bare-proxy', upstream: upstream.url });
  const bareProxy = await measured(bare.url, [upstream, bare]);
  bare.stop();
  const directRps = direct.rps;
  const gatewayRps = through.rps;
  // A model answers in hundreds of milliseconds; with that service time
  // the extra hop should all but vanish.
  const slowDirectRps = (await measured(upstream.url, [], SLOW_UPSTREAM_MS)).rps;
  const slowGatewayRps = (await measured(gateway.url, [], SLOW_UPSTREAM_MS)).rps;
  const round = (n: number, d = 3) => Math.round(n * 10 ** d) / 10 ** d;
  const result = {
    bench: 'gateway',
    ttft_overhead_ms: round(gatewayTtft - directTtft),
    ttft_overhead_target_ms: 2,
    ttft_median_ms: { direct: round(directTtft), gateway: round(gatewayTtft) },
    rps_ratio: round(gatewayRps / directRps),
    rps_ratio_target: 0.8,
    rps: { direct: Math.round(directRps), gateway: Math.round(gatewayRps) },
    // What one call costs each process: the gateway's own cost, next to what a
    // bare Node HTTP server (the upstream) spends answering the same call.
    cpu_us_per_call: {
      upstream: Math.round(through.cpuPerCall[0]!),
      gateway: Math.round(through.cpuPerCall[1]!),
      // The load generator (node:http client) pays per call too; on a machine
      // where all three share the cores, the best ratio is about
      // (loadgen + upstream) / (loadgen + upstream + gateway).
      loadgen: Math.round(through.loadgenPerCall),
      // A do-nothing Node proxy (server + undici, bytes through): the floor.
      bare_proxy: Math.round(bareProxy.cpuPerCall[1]!),
    },
    rps_ratio_bare_proxy: round(bareProxy.rps / directRps),
    // What the CPU costs above allow on this machine: direct is bound by the
    // single-threaded load generator; through a hop, by that hop's own thread
    // or by all three processes sharing the cores. Not a measurement; it says
    // whether a ratio is missed because the hop costs too much CPU here.
    rps_ratio_cpu_model: {
      gateway: round(cpuModelRatio(through.loadgenPerCall, through.cpuPerCall[0]!, through.cpuPerCall[1]!)),
      bare_proxy: round(
        cpuModelRatio(bareProxy.loadgenPerCall, bareProxy.cpuPerCall[0]!, bareProxy.cpuPerCall[1]!),
      ),
    },
    rps_ratio_with_slow_upstream: round(slowGatewayRps / slowDirectRps),
    slow_upstream_ms: SLOW_UPSTREAM_MS,
    rps_slow_upstream: { direct: Math.round(slowDirectRps), gateway: Math.round(slowGatewayRps) },
    cpus: availableParallelism(),
    load_average_1m: round(loadavg()[0]!, 2),
    concurrency: CONCURRENCY,
    ttft_samples: TTFT_SAMPLES,
    throughput_window_ms: THROUGHPUT_MS,
  };
  process.stdout.write(JSON.stringify(result) + '\n');
  agent.destroy();
  upstream.stop();
  gateway.stop();
  await Promise.all([upstream.exited, gateway.exited]);
  process.exit(0);
}

const roleAt = process.argv.indexOf(ROLE_ARG);
if (roleAt >= 0) await roleMain(JSON.parse(process.argv[roleAt + 1]!) as Role);
else await main();
