// Runs INSIDE the sandbox as its main process (node, no dependencies).
// Usage: node forwarder.mjs PORT=SOCKET [PORT=SOCKET ...]
// Listens on 127.0.0.1:PORT and pipes each connection to the Unix SOCKET of a
// host-side service (egress proxy, gateway). Not a security boundary: the
// sandbox has no network interface, so killing or replacing this process only
// loses the way out; the host proxy decides everything.
import net from 'node:net';

const pairs = process.argv.slice(2).map((arg) => {
  const m = /^(\d+)=(\/.+)$/.exec(arg);
  if (!m) {
    process.stderr.write(`forwarder: bad argument ${arg} (want PORT=/path/to.sock)\n`);
    process.exit(2);
  }
  return { port: Number(m[1]), socket: m[2] };
});

let pending = pairs.length;
for (const { port, socket } of pairs) {
  const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true }, (client) => {
    // Half-open both ways, so a client that shuts down its write side still gets the reply.
    const upstream = net.connect({ path: socket, allowHalfOpen: true });
    upstream.on('connect', () => {
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    upstream.on('error', end);
    client.on('error', end);
  });
  server.on('error', (err) => {
    process.stderr.write(`forwarder: 127.0.0.1:${port}: ${err.message}\n`);
    process.exit(1);
  });
  server.listen(port, '127.0.0.1', () => {
    pending -= 1;
    if (pending === 0) process.stdout.write(`forwarder ready ${pairs.map((p) => p.port).join(',')}\n`);
  });
}

// docker stop sends SIGTERM; exit at once so stop takes milliseconds, not the grace period.
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
