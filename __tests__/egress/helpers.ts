// Loopback servers and clients for the egress proxy tests. Everything listens
// on 127.0.0.1 or a Unix socket in a temp dir; names resolve through the
// proxy's injected resolver, never DNS.
import { spawn } from 'node:child_process';
import {
  createServer as createHttp,
  request,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttps } from 'node:https';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { createJobCa } from '../../src/egress/ca.js';

export const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), `nemoclaw-${prefix}-`));

export async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as AddressInfo).port;
}

export const close = (server: Server) =>
  new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  });

/** Echoes what it received as JSON; `/stream` sends `n` chunks of 64 KiB slowly; `/ws` upgrades. */
export function echoHandler(req: IncomingMessage, res: ServerResponse) {
  if (req.url?.startsWith('/stream')) {
    let i = 0;
    res.writeHead(200, { 'content-length': String(100 * 65536) });
    const timer = setInterval(() => {
      if (i++ >= 100 || res.destroyed) return clearInterval(timer);
      res.write(Buffer.alloc(65536, 120));
    }, 20);
    res.on('close', () => clearInterval(timer));
    return;
  }
  let body = 0;
  req.on('data', (c: Buffer) => (body += c.length));
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': 'x=1' });
    res.end(JSON.stringify({ method: req.method, url: req.url, host: req.headers.host, body }));
  });
}

/** An upstream CA (not the job CA) and an https server for the given names. */
export function upstreamTls(hosts: string[]) {
  const ca = createJobCa('upstream');
  const servers = hosts.map((h) => ca.leaf(h));
  return { caPem: ca.certPem, cert: servers[0]!, ca };
}

export function httpsServer(cert: { certPem: string; keyPem: string }, handler = echoHandler): Server {
  const s = createHttps({ cert: cert.certPem, key: cert.keyPem }, handler);
  s.on('upgrade', (req, sock: Socket) => {
    sock.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\r\n');
    sock.on('data', (d: Buffer) => sock.write(Buffer.concat([Buffer.from('echo:'), d])));
  });
  return s as unknown as Server;
}

export function httpServer(handler = echoHandler): Server {
  return createHttp(handler);
}

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      ...(cwd ? { cwd } : {}),
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 20_000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Raw HTTP/1.1 exchange on a socket (TCP port or Unix path): for requests curl refuses to send. */
export function raw(target: { port: number } | { path: string }, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect('port' in target ? { port: target.port, host: '127.0.0.1' } : { path: target.path });
    let out = '';
    s.on('data', (d: Buffer) => (out += d.toString('latin1')));
    s.on('error', reject);
    const timer = setTimeout(() => s.end(), 1500);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    s.write(text);
  });
}

/** A request through the proxy's Unix socket with node's http client (absolute-URI form). */
export function viaSocket(
  socketPath: string,
  url: string,
  method = 'GET',
): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request({ socketPath, method, path: url, headers: { host: u.host } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
