import { Writable } from 'node:stream';

/**
 * Keeps what is written in memory up to `limit` bytes (the rest is counted,
 * not kept), optionally copying everything to another stream (a log file).
 */
export class Capture extends Writable {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly limit: number,
    private readonly tee?: Writable,
  ) {
    super();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    if (this.size < this.limit) this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.tee) this.tee.write(chunk, done);
    else done();
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}
