// Gateway overhead against a fast local upstream measured in the same run:
// time to first token (streaming) and non-streaming req/s at 100 concurrent,
// direct vs through the gateway. The upstream and the gateway each run in a
// worker thread so neither shares an event loop with the load generator.
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { startGateway } from '../src/gateway/server.js';

const TTFT_SAMPLES = 400;
const CONCURRENCY = 100;
const THROUGHPUT_MS = 3000;
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

type Role = { role: 'upstream' } | { role: 'gateway'; upstream: string; token: string };

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

function inWorker(role: Role): Promise<string> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { workerData: role });
    w.unref();
    w.once('message', (url: string) => resolve(url));
    w.once('error', reject);
  });
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

async function throughput(url: string, upstreamDelayMs = 0): Promise<number> {
  const payload =
    upstreamDelayMs > 0 ? JSON.stringify({ ...JSON.parse(body), bench_delay_ms: upstreamDelayMs }) : body;
  await Promise.all(Array.from({ length: CONCURRENCY }, () => oneCall(url, payload))); // warm up
  let done = 0;
  const start = performance.now();
  const end = start + THROUGHPUT_MS;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        await oneCall(url, payload);
        done += 1;
      }
    }),
  );
  // Divide by the real elapsed time: calls in flight at the deadline still finish.
  return done / ((performance.now() - start) / 1000);
}

async function main(): Promise<void> {
  const upstream = await inWorker({ role: 'upstream' });
  const gateway = await inWorker({ role: 'gateway', upstream, token: 'bench-token' });
  const directTtft = await ttft(upstream);
  const gatewayTtft = await ttft(gateway);
  const directRps = await throughput(upstream);
  const gatewayRps = await throughput(gateway);
  // A model answers in hundreds of milliseconds; with that service time
  // the extra hop should all but vanish.
  const slowDirectRps = await throughput(upstream, SLOW_UPSTREAM_MS);
  const slowGatewayRps = await throughput(gateway, SLOW_UPSTREAM_MS);
  const round = (n: number, d = 3) => Math.round(n * 10 ** d) / 10 ** d;
  const result = {
    bench: 'gateway',
    ttft_overhead_ms: round(gatewayTtft - directTtft),
    ttft_overhead_target_ms: 2,
    ttft_median_ms: { direct: round(directTtft), gateway: round(gatewayTtft) },
    rps_ratio: round(gatewayRps / directRps),
    rps_ratio_target: 0.8,
    rps: { direct: Math.round(directRps), gateway: Math.round(gatewayRps) },
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
  process.exit(0);
}

if (isMainThread) {
  await main();
} else {
  const role = workerData as Role;
  const url = role.role === 'upstream' ? await upstreamMain() : await gatewayMain(role.upstream, role.token);
  parentPort!.postMessage(url);
}
