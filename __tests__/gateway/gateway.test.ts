import { once } from 'node:events';
import { request, type IncomingMessage } from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryAuditSink } from '../../src/audit/events.js';
import { Redactor } from '../../src/audit/redact.js';
import { AuditWriter } from '../../src/audit/writer.js';
import { MemoryLogger } from '../../src/log.js';
import { assetPath } from '../../src/paths.js';
import { startGateway, type Gateway, type GatewayOptions } from '../../src/gateway/server.js';
import type { RoutesConfig } from '../../src/gateway/routes.js';
import { closedPort, okChat, startFakeUpstream, type FakeUpstream } from './fake-upstream.js';

const CANARY = 'sk-canary-0123456789abcdef';
const prices = { models: { m: { input: 10, output: 10 } } };

const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((o) => o.close()));
});

async function upstream(...args: Parameters<typeof startFakeUpstream>): Promise<FakeUpstream> {
  const u = await startFakeUpstream(...args);
  opened.push(u);
  return u;
}

async function gateway(
  routes: RoutesConfig,
  extra: Partial<GatewayOptions> = {},
): Promise<Gateway & { audit: MemoryAuditSink; sleeps: number[] }> {
  const audit = new MemoryAuditSink();
  const sleeps: number[] = [];
  const gw = await startGateway({
    routes,
    prices,
    audit,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...extra,
  });
  opened.push(gw);
  return Object.assign(gw, { audit, sleeps });
}

const oneRoute = (baseUrl: string, provider: 'openai' | 'anthropic' = 'openai'): RoutesConfig => ({
  default: 'primary',
  routes: [{ name: 'primary', provider, baseUrl, model: 'm', apiKey: CANARY }],
});

const call = (gw: Gateway, body: object, opts: { path?: string; headers?: Record<string, string> } = {}) =>
  fetch(`${gw.url}${opts.path ?? '/v1/chat/completions'}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${gw.token}`, ...opts.headers },
    body: JSON.stringify(body),
  });

const chat = { model: 'gateway/default', messages: [{ role: 'user', content: 'hello' }] };

describe('authentication and credentials', () => {
  test.each<[string, Record<string, string>, number]>([
    ['no token', { authorization: '' }, 401],
    ['wrong token', { authorization: 'Bearer nope' }, 401],
    ['a provider key instead of the job token', { authorization: `Bearer ${CANARY}` }, 401],
  ])('%s is refused', async (_n, headers, status) => {
    const up = await upstream();
    const gw = await gateway(oneRoute(up.baseUrl));
    const res = await call(gw, chat, { headers });
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('unauthorized');
    expect(up.seen).toHaveLength(0);
  });

  test.each<[string, (t: string) => Record<string, string>, number]>([
    ['lower-case bearer, extra spaces', (t) => ({ authorization: `bearer   ${t} ` }), 200],
    [
      'same length, one byte off',
      (t) => ({ authorization: `Bearer ${t.slice(0, -1)}${t.endsWith('x') ? 'y' : 'x'}` }),
      401,
    ],
    [
      'a non-bearer authorization falls back to x-api-key',
      (t) => ({ authorization: 'Basic abc', 'x-api-key': t }),
      200,
    ],
  ])('%s → %i', async (_n, headers, status) => {
    const up = await upstream();
    const gw = await gateway(oneRoute(up.baseUrl));
    const res = await call(gw, chat, { headers: headers(gw.token) });
    expect(res.status).toBe(status);
    await res.arrayBuffer();
  });

  test('x-api-key works; caller auth is stripped, the provider key injected, the model rewritten', async () => {
    const up = await upstream();
    const gw = await gateway(oneRoute(up.baseUrl));
    const res = await call(gw, chat, {
      headers: {
        authorization: '',
        'x-api-key': gw.token,
        cookie: 'a=b',
        'openai-organization': 'org-other',
        'x-goog-api-key': 'g',
        'user-agent': 'OpenAI/JS 5',
      },
    });
    expect(res.status).toBe(200);
    const seen = up.seen[0]!;
    expect(seen.url).toBe('/v1/chat/completions');
    expect(seen.headers.authorization).toBe(`Bearer ${CANARY}`);
    expect(seen.headers['x-api-key']).toBeUndefined();
    expect(seen.headers.cookie).toBeUndefined();
    // Only API options pass (an allow-list): no other org to bill, no other credentials.
    expect(seen.headers['openai-organization']).toBeUndefined();
    expect(seen.headers['x-goog-api-key']).toBeUndefined();
    expect(seen.headers['user-agent']).toBe('OpenAI/JS 5');
    expect(JSON.parse(seen.body).model).toBe('m');
  });

  test('Anthropic: x-api-key and anthropic-version, /v1/messages', async () => {
    const up = await upstream((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ type: 'message', content: [], usage: { input_tokens: 7, output_tokens: 3 } }));
    });
    const gw = await gateway(oneRoute(up.baseUrl, 'anthropic'));
    const res = await call(
      gw,
      { model: 'm', max_tokens: 10, messages: [] },
      { path: '/v1/messages', headers: { authorization: '', 'x-api-key': gw.token } },
    );
    expect(res.status).toBe(200);
    expect(up.seen[0]!.headers['x-api-key']).toBe(CANARY);
    expect(up.seen[0]!.headers['anthropic-version']).toBe('2023-06-01');
    // The caller's own API headers pass; only credentials are replaced.
    const again = await call(
      gw,
      { model: 'm', messages: [] },
      { path: '/v1/messages', headers: { 'anthropic-version': '2024-01-01', 'anthropic-beta': 'tools-1' } },
    );
    expect(again.status).toBe(200);
    expect(up.seen[1]!.headers).toMatchObject({
      'anthropic-version': '2024-01-01',
      'anthropic-beta': 'tools-1',
      'x-api-key': CANARY,
    });
    expect(up.seen[0]!.headers.authorization).toBeUndefined();
    expect(gw.usage()).toMatchObject({ inputTokens: 14, outputTokens: 6 });
    // An OpenAI path on an Anthropic route is refused, not mistranslated.
    expect((await call(gw, chat)).status).toBe(400);
  });

  test('/v1/models answers from the routes; unknown models are 404', async () => {
    const up = await upstream();
    const gw = await gateway(oneRoute(up.baseUrl));
    const res = await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${gw.token}` } });
    expect(((await res.json()) as { data: Array<{ id: string }> }).data.map((d) => d.id)).toEqual([
      'gateway/default',
      'm',
    ]);
    expect((await call(gw, { ...chat, model: 'gpt-9' })).status).toBe(404);
    expect(up.seen).toHaveLength(0);
  });
});

describe('streaming', () => {
  test('SSE passes chunk by chunk (the second is only sent after the client saw the first) and usage is counted', async () => {
    let firstSeen!: () => void;
    const clientGotFirst = new Promise<void>((r) => (firstSeen = r));
    const up = await upstream((_q, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"choices":[{"delta":{"content":"one"}}]}\n\n');
      void clientGotFirst.then(() => {
        res.write('data: {"choices":[],"usage":{"prompt_tokens":11,"completion_tokens":4}}\n\n');
        res.end('data: [DONE]\n\n');
      });
    });
    const gw = await gateway(oneRoute(up.baseUrl));
    const res = await call(gw, { ...chat, stream: true });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('"one"');
    expect(first).not.toContain('usage');
    firstSeen();
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read())
      rest += new TextDecoder().decode(r.value);
    expect(rest).toContain('[DONE]');
    // The gateway asked for usage in the stream.
    expect(JSON.parse(up.seen[0]!.body).stream_options).toEqual({ include_usage: true });
    expect(gw.usage()).toMatchObject({ requests: 1, inputTokens: 11, outputTokens: 4 });
    const ev = gw.audit.of('inference')[0]!;
    expect(ev).toMatchObject({
      class_uid: 6003,
      provider: 'openai',
      model: 'm',
      route: 'primary',
      status: 200,
      input_tokens: 11,
      output_tokens: 4,
      retries: 0,
    });
    expect(typeof ev.ttft_ms).toBe('number');
  });

  test('client disconnect mid-stream aborts the upstream request', async () => {
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((r) => (upstreamClosed = r));
    const up = await upstream((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"choices":[{"delta":{"content":"x"}}]}\n\n');
      res.on('close', () => upstreamClosed());
      req.socket.on('close', () => upstreamClosed());
      // …and never ends on its own.
    });
    const gw = await gateway(oneRoute(up.baseUrl));
    const ctl = new AbortController();
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.token}` },
      body: JSON.stringify({ ...chat, stream: true }),
      signal: ctl.signal,
    });
    await res.body!.getReader().read();
    ctl.abort();
    await closed;
    await waitFor(() => gw.audit.of('inference').length === 1);
    expect(gw.audit.of('inference')[0]!.outcome).toBe('client_closed');
  });
  test('client disconnect before the upstream answers (non-streaming) aborts the upstream request, no retry', async () => {
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((r) => (upstreamClosed = r));
    let arrived!: () => void;
    const reached = new Promise<void>((r) => (arrived = r));
    const up = await upstream((req, res) => {
      res.on('close', () => upstreamClosed());
      req.socket.on('close', () => upstreamClosed());
      arrived();
      // …and never answers: a long generation the client gave up on.
    });
    const gw = await gateway(oneRoute(up.baseUrl));
    const ctl = new AbortController();
    const res = fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.token}` },
      body: JSON.stringify(chat),
      signal: ctl.signal,
    });
    await reached;
    ctl.abort();
    await expect(res).rejects.toThrow();
    await closed;
    await waitFor(() => gw.audit.of('inference').length === 1);
    expect(gw.audit.of('inference')[0]!.outcome).toBe('client_closed');
    expect(up.seen).toHaveLength(1);
    expect(gw.sleeps).toHaveLength(0);
  });
});

describe('budgets', () => {
  test('cost budget runs out mid-run: the next call gets 429 budget_exceeded', async () => {
    // 50k + 50k tokens at $10 per 1M = $1 a call.
    const up = await upstream(okChat({ prompt_tokens: 50_000, completion_tokens: 50_000 }));
    const gw = await gateway(oneRoute(up.baseUrl), { budget: { maxCostUsd: 1.5 } });
    expect((await call(gw, chat)).status).toBe(200);
    expect((await call(gw, chat)).status).toBe(200);
    expect(gw.budgetExceeded).toBe(false);
    const res = await call(gw, chat);
    expect(res.status).toBe(429);
    expect(await res.json()).toEqual({
      error: expect.objectContaining({ type: 'budget_exceeded', budget: 'cost_usd', limit: 1.5, used: 2 }),
    });
    expect(gw.budgetExceeded).toBe(true);
    expect(up.seen).toHaveLength(2);
    expect(gw.usage()).toMatchObject({ requests: 2, costUsd: 2, byModel: { m: { requests: 2 } } });
  });

  test.each<[string, GatewayOptions['budget'], number]>([
    ['requests', { maxRequests: 1 }, 1],
    ['tokens', { maxTokens: 20 }, 1],
  ])('%s budget', async (budget, limits, allowed) => {
    const up = await upstream(okChat({ prompt_tokens: 10, completion_tokens: 5 }));
    const gw = await gateway(oneRoute(up.baseUrl), { budget: limits });
    expect((await call(gw, chat)).status).toBe(200);
    const res = await call(gw, chat);
    expect(res.status).toBe(429);
    expect(((await res.json()) as { error: { budget: string } }).error.budget).toBe(budget);
    expect(up.seen).toHaveLength(allowed);
  });
});

describe('retries, failover and bad upstreams', () => {
  test('500, then 503 with Retry-After, then success', async () => {
    const up = await upstream((req, res, seen, n) => {
      if (n === 1) return void res.writeHead(500).end('oops');
      if (n === 2) return void res.writeHead(503, { 'retry-after': '3' }).end('busy');
      okChat()(req, res, seen, n);
    });
    const gw = await gateway(oneRoute(up.baseUrl));
    const res = await call(gw, chat);
    expect(res.status).toBe(200);
    expect(gw.sleeps).toEqual([250, 3000]);
    expect(gw.audit.of('inference')[0]).toMatchObject({ status: 200, retries: 2 });
  });

  test('retries are bounded: the last 5xx is passed on', async () => {
    const up = await upstream((_q, res) => void res.writeHead(502).end('bad gateway'));
    const gw = await gateway(oneRoute(up.baseUrl), { retry: { retries: 1 } });
    expect((await call(gw, chat)).status).toBe(502);
    expect(up.seen).toHaveLength(2);
  });

  test('upstream down → failover to the second route', async () => {
    const up = await upstream();
    const dead = `http://127.0.0.1:${await closedPort()}/v1`;
    const gw = await gateway({
      default: 'primary',
      routes: [
        { name: 'primary', provider: 'openai', baseUrl: dead, model: 'm', apiKey: CANARY, fallback: 'local' },
        { name: 'local', provider: 'openai-compatible', baseUrl: up.baseUrl, model: 'llama' },
      ],
    });
    const res = await call(gw, chat);
    expect(res.status).toBe(200);
    expect(JSON.parse(up.seen[0]!.body).model).toBe('llama');
    expect(up.seen[0]!.headers.authorization).toBeUndefined();
    expect(gw.audit.of('inference')[0]).toMatchObject({ route: 'local', model: 'llama', retries: 3 });
  });

  test('a route that keeps failing is skipped until its cool-down ends, then tried again', async () => {
    const broken = await upstream((_q, res) => void res.writeHead(503).end('overloaded'));
    const local = await upstream();
    let clock = 1_000_000;
    const logger = new MemoryLogger();
    const gw = await gateway(
      {
        default: 'primary',
        routes: [
          {
            name: 'primary',
            provider: 'openai',
            baseUrl: broken.baseUrl,
            model: 'm',
            apiKey: CANARY,
            fallback: 'local',
          },
          { name: 'local', provider: 'openai-compatible', baseUrl: local.baseUrl, model: 'llama' },
        ],
      },
      { now: () => clock, logger, breaker: { failures: 2, coolDownMs: 30_000 } },
    );
    const hits = async () => {
      expect((await call(gw, chat)).status).toBe(200);
      return broken.seen.length;
    };
    expect(await hits()).toBe(3); // 1 attempt + 2 retries, then the fallback
    expect(await hits()).toBe(6); // the second failure in a row opens the breaker
    expect(logger.lines.map((l) => l.message).join('\n')).toMatch(
      /route "primary" failed 2 calls in a row; calls go to "local" for 30 s/,
    );
    expect(await hits()).toBe(6); // skipped: straight to the fallback
    clock += 30_000;
    expect(await hits()).toBe(9); // cool-down over: tried again, still failing
    expect(await hits()).toBe(9); // skipped again at once
    expect(gw.audit.of('inference').map((e) => [e.route, e.retries])).toEqual([
      ['local', 3],
      ['local', 3],
      ['local', 0],
      ['local', 3],
      ['local', 0],
    ]);
  });

  test('a route that answers again closes its breaker', async () => {
    const flaky = await upstream((req, res, seen, n) =>
      n <= 6 ? void res.writeHead(500).end('down') : okChat()(req, res, seen, n),
    );
    const local = await upstream();
    let clock = 0;
    const gw = await gateway(
      {
        default: 'primary',
        routes: [
          {
            name: 'primary',
            provider: 'openai',
            baseUrl: flaky.baseUrl,
            model: 'm',
            apiKey: CANARY,
            fallback: 'local',
          },
          { name: 'local', provider: 'openai-compatible', baseUrl: local.baseUrl, model: 'llama' },
        ],
      },
      { now: () => clock, breaker: { failures: 2, coolDownMs: 1000 } },
    );
    await call(gw, chat);
    await call(gw, chat); // open
    clock += 1000;
    await call(gw, chat); // half-open: primary answers
    await call(gw, chat); // closed: primary again
    expect(gw.audit.of('inference').map((e) => e.route)).toEqual(['local', 'local', 'primary', 'primary']);
  });

  test('upstream down, no fallback → 502 upstream_unreachable', async () => {
    const gw = await gateway(oneRoute(`http://127.0.0.1:${await closedPort()}/v1`));
    const res = await call(gw, chat);
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('upstream_unreachable');
  });

  test('idle upstream times out (504)', async () => {
    const up = await upstream(() => undefined);
    const gw = await gateway(oneRoute(up.baseUrl), { retry: { retries: 0 }, limits: { idleTimeoutMs: 200 } });
    const res = await call(gw, chat);
    expect(res.status).toBe(504);
  });

  test('malformed upstream JSON → 502 upstream_invalid_json', async () => {
    const up = await upstream(
      (_q, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"choices": [nope'),
    );
    const gw = await gateway(oneRoute(up.baseUrl));
    const res = await call(gw, chat);
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('upstream_invalid_json');
  });

  test('huge responses are cut off (JSON → 502; SSE → connection closed)', async () => {
    const big = 'x'.repeat(200_000);
    const up = await upstream((req, res) => {
      if (req.url?.includes('chat')) {
        const sse = JSON.parse(up.seen.at(-1)!.body).stream;
        res.writeHead(200, { 'content-type': sse ? 'text/event-stream' : 'application/json' });
        for (let i = 0; i < 10; i++) res.write(`data: "${big}"\n\n`);
        res.end();
      }
    });
    const gw = await gateway(oneRoute(up.baseUrl), { limits: { maxResponseBytes: 100_000 } });
    const res = await call(gw, chat);
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('response_too_large');
    const sse = await call(gw, { ...chat, stream: true });
    await expect(sse.text()).rejects.toThrow();
  });

  test('oversized requests → 413 without reaching the upstream', async () => {
    const up = await upstream();
    const gw = await gateway(oneRoute(up.baseUrl), { limits: { maxRequestBytes: 1000 } });
    const res = await call(gw, { ...chat, pad: 'x'.repeat(5000) });
    expect(res.status).toBe(413);
    expect(up.seen).toHaveLength(0);
  });
});

describe('key isolation and audit', () => {
  test('the canary key never reaches the client, the audit files or the logs', async () => {
    // A careless upstream that echoes the credential in its error and in its stream.
    const up = await upstream((req, res) => {
      const echoed = String(req.headers.authorization);
      const sse = JSON.parse(up.seen.at(-1)!.body).stream;
      if (sse) {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'x-echo': 'none' });
        res.end(`data: {"choices":[{"delta":{"content":"${echoed}"}}]}\n\ndata: [DONE]\n\n`);
      } else {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${echoed}` } }));
      }
    });
    const dir = mkdtempSync(join(tmpdir(), 'gw-audit-'));
    try {
      const redactor = new Redactor();
      const writer = new AuditWriter(dir, 'job', redactor);
      const logger = new MemoryLogger();
      const gw = await startGateway({
        routes: oneRoute(up.baseUrl),
        prices: { models: {} },
        audit: writer,
        logger,
        redactor,
        recordPrompts: true,
      });
      opened.push(gw);
      const seenByClient: string[] = [];
      for (const stream of [false, true]) {
        const res = await call(gw, {
          ...chat,
          stream,
          messages: [{ role: 'user', content: 'secret prompt' }],
        });
        seenByClient.push(JSON.stringify([...res.headers]), await res.text());
      }
      expect(up.seen[0]!.headers.authorization).toBe(`Bearer ${CANARY}`);
      writer.finish();
      const files = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8'));
      const everything = [...seenByClient, ...files, ...logger.lines.map((l) => l.message)].join('\n');
      expect(everything).not.toContain(CANARY);
      expect(everything).toContain('***');
      // Prompts only in the opt-in stream.
      expect(readFileSync(join(dir, 'inference.jsonl'), 'utf8')).not.toContain('secret prompt');
      expect(readFileSync(join(dir, 'prompts.jsonl'), 'utf8')).toContain('secret prompt');
      expect(logger.lines.some((l) => l.message.includes('no price for model "m"'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('prompts are not recorded by default', async () => {
    const up = await upstream();
    const gw = await gateway(oneRoute(up.baseUrl));
    await call(gw, chat);
    expect(gw.audit.events.map((e) => e.stream)).toEqual(['inference']);
  });
});

test('listens on a Unix socket', async () => {
  const up = await upstream();
  const dir = mkdtempSync(join(tmpdir(), 'gw-sock-'));
  const socketPath = join(dir, 'gw.sock');
  const gw = await gateway(oneRoute(up.baseUrl), { socketPath, tcp: false });
  const body = JSON.stringify(chat);
  const req = request({
    socketPath,
    path: '/v1/chat/completions',
    method: 'POST',
    headers: { authorization: `Bearer ${gw.token}`, 'content-length': body.length },
  });
  req.end(body);
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  res.resume();
  expect(res.statusCode).toBe(200);
  await gw.close();
  rmSync(dir, { recursive: true, force: true });
});

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('other APIs and the replay provider', () => {
  test.each(['/v1/embeddings', '/v1/responses'])('%s passes through with usage counted', async (path) => {
    const up = await upstream((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          object: 'list',
          data: [],
          usage: { input_tokens: 9, prompt_tokens: 9, output_tokens: 0 },
        }),
      );
    });
    const gw = await gateway(oneRoute(up.baseUrl));
    const res = await call(gw, { model: 'gateway/default', input: 'x' }, { path });
    expect(res.status).toBe(200);
    expect(up.seen[0]!.url).toBe(path);
    expect(gw.usage().inputTokens).toBe(9);
  });

  test('replay runs in-process as a route', async () => {
    const gw = await gateway({
      default: 'replay',
      routes: [
        {
          name: 'replay',
          provider: 'replay',
          model: 'replay',
          script: assetPath('examples', 'replay', 'hello.yaml'),
        },
      ],
    });
    const res = await call(gw, {
      model: 'gateway/default',
      messages: [{ role: 'user', content: 'hi' }],
      tools: [{ type: 'function', function: { name: 'read' } }],
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: Array<{ message: { content: string } }> };
    expect(body.choices[0]!.message.content).toBe('Hello from the replay model.');
    expect(gw.audit.of('inference')[0]).toMatchObject({ provider: 'replay', model: 'replay', status: 200 });
  });
});
