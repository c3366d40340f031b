import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Provider, Route } from './routes.js';

// How each provider is addressed: which API paths it speaks and how its
// credential is presented. The caller's own credentials never pass.
export type Api = 'chat' | 'responses' | 'embeddings' | 'messages';

export const apiPaths: Record<string, Api> = {
  '/v1/chat/completions': 'chat',
  '/v1/responses': 'responses',
  '/v1/embeddings': 'embeddings',
  '/v1/messages': 'messages',
};

const speaks: Record<Provider, ReadonlySet<Api>> = {
  openai: new Set(['chat', 'responses', 'embeddings']),
  nvidia: new Set(['chat', 'embeddings']),
  'openai-compatible': new Set(['chat', 'responses', 'embeddings']),
  replay: new Set(['chat']),
  anthropic: new Set(['messages']),
};

export const providerSpeaks = (p: Provider, api: Api): boolean => speaks[p].has(api);

export const ANTHROPIC_VERSION = '2023-06-01';

/**
 * Caller headers that may reach the provider: API options only. An allow-list,
 * so the agent cannot add credentials, an organisation to bill or routing
 * headers the gateway does not know about.
 */
const forwarded = (name: string): boolean =>
  name === 'accept' ||
  name === 'user-agent' ||
  name === 'openai-beta' ||
  name.startsWith('anthropic-') ||
  name.startsWith('x-stainless-');

export function upstreamHeaders(
  route: Route,
  incoming: IncomingHttpHeaders,
  bodyLength: number,
): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  // for-in, not Object.entries: no array of pairs per call on the hot path.
  for (const k in incoming) {
    const v = incoming[k];
    if (v !== undefined && forwarded(k)) out[k] = v;
  }
  out['content-type'] = 'application/json';
  out['content-length'] = String(bodyLength);
  // Identity encoding: usage is read from the bytes as they pass.
  out['accept-encoding'] = 'identity';
  if (route.apiKey) {
    if (route.provider === 'anthropic') out['x-api-key'] = route.apiKey;
    else out.authorization = `Bearer ${route.apiKey}`;
  }
  if (route.provider === 'anthropic' && !out['anthropic-version'])
    out['anthropic-version'] = ANTHROPIC_VERSION;
  return out;
}

/** Response headers the client should not see: connection-level ones and cookies. */
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'upgrade',
  'te',
  'trailer',
  'set-cookie',
  'proxy-authenticate',
]);

/** `/v1/chat/completions` on a base URL that already ends in `/v1`. */
export function upstreamUrl(baseUrl: string, path: string): URL {
  const base = baseUrl.replace(/\/+$/, '');
  const rest = base.endsWith('/v1') ? path.slice('/v1'.length) : path;
  return new URL(base + rest);
}

/**
 * Response headers the client may see (hop-by-hop and cookies dropped), with
 * the gateway's own content-length when it knows the body.
 */
export function clientHeaders(upstream: IncomingHttpHeaders, contentLength?: number): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const k in upstream) {
    const v = upstream[k];
    if (v === undefined || hopByHop.has(k)) continue;
    out[k] = v;
  }
  if (contentLength !== undefined) out['content-length'] = contentLength;
  return out;
}
