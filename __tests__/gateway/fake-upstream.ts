import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// A provider-shaped HTTP server on loopback: the real upstream cannot exist in
// tests, so each test scripts what this one answers.
export interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type UpstreamHandler = (req: IncomingMessage, res: ServerResponse, seen: Seen, n: number) => void;

export interface FakeUpstream {
  url: string;
  baseUrl: string;
  seen: Seen[];
  handle: UpstreamHandler;
  close(): Promise<void>;
}

export async function startFakeUpstream(handle: UpstreamHandler = okChat()): Promise<FakeUpstream> {
  const seen: Seen[] = [];
  const up: FakeUpstream = {
    url: '',
    baseUrl: '',
    seen,
    handle,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s: Seen = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      seen.push(s);
      up.handle(req, res, s, seen.length);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  up.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  up.baseUrl = `${up.url}/v1`;
  return up;
}

export const chatBody = (usage = { prompt_tokens: 10, completion_tokens: 5 }, content = 'hi') => ({
  id: 'x',
  object: 'chat.completion',
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
});

export const okChat =
  (usage?: { prompt_tokens: number; completion_tokens: number }): UpstreamHandler =>
  (_req, res) => {
    const text = JSON.stringify(chatBody(usage));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(text);
  };

/** A loopback port with nothing listening: connect is refused. */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
