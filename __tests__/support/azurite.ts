// Azurite's blob service on a free loopback port, for the Actions cache and
// artifact stand-ins. Started from node_modules; stopped by close().
import {
  BlobServiceClient,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
  BlobSASPermissions,
} from '@azure/storage-blob';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/paths.js';

// The development account every Azurite accepts (documented by Microsoft; not a secret).
export const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
// Azurite checks SAS signatures with the string-to-sign of the version given; use one it knows.
const SAS_VERSION = '2021-08-06';

export interface Azurite {
  /** `http://127.0.0.1:PORT/devstoreaccount1` */
  accountUrl: string;
  ensureContainer(name: string): Promise<void>;
  /** Path-style SAS URL for one blob. */
  sasUrl(container: string, blob: string, permissions: string): string;
  close(): Promise<void>;
}

export async function startAzurite(): Promise<Azurite> {
  const location = mkdtempSync(join(tmpdir(), 'nemoclaw-azurite-'));
  const child = spawn(
    process.execPath,
    [
      join(packageRoot, 'node_modules/azurite/dist/src/blob/main.js'),
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      '0',
      '--location',
      location,
      '--skipApiVersionCheck',
      '--disableTelemetry',
      '--loose',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`azurite did not start: ${out}`)), 30_000);
    const onData = (c: Buffer) => {
      out += c.toString();
      const m = /listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`azurite exited with ${code}: ${out}`)));
  });
  const accountUrl = `http://127.0.0.1:${port}/${DEV_ACCOUNT}`;
  const credential = new StorageSharedKeyCredential(DEV_ACCOUNT, DEV_KEY);
  const service = new BlobServiceClient(accountUrl, credential);
  return {
    accountUrl,
    ensureContainer: async (name) => {
      await service.getContainerClient(name).createIfNotExists();
    },
    sasUrl: (container, blob, permissions) => {
      const sas = generateBlobSASQueryParameters(
        {
          containerName: container,
          blobName: blob,
          permissions: BlobSASPermissions.parse(permissions),
          startsOn: new Date(Date.now() - 60_000),
          expiresOn: new Date(Date.now() + 3600_000),
          version: SAS_VERSION,
        },
        credential,
      ).toString();
      return `${accountUrl}/${container}/${encodeURI(blob)}?${sas}`;
    },
    close: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill();
        await exited;
      }
      rmSync(location, { recursive: true, force: true });
    },
  };
}
