import {
  Agent as HttpAgent,
  request as httpRequest,
  type ClientRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

// One request to one upstream. Resolves when response headers arrive or the
// attempt failed (connect error, idle timeout); body streaming is the caller's.
export type Attempt =
  { ok: true; req: ClientRequest; res: IncomingMessage } | { ok: false; error: Error; timeout: boolean };

export class UpstreamTimeout extends Error {
  constructor(ms: number) {
    super(`upstream idle for ${ms} ms`);
    this.name = 'UpstreamTimeout';
  }
}

export interface Agents {
  http: HttpAgent;
  https: HttpsAgent;
  destroy(): void;
}

export function createAgents(): Agents {
  const http = new HttpAgent({ keepAlive: true, maxSockets: 256 });
  const https = new HttpsAgent({ keepAlive: true, maxSockets: 256 });
  return { http, https, destroy: () => (http.destroy(), https.destroy()) };
}

export function sendUpstream(
  url: URL,
  headers: OutgoingHttpHeaders,
  body: Buffer,
  agents: Agents,
  idleMs: number,
  signal?: AbortSignal,
): Promise<Attempt> {
  return new Promise((resolve) => {
    const secure = url.protocol === 'https:';
    const req = (secure ? httpsRequest : httpRequest)(url, {
      method: 'POST',
      headers,
      agent: secure ? agents.https : agents.http,
      ...(signal ? { signal } : {}),
    });
    let settled = false;
    const settle = (a: Attempt) => {
      if (!settled) {
        settled = true;
        resolve(a);
      }
    };
    // A socket timeout covers both the wait for headers and the gaps between chunks.
    req.setTimeout(idleMs, () => req.destroy(new UpstreamTimeout(idleMs)));
    req.on('response', (res) => settle({ ok: true, req, res }));
    req.on('error', (error) => settle({ ok: false, error, timeout: error instanceof UpstreamTimeout }));
    req.end(body);
  });
}
