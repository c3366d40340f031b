// The in-sandbox forwarder, run here with the same Node on loopback.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assetPath } from '../../src/paths.js';

const script = assetPath('src', 'sandbox', 'runtime', 'forwarder.mjs');
let dir: string;
let upstream: Server;
let child: ChildProcess;
const port = 20000 + (process.pid % 20000);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nemoclaw-fwd-'));
  // Replies only after the client has finished sending: proves half-close is relayed.
  upstream = createServer({ allowHalfOpen: true }, (s) => {
    let got = '';
    s.on('data', (c: Buffer) => (got += c.toString()));
    s.on('end', () => s.end(`echo:${got}`));
  });
  await new Promise<void>((ok) => upstream.listen(join(dir, 'up.sock'), ok));
  child = spawn(process.execPath, [script, `${port}=${join(dir, 'up.sock')}`]);
  await new Promise<void>((ok) => child.stdout!.once('data', () => ok()));
});

afterAll(async () => {
  child.kill('SIGTERM');
  await new Promise((ok) => child.once('exit', ok));
  await new Promise((ok) => upstream.close(ok));
  await rm(dir, { recursive: true, force: true });
});

function roundTrip(payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let got = '';
    s.on('data', (c: Buffer) => (got += c.toString()));
    s.on('end', () => resolve(got));
    s.on('error', reject);
    s.end(payload);
  });
}

test('relays a connection both ways, including a half-close', async () => {
  expect(await roundTrip('hello')).toBe('echo:hello');
});

test('relays concurrent connections independently', async () => {
  const results = await Promise.all(['a', 'b', 'c'].map((p) => roundTrip(p.repeat(100_000))));
  expect(results.map((r) => r.length)).toEqual([100_005, 100_005, 100_005]);
});

test('a dead upstream closes the client connection (fails closed)', async () => {
  const other = spawn(process.execPath, [script, `${port + 1}=${join(dir, 'missing.sock')}`]);
  await new Promise<void>((ok) => other.stdout!.once('data', () => ok()));
  try {
    const got = await new Promise<string>((resolve) => {
      const s = connect({ port: port + 1, host: '127.0.0.1' });
      s.on('close', () => resolve('closed'));
      s.on('error', () => undefined);
      s.write('GET / HTTP/1.1\r\n\r\n');
    });
    expect(got).toBe('closed');
  } finally {
    other.kill('SIGTERM');
  }
});

test.each([['3128'], ['x=/a.sock'], ['3128=relative.sock']])(
  'bad argument %s exits 2 with a message',
  async (arg) => {
    const bad = spawn(process.execPath, [script, arg]);
    let err = '';
    bad.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise((ok) => bad.once('exit', ok));
    expect(code).toBe(2);
    expect(err).toMatch(/forwarder: bad argument/);
  },
);
