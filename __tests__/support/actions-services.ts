// Local stand-ins for the services @actions/cache (v2) and @actions/artifact
// (v2) talk to: a twirp JSON server on loopback for CacheService and
// ArtifactService, handing out SAS URLs into Azurite. Real clients, real HTTP,
// real blob uploads; nothing leaves 127.0.0.1.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAzurite } from './azurite.js';

export const RUN_ID = '1234';
export const JOB_ID = '5678';
const PREFIX = '/twirp/github.actions.results.api.v1.';

interface CacheEntry {
  key: string;
  version: string;
  blob: string;
  finalized: boolean;
  size?: string;
}

interface ArtifactEntry {
  id: number;
  name: string;
  blob: string;
  finalized: boolean;
  size: string;
  created: string;
}

export interface ActionsServices {
  /** Env the toolkit reads at call time: assign it to process.env before the calls. */
  env: Record<string, string>;
  /** `Service/Method` of every call, in order (for assertions). */
  calls: string[];
  cacheKeys(): string[];
  close(): Promise<void>;
}

const b64url = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** An unsigned-looking JWT: artifact decodes (never verifies) it for `scp`. */
export function runtimeToken(runId = RUN_ID, jobId = JOB_ID): string {
  return [
    b64url({ alg: 'HS256', typ: 'JWT' }),
    b64url({
      scp: `Actions.GenericRead:0 Actions.Results:${runId}:${jobId}`,
      exp: Math.floor(Date.now() / 1000) + 3600,
    }),
    'c3RhbmQtaW4',
  ].join('.');
}

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return chunks.length ? (JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>) : {};
}

export async function startActionsServices(): Promise<ActionsServices> {
  const azurite = await startAzurite();
  try {
    await azurite.ensureContainer('cache');
    await azurite.ensureContainer('artifacts');
  } catch (err) {
    await azurite.close();
    throw err;
  }
  const cache: CacheEntry[] = [];
  const artifacts = new Map<string, ArtifactEntry>();
  const calls: string[] = [];
  let nextId = 1;
  const token = runtimeToken();

  type Handler = (req: Record<string, unknown>) => Record<string, unknown> | undefined;
  const handlers: Record<string, Handler> = {
    'CacheService/CreateCacheEntry': (r) => {
      const key = String(r.key);
      const version = String(r.version);
      if (cache.some((e) => e.key === key && e.version === version && e.finalized)) return { ok: false };
      const blob = `${version}/${encodeURIComponent(key)}`;
      cache.push({ key, version, blob, finalized: false });
      return { ok: true, signed_upload_url: azurite.sasUrl('cache', blob, 'racwd') };
    },
    'CacheService/FinalizeCacheEntryUpload': (r) => {
      const e = cache.find((x) => x.key === r.key && x.version === r.version && !x.finalized);
      if (!e) return { ok: false };
      e.finalized = true;
      e.size = String(r.size_bytes);
      return { ok: true, entry_id: String(nextId++) };
    },
    'CacheService/GetCacheEntryDownloadURL': (r) => {
      const version = String(r.version);
      const done = cache.filter((e) => e.finalized && e.version === version);
      const keys = [String(r.key), ...((r.restore_keys as string[] | undefined) ?? [])];
      for (const [i, k] of keys.entries()) {
        const hit = i === 0 ? done.find((e) => e.key === k) : done.findLast((e) => e.key.startsWith(k));
        if (hit)
          return {
            ok: true,
            matched_key: hit.key,
            signed_download_url: azurite.sasUrl('cache', hit.blob, 'r'),
          };
      }
      return { ok: false, signed_download_url: '', matched_key: '' };
    },
    'ArtifactService/CreateArtifact': (r) => {
      const name = String(r.name);
      if (artifacts.get(name)?.finalized) return undefined;
      const blob = `${RUN_ID}/${JOB_ID}/${name}.zip`;
      artifacts.set(name, {
        id: nextId++,
        name,
        blob,
        finalized: false,
        size: '0',
        created: new Date().toISOString(),
      });
      return { ok: true, signed_upload_url: azurite.sasUrl('artifacts', blob, 'racw') };
    },
    'ArtifactService/FinalizeArtifact': (r) => {
      const a = artifacts.get(String(r.name));
      if (!a || a.finalized) return undefined;
      a.finalized = true;
      a.size = String(r.size);
      return { ok: true, artifact_id: String(a.id) };
    },
    'ArtifactService/ListArtifacts': (r) => {
      const nameFilter = r.name_filter as string | undefined;
      const idFilter = r.id_filter as string | undefined;
      return {
        artifacts: [...artifacts.values()]
          .filter(
            (a) =>
              a.finalized &&
              (!nameFilter || a.name === nameFilter) &&
              (!idFilter || String(a.id) === String(idFilter)),
          )
          .map((a) => ({
            workflow_run_backend_id: RUN_ID,
            workflow_job_run_backend_id: JOB_ID,
            database_id: String(a.id),
            name: a.name,
            size: a.size,
            created_at: a.created,
          })),
      };
    },
    'ArtifactService/GetSignedArtifactURL': (r) => {
      const a = artifacts.get(String(r.name));
      return a?.finalized ? { signed_url: azurite.sasUrl('artifacts', a.blob, 'r') } : undefined;
    },
    'ArtifactService/DeleteArtifact': (r) => {
      const a = artifacts.get(String(r.name));
      if (!a) return undefined;
      artifacts.delete(a.name);
      return { ok: true, artifact_id: String(a.id) };
    },
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const method = req.url?.startsWith(PREFIX) ? req.url.slice(PREFIX.length) : '';
      calls.push(method || `${req.method} ${req.url}`);
      const reply = (status: number, payload: object) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      if (req.headers.authorization !== `Bearer ${token}`)
        return reply(401, { code: 'unauthenticated', msg: 'bad token' });
      const handler = handlers[method];
      if (req.method !== 'POST' || !handler)
        return reply(404, { code: 'bad_route', msg: `no such method ${method}` });
      const out = handler(await body(req));
      if (!out) return reply(404, { code: 'not_found', msg: 'no such artifact' });
      reply(200, out);
    })().catch((err: Error) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 'internal', msg: err.message }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const temp = mkdtempSync(join(tmpdir(), 'nemoclaw-runner-'));
  // The toolkit expects the runner to have made these.
  for (const d of ['temp', 'tool-cache', 'workspace']) mkdirSync(join(temp, d));

  return {
    env: {
      ACTIONS_RESULTS_URL: `http://127.0.0.1:${port}/`,
      ACTIONS_RUNTIME_TOKEN: token,
      ACTIONS_CACHE_SERVICE_V2: 'true',
      RUNNER_TEMP: join(temp, 'temp'),
      RUNNER_TOOL_CACHE: join(temp, 'tool-cache'),
      GITHUB_WORKSPACE: join(temp, 'workspace'),
      GITHUB_RUN_ID: RUN_ID,
      GITHUB_REF: 'refs/heads/main',
    },
    calls,
    cacheKeys: () => cache.filter((e) => e.finalized).map((e) => e.key),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await azurite.close();
      rmSync(temp, { recursive: true, force: true });
    },
  };
}

/** Applies the env for the toolkit (which reads it at call time) and returns an undo. */
export function applyEnv(env: Record<string, string>): () => void {
  const saved = new Map<string, string | undefined>();
  for (const k of [...Object.keys(env), 'GITHUB_SERVER_URL', 'ACTIONS_CACHE_URL'])
    saved.set(k, process.env[k]);
  // Any GITHUB_SERVER_URL but github.com / *.ghe.com / *.localhost means GHES to the toolkit.
  delete process.env.GITHUB_SERVER_URL;
  delete process.env.ACTIONS_CACHE_URL;
  Object.assign(process.env, env);
  return () => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}
