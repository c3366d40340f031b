// The canonical digest of a blueprint directory.
//
// Encoding (also in docs/blueprints.md):
//   1. Walk the directory; every entry must be a regular file or a directory
//      (symlinks, sockets, devices, FIFOs are rejected: their meaning depends on
//      the machine, so they cannot be verified).
//   2. For each file take its path relative to the directory with `/` separators
//      (UTF-8), and the lower-case hex sha256 of its bytes.
//   3. Sort by path, comparing the UTF-8 bytes (not locale order).
//   4. Listing = concatenation of `<hex>  <path>\n` (two spaces; the format of
//      `sha256sum`), so `(cd DIR && find . -type f | sed s,^./,, | LC_ALL=C sort |
//      xargs sha256sum)` reproduces it for paths without special characters.
//   5. digest = `sha256:` + hex sha256 of the listing.
// Empty directories do not count; file modes and times do not count.
import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';

export type FileHashes = Record<string, string>;

function walk(root: string, rel: string, out: string[]): void {
  for (const name of readdirSync(join(root, rel))) {
    const path = rel ? `${rel}/${name}` : name;
    const st = lstatSync(join(root, path));
    if (st.isDirectory()) walk(root, path, out);
    else if (st.isFile()) out.push(path);
    else {
      throw new UserError(
        `blueprint contains ${st.isSymbolicLink() ? 'a symlink' : 'a special file'}: ${path}`,
        {
          where: join(root, path),
          fix: 'blueprints may hold only regular files and directories; replace it with a copy of the file',
        },
      );
    }
  }
}

const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Per-file sha256 of every regular file under `dir`, keyed by sorted relative POSIX path. */
export async function hashFiles(dir: string): Promise<FileHashes> {
  const paths: string[] = [];
  walk(dir, '', paths);
  paths.sort(byBytes);
  const files: FileHashes = {};
  for (const p of paths) files[p] = await sha256File(join(dir, p));
  return files;
}

/** The listing of step 4 from per-file hashes (order re-established here). */
export function canonicalListing(files: FileHashes): string {
  return Object.keys(files)
    .sort(byBytes)
    .map((p) => `${files[p]}  ${p}\n`)
    .join('');
}

export function digestOfFiles(files: FileHashes): string {
  return `sha256:${createHash('sha256').update(canonicalListing(files)).digest('hex')}`;
}

export async function digestDir(dir: string): Promise<{ digest: string; files: FileHashes }> {
  const files = await hashFiles(dir);
  return { digest: digestOfFiles(files), files };
}

export interface FileDiff {
  changed: string[];
  added: string[];
  removed: string[];
}

/** Which files differ between what was published and what is on disk. Pure. */
export function diffFiles(expected: FileHashes, actual: FileHashes): FileDiff {
  const changed: string[] = [];
  const removed: string[] = [];
  for (const [p, h] of Object.entries(expected)) {
    if (!(p in actual)) removed.push(p);
    else if (actual[p] !== h) changed.push(p);
  }
  const added = Object.keys(actual).filter((p) => !(p in expected));
  return { changed: changed.sort(byBytes), added: added.sort(byBytes), removed: removed.sort(byBytes) };
}

export function describeDiff(diff: FileDiff): string {
  const parts = [
    diff.changed.length ? `changed: ${diff.changed.join(', ')}` : '',
    diff.added.length ? `added: ${diff.added.join(', ')}` : '',
    diff.removed.length ? `removed: ${diff.removed.join(', ')}` : '',
  ].filter(Boolean);
  return parts.length ? parts.join('; ') : 'no per-file record to compare against';
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
