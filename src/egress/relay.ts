// Upstream → client bytes of an L4 tunnel through one read buffer reused for
// the tunnel's whole life. `upstream.pipe(client)` allocates a fresh buffer
// for every read and runs the stream machinery per chunk; downloads (git
// clone, npm install) are where a tunnel spends its bytes, and this path is
// what lets the proxy keep up with squid (bench/egress).
import type { OnReadOpts, Socket } from 'node:net';
import type { Writable } from 'node:stream';

const READ_BUFFER_BYTES = 64 * 1024;

export interface DownstreamRelay {
  /** Pass as `onread` to `net.connect`. */
  readonly onread: OnReadOpts;
  /** The socket `onread` was given to, so a paused read can be resumed. */
  attach(upstream: Socket): void;
}

export function downstreamRelay(client: Writable): DownstreamRelay {
  let upstream: Socket | undefined;
  return {
    attach: (s) => {
      upstream = s;
      // `onread` bypasses the readable side, so its end must be carried by hand.
      s.once('end', () => client.end());
    },
    onread: {
      buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES),
      callback(n, buf) {
        if (client.destroyed) return false;
        let waiting = false;
        client.write(buf.subarray(0, n), () => {
          if (waiting) upstream?.resume();
        });
        // Written straight to the kernel: the buffer is free for the next read.
        if (client.writableLength === 0) return true;
        // The write still points into the buffer: stop reading until it is done.
        waiting = true;
        return false;
      },
    },
  };
}
