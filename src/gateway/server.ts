import { randomBytes, timingSafeEqual } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { OcsfClass, nullAuditSink, type AuditSink, type AuditStream } from '../audit/events.js';
import type { Redactor } from '../audit/redact.js';
import { silentLogger, type Logger } from '../log.js';
import { startReplayServer, type ReplayServer } from '../replay/server.js';
import { Budget, type BudgetLimits, type GatewayUsage } from './budget.js';
import { Breaker, defaultBreakerPolicy, type BreakerPolicy } from './breaker.js';
import { sendError } from './errors.js';
import { costOf, loadShippedPriceTable, type PriceTable } from './prices.js';
import {
  apiPaths,
  clientHeaders,
  providerSpeaks,
  upstreamHeaders,
  upstreamUrl,
  type Api,
} from './providers.js';
import {
  defaultRetryPolicy,
  isRetryableStatus,
  parseRetryAfter,
  retryDelay,
  type RetryPolicy,
} from './retry.js';
import { DEFAULT_MODEL_ALIAS, resolveRoute, type Route, type RoutesConfig } from './routes.js';
import {
  createAgents,
  sendUpstream,
  type Agents,
  type Attempt,
  type UpstreamBody,
  type UpstreamTarget,
} from './upstream.js';
import { SseUsageReader, addUsageFrom, emptyCount, type TokenCount } from './usage.js';

/** Opt-in stream with request bodies; never written unless `recordPrompts`. */
export const PromptsStream = 'prompts' as AuditStream;

export interface GatewayLimits {
  maxRequestBytes: number;
  maxResponseBytes: number;
  /** No bytes from the upstream for this long: the attempt fails (and may be retried). */
  idleTimeoutMs: number;
}

export const defaultLimits: GatewayLimits = {
  maxRequestBytes: 16 * 1024 * 1024,
  maxResponseBytes: 32 * 1024 * 1024,
  idleTimeoutMs: 120_000,
};

export interface GatewayOptions {
  routes: RoutesConfig;
  /** Job token; a random one when absent. */
  token?: string;
  host?: string;
  port?: number;
  /** Also (or only, with `tcp: false`) listen on this Unix socket. */
  socketPath?: string;
  tcp?: boolean;
  budget?: BudgetLimits;
  prices?: PriceTable;
  audit?: AuditSink;
  logger?: Logger;
  /** Provider keys are added to it, so whatever it guards never shows them. */
  redactor?: Redactor;
  recordPrompts?: boolean;
  retry?: Partial<RetryPolicy>;
  /** When a failing route is skipped, and for how long. */
  breaker?: Partial<BreakerPolicy>;
  /** For tests: the clock the breakers read. */
  now?: () => number;
  limits?: Partial<GatewayLimits>;
  /** For tests: waits between retries. */
  sleep?: (ms: number) => Promise<void>;
}

export interface Gateway {
  url: string;
  port: number | undefined;
  socketPath: string | undefined;
  token: string;
  close(): Promise<void>;
  usage(): GatewayUsage;
  readonly budgetExceeded: boolean;
}

interface CallContext {
  api: Api;
  path: string;
  body: Record<string, unknown>;
  started: number;
  requestBytes: number;
  headers: IncomingHttpHeaders;
  clientGone: boolean;
  /** The upstream call in flight, aborted when the client goes away. */
  current: UpstreamBody | undefined;
}

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const token = opts.token ?? `nc-${randomBytes(24).toString('base64url')}`;
  const tokenBuf = Buffer.from(token);
  const logger = opts.logger ?? silentLogger;
  const audit = opts.audit ?? nullAuditSink;
  const limits = { ...defaultLimits, ...opts.limits };
  const policy = { ...defaultRetryPolicy, ...opts.retry };
  const sleep = opts.sleep ?? ((ms: number) => delay(ms));
  const now = opts.now ?? Date.now;
  const breakerPolicy = { ...defaultBreakerPolicy, ...opts.breaker };
  const breaker = perKey((_r: Route) => new Breaker(breakerPolicy));
  /** A route gave up on a call: after enough in a row, later calls go straight past it. */
  const routeFailed = (r: Route, next: Route | undefined) => {
    if (breaker(r).failure(now()) && next) {
      logger.warn(
        `gateway: route "${r.name}" failed ${breakerPolicy.failures} calls in a row; ` +
          `calls go to "${next.name}" for ${Math.round(breakerPolicy.coolDownMs / 1000)} s`,
      );
    }
  };
  const prices = opts.prices ?? (await loadShippedPriceTable());
  const budget = new Budget(opts.budget ?? {});
  const agents: Agents = createAgents();
  const unpriced = new Set<string>();

  for (const r of opts.routes.routes) opts.redactor?.add(r.apiKey);
  opts.redactor?.add(token);

  // Replay routes run in this process, on loopback.
  const replays: ReplayServer[] = [];
  const routes: RoutesConfig = { default: opts.routes.default, routes: [] };
  try {
    for (const r of opts.routes.routes) {
      if (r.provider === 'replay' && !r.baseUrl) {
        if (!r.script) throw new Error(`gateway: replay route "${r.name}" needs a script`);
        const s = await startReplayServer({ scriptPath: r.script, host: '127.0.0.1', port: 0 });
        replays.push(s);
        routes.routes.push({ ...r, baseUrl: `${s.url}/v1` });
      } else {
        routes.routes.push(r);
      }
    }
  } catch (err) {
    await Promise.all(replays.map((s) => s.close()));
    throw err;
  }

  const authorised = (req: IncomingMessage): boolean => {
    const auth = req.headers.authorization;
    const bearer = typeof auth === 'string' ? BEARER.exec(auth) : null;
    const xKey = req.headers['x-api-key'];
    const given = bearer ? auth!.slice(bearer[0].length).trim() : typeof xKey === 'string' ? xKey : '';
    // The length is no secret (every job token has the same); the bytes are.
    if (Buffer.byteLength(given) !== tokenBuf.length) return false;
    return timingSafeEqual(Buffer.from(given), tokenBuf);
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((err: unknown) => {
      logger.warn(`gateway: internal error: ${(err as Error).message}`);
      sendError(res, 500, 'gateway_error', 'internal error');
    });
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (!authorised(req)) {
      req.resume();
      return sendError(res, 401, 'unauthorized', 'missing or wrong job token');
    }
    if (path === '/v1/models' && req.method === 'GET') return listModels(res);
    const api = apiPaths[path];
    if (!api) return sendError(res, 404, 'not_found', `no such endpoint ${path}`);
    if (req.method !== 'POST') return sendError(res, 405, 'method_not_allowed', `${path} takes POST`);
    const raw = await readBody(req, limits.maxRequestBytes);
    if (raw === undefined) {
      return sendError(res, 413, 'request_too_large', `request body over ${limits.maxRequestBytes} bytes`);
    }
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(raw.toString('utf8'));
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      body = parsed as Record<string, unknown>;
    } catch {
      return sendError(res, 400, 'invalid_request_error', 'request body is not a JSON object');
    }
    const asked = typeof body.model === 'string' ? body.model : undefined;
    const route = resolveRoute(routes, asked);
    if (!route) {
      const known = [DEFAULT_MODEL_ALIAS, ...routes.routes.map((r) => r.model)];
      return sendError(
        res,
        404,
        'model_not_found',
        `no route for model "${asked}"; known: ${known.join(', ')}`,
      );
    }
    if (!providerSpeaks(route.provider, api)) {
      return sendError(res, 400, 'unsupported_api', `provider "${route.provider}" does not serve ${path}`);
    }
    const refusal = budget.check(Math.ceil(raw.length / 4));
    if (refusal) {
      const { message, ...rest } = refusal;
      emitCall(route, {
        api,
        status: 429,
        started,
        ttft: undefined,
        count: emptyCount(),
        retries: 0,
        outcome: 'budget_exceeded',
      });
      return sendError(res, 429, 'budget_exceeded', message, {
        budget: rest.budget,
        limit: rest.limit,
        used: rest.used,
      });
    }
    if (opts.recordPrompts) {
      audit.emit(PromptsStream, {
        ...OcsfClass.ApiActivity,
        activity: 'prompt',
        route: route.name,
        api,
        request: body,
      });
    }
    const ctx: CallContext = {
      api,
      path,
      body,
      started,
      requestBytes: raw.length,
      headers: req.headers,
      clientGone: false,
      current: undefined,
    };
    res.on('close', () => {
      if (res.writableFinished) return;
      ctx.clientGone = true;
      ctx.current?.abort();
    });
    await forward(ctx, route, res);
  }

  function listModels(res: ServerResponse): void {
    const ids = [DEFAULT_MODEL_ALIAS, ...new Set(routes.routes.map((r) => r.model))];
    const text = JSON.stringify({
      object: 'list',
      data: ids.map((id) => ({ id, object: 'model', created: 0, owned_by: 'nemoclaw-gateway' })),
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  /** Tries the route, retrying and then failing over, and relays the answer. */
  async function forward(ctx: CallContext, first: Route, res: ServerResponse): Promise<void> {
    // Routes whose breaker is open are passed over, unless that leaves nothing.
    const full = fallbackChain(first);
    const t = now();
    const open = full.filter((r) => !breaker(r).isOpen(t));
    const chain = open.length > 0 ? open : full;
    let retries = 0;
    let last: { route: Route; attempt: Attempt } | undefined;
    // The client left before any answer: no retry, but the call is still
    // audited and counted (the upstream may have spent tokens on it).
    const gone = (route: Route) =>
      emitCall(route, {
        api: ctx.api,
        status: 'client_closed',
        started: ctx.started,
        ttft: undefined,
        count: emptyCount(),
        retries,
        outcome: 'client_closed',
        requestBytes: ctx.requestBytes,
      });
    for (let ri = 0; ri < chain.length; ri++) {
      const route = chain[ri]!;
      const payload = upstreamBody(ctx, route);
      const url = target(route, ctx.path);
      const headers = upstreamHeaders(route, ctx.headers, payload.length);
      for (let attemptNo = 0; attemptNo <= policy.retries; attemptNo++) {
        if (ctx.clientGone) return gone(last?.route ?? route);
        if (last) {
          retries += 1;
          const after = last.attempt.ok
            ? parseRetryAfter(header(last.attempt.res.headers['retry-after']), Date.now())
            : undefined;
          const wait = retryDelay(policy, attemptNo === 0 ? 0 : attemptNo - 1, after);
          logger.debug(
            `gateway: ${describe(last.attempt)} from route "${last.route.name}"; trying route "${route.name}" in ${wait} ms`,
          );
          if (last.attempt.ok) last.attempt.res.body.discard();
          if (attemptNo > 0 || last.route === route) await sleep(wait);
          if (ctx.clientGone) return gone(route);
        }
        const call = sendUpstream(url, headers, payload, agents, limits.idleTimeoutMs);
        ctx.current = call;
        const attempt = await call.attempt;
        if (ctx.clientGone) {
          call.abort();
          return gone(route);
        }
        const retryable = attempt.ok ? isRetryableStatus(attempt.res.statusCode) : true;
        const moreHere = attemptNo < policy.retries;
        const moreRoutes = ri < chain.length - 1;
        if (!retryable) breaker(route).success();
        else if (!moreHere) routeFailed(route, chain[ri + 1]);
        if (!retryable || (!moreHere && !moreRoutes)) {
          return relay(ctx, route, attempt, res, retries);
        }
        last = { route, attempt };
        if (!moreHere) break;
      }
    }
  }

  // Per route and path, computed once: parsing a URL costs more than the rest
  // of the request line on the hot path.
  const targetsOf = perKey((route: Route) =>
    perKey((path: string): UpstreamTarget => {
      const url = upstreamUrl(route.baseUrl!, path);
      return { origin: url.origin, path: url.pathname + url.search };
    }),
  );
  const target = (route: Route, path: string) => targetsOf(route)(path);
  const fallbackChain = perKey(buildChain);

  function buildChain(first: Route): Route[] {
    const chain = [first];
    let r: Route | undefined = first;
    while (r?.fallback) {
      r = routes.routes.find((x) => x.name === r!.fallback);
      if (!r || chain.includes(r)) break;
      chain.push(r);
    }
    return chain;
  }

  function upstreamBody(ctx: CallContext, route: Route): Buffer {
    const body: Record<string, unknown> = { ...ctx.body, model: route.model };
    // Usage arrives in the stream only when asked for; budgets need it.
    if (ctx.api === 'chat' && body.stream === true && route.provider !== 'anthropic') {
      const so = (body.stream_options as Record<string, unknown> | undefined) ?? {};
      body.stream_options = { ...so, include_usage: true };
    }
    return Buffer.from(JSON.stringify(body));
  }

  async function relay(
    ctx: CallContext,
    route: Route,
    attempt: Attempt,
    res: ServerResponse,
    retries: number,
  ): Promise<void> {
    const done = (status: number | string, ttft: number | undefined, count: TokenCount, outcome: string) =>
      emitCall(route, {
        api: ctx.api,
        status,
        started: ctx.started,
        ttft,
        count,
        retries,
        outcome,
        requestBytes: ctx.requestBytes,
      });
    if (!attempt.ok) {
      const status = attempt.timeout ? 504 : 502;
      done(status, undefined, emptyCount(), attempt.timeout ? 'upstream_timeout' : 'upstream_unreachable');
      return sendError(
        res,
        status,
        attempt.timeout ? 'upstream_timeout' : 'upstream_unreachable',
        `route "${route.name}": ${attempt.error.message}`,
      );
    }
    const up = attempt.res.body;
    const upHeaders = attempt.res.headers;
    const status = attempt.res.statusCode;
    const sse = String(upHeaders['content-type'] ?? '').includes('text/event-stream');
    let ttft: number | undefined;
    let bytes = 0;
    await new Promise<void>((resolve) => {
      let finished = false;
      const finish = (outcome: string, count: TokenCount) => {
        if (finished) return;
        finished = true;
        done(
          ctx.clientGone ? 'client_closed' : status,
          ttft,
          count,
          ctx.clientGone ? 'client_closed' : outcome,
        );
        resolve();
      };
      /** Counts a chunk of the body; false once the body is over the size limit. */
      const arrived = (chunk: Buffer): boolean => {
        ttft ??= performance.now() - ctx.started;
        bytes += chunk.length;
        return bytes <= limits.maxResponseBytes;
      };
      if (sse) {
        const reader = new SseUsageReader();
        res.writeHead(status, clientHeaders(upHeaders));
        res.flushHeaders();
        res.on('close', () => finish('client_closed', reader.count));
        up.consume({
          data(chunk) {
            if (finished) return;
            if (!arrived(chunk)) {
              res.destroy();
              finish('response_too_large', reader.count);
              return up.abort(new Error('response too large'));
            }
            reader.push(chunk);
            if (!res.write(scrub(chunk, route))) {
              up.pause();
              res.once('drain', () => up.resume());
            }
          },
          end() {
            reader.end();
            res.end();
            finish('ok', reader.count);
          },
          error() {
            res.destroy();
            finish('upstream_aborted', reader.count);
          },
        });
        return;
      }
      const chunks: Buffer[] = [];
      up.consume({
        data(chunk) {
          if (finished) return;
          if (!arrived(chunk)) {
            sendError(
              res,
              502,
              'response_too_large',
              `upstream response over ${limits.maxResponseBytes} bytes`,
            );
            finish('response_too_large', emptyCount());
            return up.abort(new Error('response too large'));
          }
          chunks.push(chunk);
        },
        error() {
          if (finished) return;
          sendError(res, 502, 'upstream_aborted', 'upstream closed the connection mid-response');
          finish('upstream_aborted', emptyCount());
        },
        end() {
          if (finished) return;
          completeJson(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes));
        },
      });
      // A declaration, hoisted: consume() may deliver the end at once.
      function completeJson(body: Buffer): void {
        const payload = scrub(body, route);
        const count = emptyCount();
        const isJson = String(upHeaders['content-type'] ?? '').includes('json');
        if (isJson || (status >= 200 && status < 300)) {
          try {
            addUsageFrom(JSON.parse(payload.toString('utf8')), count);
          } catch {
            if (status >= 200 && status < 300) {
              sendError(
                res,
                502,
                'upstream_invalid_json',
                `route "${route.name}" answered ${status} with a body that is not JSON`,
              );
              return finish('upstream_invalid_json', count);
            }
          }
        }
        res.writeHead(status, clientHeaders(upHeaders, payload.length));
        res.end(payload);
        finish(status < 400 ? 'ok' : 'upstream_error', count);
      }
    });
  }

  function emitCall(
    route: Route,
    c: {
      api: Api;
      status: number | string;
      started: number;
      ttft: number | undefined;
      count: TokenCount;
      retries: number;
      outcome: string;
      requestBytes?: number;
    },
  ): void {
    const refused = c.outcome === 'budget_exceeded';
    // Without reported usage, estimate (4 bytes a token) so budgets still bite.
    const estimated = !refused && !c.count.seen && c.requestBytes !== undefined;
    const input = estimated ? Math.ceil(c.requestBytes! / 4) : c.count.input;
    const output = c.count.output;
    let cost = costOf(prices, route.model, input, output);
    if (cost === undefined) {
      if (!unpriced.has(route.model)) {
        unpriced.add(route.model);
        logger.warn(`gateway: no price for model "${route.model}" in data/prices.yaml; its cost counts as 0`);
      }
      cost = 0;
    }
    if (!refused) budget.record(route.model, input, output, cost);
    audit.emit('inference', {
      ...OcsfClass.ApiActivity,
      activity: refused ? 'refuse' : 'call',
      provider: route.provider,
      model: route.model,
      route: route.name,
      api: c.api,
      status: c.status,
      outcome: c.outcome,
      latency_ms: round(performance.now() - c.started),
      ttft_ms: c.ttft === undefined ? null : round(c.ttft),
      input_tokens: refused ? 0 : input,
      output_tokens: output,
      usage_estimated: estimated,
      cost_usd: refused ? 0 : cost,
      retries: c.retries,
    });
  }

  const servers: Server[] = [];
  const listen = (server: Server, target: { port: number; host: string } | string) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      if (typeof target === 'string') server.listen(target, resolve);
      else server.listen(target.port, target.host, resolve);
    });
  let port: number | undefined;
  let host = opts.host ?? '127.0.0.1';
  try {
    if (opts.tcp !== false) {
      const s = createServer({ keepAliveTimeout: 5_000 }, handler);
      servers.push(s);
      await listen(s, { port: opts.port ?? 0, host });
      const addr = s.address() as AddressInfo;
      port = addr.port;
      host = addr.address.includes(':') ? `[${addr.address}]` : addr.address;
    }
    if (opts.socketPath) {
      const s = createServer({ keepAliveTimeout: 5_000 }, handler);
      servers.push(s);
      await listen(s, opts.socketPath);
    }
  } catch (err) {
    await closeAll();
    throw err;
  }

  async function closeAll(): Promise<void> {
    await Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.closeAllConnections();
            s.close(() => resolve());
          }),
      ),
    );
    await agents.destroy();
    await Promise.all(replays.map((r) => r.close()));
  }

  return {
    url: port !== undefined ? `http://${host}:${port}` : 'http://localhost',
    port,
    socketPath: opts.socketPath,
    token,
    close: closeAll,
    usage: () => budget.usage(),
    get budgetExceeded() {
      return budget.exceeded;
    },
  };
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) over = true;
      if (!over) chunks.push(c);
    });
    req.on('end', () =>
      resolve(over ? undefined : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)),
    );
    req.on('error', reject);
  });
}

/**
 * Upstreams echo credentials in error messages now and then; the agent must
 * never see the provider key, so it is blanked out of what passes back.
 */
function scrub(data: Buffer, route: Route): Buffer {
  const key = route.apiKey;
  if (!key || key.length < 6 || data.indexOf(key) < 0) return data;
  return Buffer.from(data.toString('utf8').split(key).join('***'));
}

const BEARER = /^bearer\s+/i;

/** `make(key)` once per key, then the same value for it. */
function perKey<K, V>(make: (key: K) => V): (key: K) => V {
  const made = new Map<K, V>();
  return (key) => {
    let v = made.get(key);
    if (v === undefined) made.set(key, (v = make(key)));
    return v;
  };
}
const header = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
const round = (ms: number) => Math.round(ms * 100) / 100;
const describe = (a: Attempt) => (a.ok ? `HTTP ${a.res.statusCode}` : a.error.message);
