import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { Agent, errors, type Dispatcher } from 'undici';

// One request to one upstream. Resolves when response headers arrive or the
// attempt failed (connect error, idle timeout); body streaming is the caller's.
//
// undici rather than node:http: per call, http.request builds a ClientRequest,
// asks the agent for a socket (a recv syscall to check a pooled socket for stray
// bytes) and runs the outgoing-message machinery, which made the gateway cost
// five times what the upstream itself costs per call (bench/gateway).
// And undici's raw `dispatch` rather than its `request()`: no Readable, no
// AbortSignal listeners per call; the body arrives as callbacks, with pause/
// resume for backpressure and `abort()` to drop the upstream call.

/** Where the response body goes, once the caller is ready for it. */
export interface BodySink {
  data(chunk: Buffer): void;
  end(): void;
  error(err: Error): void;
}

export interface UpstreamBody {
  /** Starts delivery; chunks that arrived before are handed over first. */
  consume(sink: BodySink): void;
  /** Backpressure: stop reading from the upstream socket until `resume()`. */
  pause(): void;
  resume(): void;
  /** Drops the upstream call (and its connection); the sink then gets `error(reason)`. */
  abort(reason?: Error): void;
  /** Reads and throws away the rest (a retried attempt's body). */
  discard(): void;
}

export interface UpstreamResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: UpstreamBody;
}

export type Attempt = { ok: true; res: UpstreamResponse } | { ok: false; error: Error; timeout: boolean };

export class UpstreamTimeout extends Error {
  constructor(ms: number) {
    super(`upstream idle for ${ms} ms`);
    this.name = 'UpstreamTimeout';
  }
}

export class ClientGone extends Error {
  constructor() {
    super('client closed the connection');
    this.name = 'ClientGone';
  }
}

/** Where an attempt goes: the origin and the path (with query) on it. */
export interface UpstreamTarget {
  origin: string;
  path: string;
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

const ignore: BodySink = { data() {}, end() {}, error() {} };

/** One attempt: undici's dispatch handler, and the body handle given to the caller. */
export class UpstreamCall implements Dispatcher.DispatchHandler, UpstreamBody {
  /** Settles with the headers, or with the failure before them. */
  readonly attempt: Promise<Attempt>;
  private settle!: (a: Attempt) => void;
  private settled = false;
  private controller: Dispatcher.DispatchController | undefined;
  private cancelled: Error | undefined;
  private sink: BodySink | undefined;
  /** What arrived before `consume()`: chunks, then the end or an error. */
  private early: Buffer[] | undefined;
  private earlyEnd: { err?: Error } | undefined;

  constructor(private readonly idleMs: number) {
    this.attempt = new Promise((resolve) => (this.settle = resolve));
  }

  // --- undici's side

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // Cancelled while queued for a connection.
    if (this.cancelled) controller.abort(this.cancelled);
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    this.settled = true;
    this.settle({ ok: true, res: { statusCode, headers, body: this } });
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.sink) this.sink.data(chunk);
    else (this.early ??= []).push(chunk);
  }

  onResponseEnd(): void {
    if (this.sink) this.sink.end();
    else this.earlyEnd = {};
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    if (!this.settled) {
      this.settled = true;
      const timeout = isTimeout(err);
      this.settle({ ok: false, error: timeout ? new UpstreamTimeout(this.idleMs) : err, timeout });
    } else if (this.sink) {
      this.sink.error(err);
    } else {
      this.earlyEnd = { err };
    }
  }

  // --- the caller's side

  consume(sink: BodySink): void {
    this.sink = sink;
    const early = this.early;
    this.early = undefined;
    if (early) for (const c of early) sink.data(c);
    const end = this.earlyEnd;
    if (!end) return;
    if (end.err) sink.error(end.err);
    else sink.end();
  }

  pause(): void {
    this.controller?.pause();
  }

  resume(): void {
    this.controller?.resume();
  }

  abort(reason: Error = new ClientGone()): void {
    if (this.cancelled) return;
    this.cancelled = reason;
    this.controller?.abort(reason);
  }

  discard(): void {
    this.consume(ignore);
  }
}

/** Starts one attempt; `call.attempt` settles when the headers (or a failure) arrive. */
export function sendUpstream(
  url: UpstreamTarget,
  headers: OutgoingHttpHeaders,
  body: Buffer,
  agents: Agents,
  idleMs: number,
): UpstreamCall {
  const call = new UpstreamCall(idleMs);
  try {
    agents.dispatcher.dispatch(
      {
        origin: url.origin,
        path: url.path,
        method: 'POST',
        headers: headers as Record<string, string>,
        body,
        // Both cover silence: before the headers, and between body chunks.
        headersTimeout: idleMs,
        bodyTimeout: idleMs,
      },
      call,
    );
  } catch (err) {
    call.onResponseError(undefined as never, err as Error);
  }
  return call;
}
