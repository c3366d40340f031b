// What the sandbox needs from the host-side egress proxy: a Unix socket in a
// directory it can mount, and the CA the proxy signs intercepted TLS with.
// The real proxy lives in src/egress/; `denyAllEgress` is the fail-closed
// stand-in used when no policy is given (and by tests).
import { createServer } from 'node:http';
import { join } from 'node:path';
import { EGRESS_SOCKET_NAME } from './spec.js';

export interface EgressHandle {
  /** PEM of the job CA when the proxy terminates TLS; the sandbox trusts it. */
  caCertPem?: string;
  close(): Promise<void>;
}

/** Starts a proxy listening on `<socketDir>/egress.sock`. */
export type StartEgress = (socketDir: string) => Promise<EgressHandle>;

/** Answers every request and CONNECT with 403: nothing leaves the sandbox. */
export const denyAllEgress: StartEgress = async (socketDir) => {
  const server = createServer((_req, res) => {
    res
      .writeHead(403, { 'content-type': 'text/plain' })
      .end('nemoclaw: no egress policy, every request is denied\n');
  });
  server.on('connect', (_req, socket) => socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(join(socketDir, EGRESS_SOCKET_NAME), resolve);
  });
  return { close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
};
