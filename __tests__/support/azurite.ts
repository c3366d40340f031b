// Azurite's blob service on a free loopback port, for the Actions cache and
// artifact stand-ins. Started from node_modules; stopped by close().
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/paths.js';

// The development account every Azurite accepts (documented by Microsoft; not a secret).
export const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
// Azurite checks SAS signatures with the string-to-sign of the version given; use one it knows.
const SAS_VERSION = '2019-12-12';

const sign = (text: string) =>
  createHmac('sha256', Buffer.from(DEV_KEY, 'base64')).update(text, 'utf8').digest('base64');
const isoSeconds = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Service SAS for one blob (string-to-sign of versions 2018-11-09 … 2020-10-02). */
export function blobSas(container: string, blob: string, permissions: string, now = Date.now()): string {
  const st = isoSeconds(new Date(now - 60_000));
  const se = isoSeconds(new Date(now + 3600_000));
  const resource = `/blob/${DEV_ACCOUNT}/${container}/${blob}`;
  const toSign = [
    permissions,
    st,
    se,
    resource,
    '',
    '',
    'http',
    SAS_VERSION,
    'b',
    '',
    '',
    '',
    '',
    '',
    '',
  ].join('\n');
  return new URLSearchParams({
    sv: SAS_VERSION,
    st,
    se,
    sr: 'b',
    sp: permissions,
    spr: 'http',
    sig: sign(toSign),
  }).toString();
}

/** Account SAS that may create containers (for setting up the stand-in only). */
function accountSas(now = Date.now()): string {
  const st = isoSeconds(new Date(now - 60_000));
  const se = isoSeconds(new Date(now + 600_000));
  const toSign = [DEV_ACCOUNT, 'rwdlac', 'b', 'sco', st, se, '', 'http', SAS_VERSION, ''].join('\n');
  return new URLSearchParams({
    sv: SAS_VERSION,
    ss: 'b',
    srt: 'sco',
    sp: 'rwdlac',
    st,
    se,
    spr: 'http',
    sig: sign(toSign),
  }).toString();
}

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
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`azurite did not start: ${out}`));
    }, 30_000);
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
  return {
    accountUrl,
    ensureContainer: async (name) => {
      const res = await fetch(`${accountUrl}/${name}?restype=container&${accountSas()}`, { method: 'PUT' });
      if (res.status !== 201 && res.status !== 409)
        throw new Error(`azurite: create container ${name}: ${res.status} ${await res.text()}`);
    },
    sasUrl: (container, blob, permissions) =>
      `${accountUrl}/${container}/${encodeURI(blob)}?${blobSas(container, blob, permissions)}`,
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
