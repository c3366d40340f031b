// `docker save` → zstd → file and file → zstd -d → `docker load`, streamed end
// to end through pipes: the image never sits in this process's memory.
import type Docker from 'dockerode';
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

function exited(child: ChildProcess, what: string, stderr: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.on('error', (err) =>
      reject(
        new Error(
          `${what}: ${err.message}${(err as NodeJS.ErrnoException).code === 'ENOENT' ? ' (install zstd)' : ''}`,
        ),
      ),
    );
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${what} exited with ${code}: ${stderr().trim()}`)),
    );
  });
}

function zstd(args: string[]): { child: ChildProcess; done: Promise<void> } {
  const child = spawn('zstd', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-2000)));
  return { child, done: exited(child, `zstd ${args.join(' ')}`, () => err) };
}

/** Streams `docker save REF | zstd -LEVEL` into `dest` (a file, a counter, …). */
export async function saveImageCompressed(
  docker: Docker,
  ref: string,
  dest: Writable,
  level = 3,
): Promise<void> {
  const tar = (await docker.getImage(ref).get()) as NodeJS.ReadableStream;
  const z = zstd([`-${level}`, '-T0', '-q', '-c']);
  await Promise.all([pipeline(tar, z.child.stdin!), pipeline(z.child.stdout!, dest), z.done]);
}

/** Writes `docker save REF | zstd -LEVEL` to `file`; resolves with the compressed size. */
export async function saveImageToFile(docker: Docker, ref: string, file: string, level = 3): Promise<number> {
  await saveImageCompressed(docker, ref, createWriteStream(file), level);
  return statSync(file).size;
}

interface LoadMessage {
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/**
 * `zstd -dc file | docker load`; resolves with what the engine says it loaded
 * (`sha256:…` IDs or `name:tag` references). A truncated or corrupt file fails
 * in zstd (frame checksum) or in the engine (short tar): either way this rejects.
 */
export async function loadImageFromFile(
  docker: Docker,
  file: string,
): Promise<{ ids: string[]; tags: string[] }> {
  const z = zstd(['-dc', '-q']);
  const feed = pipeline(createReadStream(file), z.child.stdin!);
  const res = (await docker.loadImage(z.child.stdout!, { quiet: true })) as NodeJS.ReadableStream;
  const messages: LoadMessage[] = [];
  const loaded = new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(res, (err: Error | null, out: LoadMessage[]) =>
      err ? reject(err) : (messages.push(...out), resolve()),
    );
  });
  // If the engine gives up early it stops reading; do not let zstd wait on a full pipe forever.
  void loaded
    .catch(() => undefined)
    .then(() => setTimeout(() => z.child.exitCode === null && z.child.kill(), 2000).unref());
  // All three must settle; zstd's verdict wins because it names the real cause.
  const [feedR, zR, loadR] = await Promise.allSettled([feed, z.done, loaded]);
  if (zR.status === 'rejected') throw zR.reason;
  if (feedR.status === 'rejected') throw feedR.reason;
  if (loadR.status === 'rejected') throw loadR.reason;
  const failed = messages.find((m) => m.error);
  if (failed) throw new Error(`docker load: ${failed.errorDetail?.message ?? failed.error}`);
  const ids: string[] = [];
  const tags: string[] = [];
  for (const m of messages) {
    const id = /Loaded image ID: (sha256:[0-9a-f]{64})/.exec(m.stream ?? '');
    const tag = /Loaded image: (\S+)/.exec(m.stream ?? '');
    if (id) ids.push(id[1]!);
    if (tag) tags.push(tag[1]!);
  }
  if (ids.length + tags.length === 0) throw new Error('docker load reported no image');
  return { ids, tags };
}
