import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { Agent, errors, type Dispatcher } from 'undici';

// One request to one upstream. Resolves when response headers arrive or the
// attempt failed (connect error, idle timeout); body streaming is the caller's.
//
// undici rather than node:http: per call, http.request builds a ClientRequest,
// asks the agent for a socket (a recv syscall to check a pooled socket for stray
// bytes) and runs the outgoing-message machinery, which made the gateway cost
// five times what the upstream itself costs per call (bench/gateway).
export interface UpstreamResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  /** Streams the body; `destroy()` it to drop the upstream connection. */
  body: Readable;
}

export type Attempt = { ok: true; res: UpstreamResponse } | { ok: false; error: Error; timeout: boolean };

export class UpstreamTimeout extends Error {
  constructor(ms: number) {
    super(`upstream idle for ${ms} ms`);
    this.name = 'UpstreamTimeout';
  }
}

export interface Agents {
  dispatcher: Dispatcher;
  destroy(): Promise<void>;
}

export function createAgents(): Agents {
  // Keep-alive per origin; HTTP/1.1 without pipelining, as providers expect.
  const dispatcher = new Agent({ connections: 256, pipelining: 1, keepAliveTimeout: 30_000 });
  return { dispatcher, destroy: () => dispatcher.destroy().catch(() => undefined) };
}

const isTimeout = (e: unknown) =>
  e instanceof errors.HeadersTimeoutError ||
  e instanceof errors.BodyTimeoutError ||
  e instanceof errors.ConnectTimeoutError;

export async function sendUpstream(
  url: URL,
  headers: OutgoingHttpHeaders,
  body: Buffer,
  agents: Agents,
  idleMs: number,
  signal?: AbortSignal,
): Promise<Attempt> {
  try {
    const res = await agents.dispatcher.request({
      origin: url.origin,
      path: url.pathname + url.search,
      method: 'POST',
      headers: headers as Record<string, string>,
      body,
      // Both cover silence: before the headers, and between body chunks.
      headersTimeout: idleMs,
      bodyTimeout: idleMs,
      ...(signal ? { signal } : {}),
    });
    return {
      ok: true,
      res: { statusCode: res.statusCode, headers: res.headers as IncomingHttpHeaders, body: res.body },
    };
  } catch (err) {
    const timeout = isTimeout(err);
    return { ok: false, error: timeout ? new UpstreamTimeout(idleMs) : (err as Error), timeout };
  }
}
