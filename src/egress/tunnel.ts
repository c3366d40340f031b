// CONNECT: L4 tunnels spliced to the checked address, local routes, and
// `protocol: rest` tunnels handed to the inner HTTP server (TLS terminated
// with the job CA, SNI checked against the CONNECT target).
import type { IncomingMessage } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import { classifyHost } from '../policy/host.js';
import { base, deny, type ProxyContext, type TunnelCtx } from './context.js';
import { denySocket, type DenyInfo } from './deny.js';
import { downstreamRelay, type DownstreamRelay } from './relay.js';
import { parseAuthority } from './target.js';

/** Joins client and upstream; `relayed` when the upstream's reads already go to the client (see relay.ts). */
export function pipeTunnel(
  px: ProxyContext,
  client: Duplex,
  upstream: Socket,
  head: Buffer,
  done: (up: number, down: number) => void,
  relayed = false,
) {
  // Byte counts come from the upstream socket's own counters at the end: no
  // per-chunk listeners on the hot path.
  if (head.length) upstream.write(head);
  client.pipe(upstream);
  if (!relayed) upstream.pipe(client);
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    client.destroy();
    upstream.destroy();
    done(upstream.bytesWritten, upstream.bytesRead);
  };
  client.on('error', finish).on('close', finish);
  upstream.on('error', finish).on('close', finish);
  upstream.setTimeout(px.idleMs, finish);
}

export function connectUpstream(
  px: ProxyContext,
  target: { host: string; port: number } | { socketPath: string },
  relay?: DownstreamRelay,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = px.track(netConnect({ ...target, onread: relay?.onread } as never));
    relay?.attach(s);
    const timer = setTimeout(() => s.destroy(new Error('connect timeout')), px.connectMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.setNoDelay(true);
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

export async function onConnect(px: ProxyContext, req: IncomingMessage, client: Duplex, head: Buffer) {
  const started = Date.now();
  px.track(client);
  client.on('error', () => undefined);
  (client as Socket).setNoDelay?.(true);
  const auth = parseAuthority(req.url ?? '');
  if (!auth || auth.port === undefined) {
    deny(
      px,
      { layer: 'l4', host: req.url ?? '', port: 0, reason: 'CONNECT target must be host:port' },
      undefined,
      () =>
        denySocket(
          client,
          { layer: 'l4', host: req.url ?? '', port: 0, reason: 'CONNECT target must be host:port' },
          '400 Bad Request',
        ),
      started,
    );
    return;
  }
  const { host, port } = { host: auth.host, port: auth.port };
  const route = px.routes.get(host.toLowerCase().replace(/\.$/, ''));
  if (route) {
    try {
      const upstream = await connectUpstream(px, route, downstreamRelay(client));
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      pipeTunnel(
        px,
        client,
        upstream,
        head,
        (up, down) =>
          px.record({
            layer: 'l4',
            host,
            port,
            decision: 'allow',
            policy: 'local',
            rule: `localRoutes.${host}`,
            reason: 'job service on the host',
            internal: true,
            bytes_up: up,
            bytes_down: down,
            duration_ms: Date.now() - started,
          }),
        true,
      );
    } catch (err) {
      client.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n');
      px.logger.warn(`local route ${host} unreachable: ${(err as Error).message}`);
    }
    return;
  }
  const d = px.matcher.match({ host, port });
  if (d.decision === 'deny') {
    const info: DenyInfo = { layer: 'l4', host, port, reason: d.reason };
    deny(px, info, d, () => denySocket(client, info), started);
    return;
  }
  const name = classifyHost(host);
  const normHost = name.kind === 'invalid' ? host : name.host;
  if (d.inspect) {
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    // The CONNECT decision itself is audited when the tunnel ends; the requests
    // inside get their own L7 events.
    client.once('close', () => {
      const sock = client as Socket;
      px.record({
        layer: 'l4',
        host,
        port,
        ...base(d),
        inspected: true,
        bytes_up: sock.bytesRead ?? 0,
        bytes_down: sock.bytesWritten ?? 0,
        duration_ms: Date.now() - started,
      });
    });
    inspectTunnel(px, client, head, { host: normHost, port, tls: false, decision: d }, started);
    return;
  }
  const addr = await px.dialAddress(normHost, d);
  if ('reason' in addr) {
    const info: DenyInfo = { layer: 'ssrf', host, port, reason: addr.reason };
    deny(px, info, d, () => denySocket(client, info), started);
    return;
  }
  let upstream: Socket;
  try {
    upstream = await connectUpstream(px, { host: addr.address, port }, downstreamRelay(client));
  } catch (err) {
    client.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n');
    px.record({
      layer: 'l4',
      host,
      port,
      ...base(d),
      reason: `upstream: ${(err as Error).message}`,
      bytes_up: 0,
      bytes_down: 0,
      duration_ms: Date.now() - started,
    });
    return;
  }
  client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
  pipeTunnel(
    px,
    client,
    upstream,
    head,
    (up, down) =>
      px.record({
        layer: 'l4',
        host,
        port,
        ...base(d),
        bytes_up: up,
        bytes_down: down,
        duration_ms: Date.now() - started,
      }),
    true,
  );
}

export function inspectTunnel(
  px: ProxyContext,
  client: Duplex,
  head: Buffer,
  ctx: TunnelCtx,
  started: number,
) {
  const begin = (first: Buffer) => {
    client.pause();
    client.unshift(first);
    if (first[0] === 0x16) {
      const tlsSock = px.track(
        new TLSSocket(client as Socket, {
          isServer: true,
          secureContext: px.contextFor(ctx.host),
          ALPNProtocols: ['http/1.1'],
          SNICallback: (sni, cb) => {
            const n = classifyHost(sni);
            if (n.kind !== 'name' || n.host !== ctx.host) {
              const reason = `TLS SNI "${sni}" does not match the CONNECT target ${ctx.host}`;
              px.record({
                layer: 'l7',
                host: ctx.host,
                port: ctx.port,
                decision: 'deny',
                reason,
                bytes_up: 0,
                bytes_down: 0,
                duration_ms: Date.now() - started,
              });
              cb(new Error(reason));
              return;
            }
            cb(null, px.contextFor(ctx.host));
          },
        }),
      );
      tlsSock.on('error', () => tlsSock.destroy());
      px.tunnels.set(tlsSock, { ...ctx, tls: true });
      px.inner.emit('connection', tlsSock);
    } else {
      px.tunnels.set(client, ctx);
      px.inner.emit('connection', client);
    }
  };
  if (head.length) begin(head);
  else client.once('data', begin);
}
