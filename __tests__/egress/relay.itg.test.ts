// The L4 tunnel's downstream relay reuses one read buffer (src/egress/relay.ts).
// These tests hold it to what a plain pipe guaranteed: order (the 200 line
// before anything the upstream says), every byte intact under backpressure
// from a slow client, and the upstream's end carried to the client.
import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { startEgressProxy, type EgressProxy } from '../../src/egress/proxy.js';
import { parsePolicyText } from '../../src/policy/load.js';

const PAYLOAD = randomBytes(8 * 1024 * 1024);
const BANNER = 'SSH-2.0-banner-first\r\n';
let server: Server;
let proxy: EgressProxy;

beforeAll(async () => {
  // Speaks first, like SSH or SMTP, then sends the payload and closes.
  server = createServer((s) => {
    s.on('error', () => undefined);
    s.write(BANNER);
    s.end(PAYLOAD);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  proxy = await startEgressProxy({
    policy: parsePolicyText(
      `version: 1\nnetwork_policies:\n  t:\n    endpoints:\n      - { host: banner.test, port: ${port}, allowed_ips: ["127.0.0.0/8"] }\n`,
      'relay.yaml',
    ),
    port: 0,
    resolver: async () => ['127.0.0.1'],
    localRoutes: { 'inference.local': { host: '127.0.0.1', port } },
  });
});

afterAll(async () => {
  await proxy.close();
  await new Promise((r) => server.close(r));
});

/** CONNECTs, then reads everything, pausing after every chunk when `slow`. */
function tunnel(target: string, slow: boolean): Promise<{ text: Buffer; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const s: Socket = connect({ host: '127.0.0.1', port: proxy.port! });
    const chunks: Buffer[] = [];
    let ended = false;
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      if (slow) {
        s.pause();
        setTimeout(() => s.resume(), 1);
      }
    });
    s.on('end', () => (ended = true));
    s.on('close', () => resolve({ text: Buffer.concat(chunks), ended }));
    s.on('error', reject);
    s.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`);
  });
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('L4 tunnel relay', () => {
  const port = () => (server.address() as AddressInfo).port;
  test.each([
    ['fast client, policy host', 'banner.test', false],
    ['slow client, policy host', 'banner.test', true],
    ['slow client, local route', 'inference.local', true],
  ])('%s: 200 first, banner next, every byte intact, end carried', async (_n, host, slow) => {
    const { text, ended } = await tunnel(`${host}:${port()}`, slow);
    const head = 'HTTP/1.1 200 Connection Established\r\n\r\n';
    expect(text.subarray(0, head.length + BANNER.length).toString('latin1')).toBe(head + BANNER);
    const body = text.subarray(head.length + BANNER.length);
    expect(body.length).toBe(PAYLOAD.length);
    expect(sha(body)).toBe(sha(PAYLOAD));
    expect(ended).toBe(true);
  });
});
