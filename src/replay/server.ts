import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { completionBody, completionChunks } from './format.js';
import { loadReplayScript, type ReplayScript } from './script.js';
import { decide, type ChatRequest } from './turn.js';

// The replay model as an OpenAI-compatible HTTP server. A mismatch answers 400:
// OpenClaw stops on 400 at once, so a broken script ends the run with the
// message instead of retrying.
const requestSchema = z
  .object({
    model: z.string().optional(),
    messages: z.array(z.object({ role: z.string() }).passthrough()),
    tools: z
      .array(z.object({ function: z.object({ name: z.string() }).passthrough() }).passthrough())
      .optional(),
    stream: z.boolean().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).passthrough().nullish(),
  })
  .passthrough();

const MAX_BODY = 64 * 1024 * 1024;

export type ReplayHandler = (req: IncomingMessage, res: ServerResponse) => void;

export function createReplayHandler(script: ReplayScript): ReplayHandler {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/v1/models') {
      return json(res, 200, {
        object: 'list',
        data: [{ id: script.model, object: 'model', created: 0, owned_by: 'replay' }],
      });
    }
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      return json(res, 404, error(`replay: no such endpoint ${req.method} ${path}`, 'not_found'));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        json(res, 413, error('replay: request body too large', 'request_too_large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (res.headersSent) return;
      let body: ChatRequest;
      try {
        body = requestSchema.parse(JSON.parse(Buffer.concat(chunks).toString('utf8'))) as ChatRequest;
      } catch (err) {
        return json(
          res,
          400,
          error(`replay: bad request body: ${(err as Error).message.slice(0, 300)}`, 'invalid_request_error'),
        );
      }
      const d = decide(script, body);
      if (d.kind === 'error') return json(res, 400, error(d.message, 'replay_mismatch'));
      const model = body.model ?? script.model;
      if (!body.stream) return json(res, 200, completionBody(body, d, model));
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      for (const f of completionChunks(body, d, model)) res.write(f);
      res.end();
    });
  };
}

function error(message: string, type: string) {
  return { error: { message, type, code: type } };
}

function json(res: ServerResponse, status: number, body: object): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export interface ReplayServerOptions {
  script?: ReplayScript;
  scriptPath?: string;
  host?: string;
  port?: number;
}

export interface ReplayServer {
  url: string;
  close(): Promise<void>;
}

export async function startReplayServer(opts: ReplayServerOptions): Promise<ReplayServer> {
  const script = opts.script ?? (opts.scriptPath ? loadReplayScript(opts.scriptPath) : undefined);
  if (!script) throw new Error('startReplayServer: pass script or scriptPath');
  const server = createServer(createReplayHandler(script));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve);
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
