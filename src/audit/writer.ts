import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { AuditFields, AuditRecord, AuditSink, AuditStream } from './events.js';
import { Redactor } from './redact.js';

export interface ManifestEntry {
  file: string;
  sha256: string;
  bytes: number;
  /** For event streams (`*.jsonl`): number of events. */
  events?: number;
  /** For event streams: hash of the last line, the head of the stream's chain. */
  head?: string;
}

export interface Manifest {
  version: 1;
  job: string;
  files: ManifestEntry[];
}

interface StreamState {
  fd: number;
  file: string;
  seq: number;
  prev: string;
}

/**
 * Appends events as JSON Lines, one synchronous write per event, so a crash
 * loses at most the event being written. The directory lives on the host; the
 * sandbox never sees it, so the agent cannot rewrite its own record.
 */
export class AuditWriter implements AuditSink {
  private readonly streams = new Map<AuditStream, StreamState>();
  private closed = false;

  constructor(
    readonly dir: string,
    readonly job: string,
    readonly redactor: Redactor = new Redactor(),
    private readonly now: () => Date = () => new Date(),
  ) {
    mkdirSync(dir, { recursive: true });
  }

  emit(stream: AuditStream, event: AuditFields): void {
    if (this.closed) return;
    const state = this.open(stream);
    const record: AuditRecord = {
      time: this.now().toISOString(),
      seq: state.seq,
      prev: state.prev,
      ...event,
    };
    const line = this.redactor.redact(JSON.stringify(record));
    writeSync(state.fd, line + '\n');
    state.seq += 1;
    state.prev = sha256(line);
  }

  /** Closes every stream and writes manifest.json with the sha256 of each file. */
  finish(): Manifest {
    if (!this.closed) {
      this.closed = true;
      for (const s of this.streams.values()) closeSync(s.fd);
    }
    // Every file of the directory (streams, agent output, the patch), so the
    // artifact can be checked as a whole.
    const files = readdirSync(this.dir, { withFileTypes: true })
      .filter((e) => e.isFile() && e.name !== 'manifest.json')
      .map((e) => e.name)
      .sort()
      .map((file): ManifestEntry => {
        const bytes = readFileSync(join(this.dir, file));
        const entry: ManifestEntry = { file, sha256: sha256(bytes), bytes: bytes.length };
        if (file.endsWith('.jsonl')) {
          const lines = bytes
            .toString('utf8')
            .split('\n')
            .filter((l) => l.length > 0);
          entry.events = lines.length;
          entry.head = lines.length > 0 ? sha256(lines.at(-1)!) : '';
        }
        return entry;
      });
    const manifest: Manifest = { version: 1, job: this.job, files };
    writeFileSync(join(this.dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    return manifest;
  }

  private open(stream: AuditStream): StreamState {
    let state = this.streams.get(stream);
    if (!state) {
      const file = `${stream}.jsonl`;
      // The post step appends to what main wrote: continue its numbering and chain.
      const tail = lastLine(join(this.dir, file));
      const seq = tail ? (JSON.parse(tail) as AuditRecord).seq + 1 : 0;
      state = { fd: openSync(join(this.dir, file), 'a'), file, seq, prev: tail ? sha256(tail) : '' };
      this.streams.set(stream, state);
    }
    return state;
  }
}

function lastLine(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);
  return lines.at(-1);
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
