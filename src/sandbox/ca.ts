// The per-job CA as files the sandbox mounts read-only: the job CA alone (Node
// adds it to its own store) and a bundle of the system roots plus the job CA
// (curl, git and Python replace their store with the file their variable names,
// and hosts the proxy passes through untouched still need the public roots).
import { mkdtemp, writeFile, chmod, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { CA_BUNDLE_FILE, CA_FILE } from './env.js';

export interface CaDir {
  dir: string;
  dispose(): Promise<void>;
}

export async function writeCaDir(caCertPem: string, parent = tmpdir()): Promise<CaDir> {
  const dir = await mkdtemp(join(parent, 'nemoclaw-ca-'));
  const pem = caCertPem.endsWith('\n') ? caCertPem : `${caCertPem}\n`;
  await writeFile(join(dir, CA_FILE), pem, { mode: 0o644 });
  await writeFile(join(dir, CA_BUNDLE_FILE), `${rootCertificates.join('\n')}\n${pem}`, { mode: 0o644 });
  await chmod(dir, 0o755);
  return { dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}
