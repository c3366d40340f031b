import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import type { AuditRecord } from './events.js';
import { sha256, type Manifest } from './writer.js';

export interface AuditDir {
  dir: string;
  manifest: Manifest | undefined;
  streams: Record<string, AuditRecord[]>;
}

/** Reads every `*.jsonl` stream of an audit directory. */
export function readAuditDir(dir: string): AuditDir {
  if (!existsSync(dir)) {
    throw new UserError(`no audit directory at ${dir}.`, {
      where: dir,
      fix: 'pass the directory printed at the end of `nemoclaw run`, or an unpacked audit artifact.',
    });
  }
  const streams: Record<string, AuditRecord[]> = {};
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.jsonl'))) {
    const lines = readFileSync(join(dir, file), 'utf8').split('\n').filter(Boolean);
    streams[file.replace(/\.jsonl$/, '')] = lines.map((l, i) => {
      try {
        return JSON.parse(l) as AuditRecord;
      } catch (cause) {
        throw new UserError(`line ${i + 1} is not JSON.`, {
          where: join(dir, file),
          fix: 'the file is damaged.',
          cause,
        });
      }
    });
  }
  const manifestPath = join(dir, 'manifest.json');
  const manifest = existsSync(manifestPath)
    ? (JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest)
    : undefined;
  return { dir, manifest, streams };
}

/**
 * Checks the hash chain of every stream and the manifest's file hashes:
 * returns the problems found (empty when the log is intact).
 */
export function verifyAuditDir(dir: string): string[] {
  const problems: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.jsonl'))) {
    const lines = readFileSync(join(dir, file), 'utf8').split('\n').filter(Boolean);
    let prev = '';
    lines.forEach((line, i) => {
      const rec = JSON.parse(line) as AuditRecord;
      if (rec.prev !== prev)
        problems.push(`${file}:${i + 1}: chain broken (line edited, removed or reordered)`);
      if (rec.seq !== i) problems.push(`${file}:${i + 1}: sequence ${rec.seq}, expected ${i}`);
      prev = sha256(line);
    });
  }
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) {
    problems.push('manifest.json is missing');
    return problems;
  }
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  for (const entry of manifest.files) {
    const path = join(dir, entry.file);
    if (!existsSync(path)) {
      problems.push(`${entry.file}: listed in manifest.json but missing`);
      continue;
    }
    if (sha256(readFileSync(path)) !== entry.sha256)
      problems.push(`${entry.file}: sha256 differs from manifest.json`);
  }
  return problems;
}
