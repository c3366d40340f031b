// A git smart-HTTP server for tests: `git http-backend` (CGI) behind a node
// https server on loopback, pushes enabled, so a denied push is the proxy's doing.
// Shared by the host-side git test and the in-sandbox one (__tests__/sandbox/git.itg.test.ts).
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { parsePolicyText } from '../../src/policy/load.js';
import type { Policy } from '../../src/policy/schema.js';
import { close, httpsServer, listen, run, upstreamTls } from './helpers.js';

/** Every request the server received, as `METHOD /path` (no query), so a test can prove one never arrived. */
export function gitHttpServer(
  projectRoot: string,
  cert: { certPem: string; keyPem: string },
  seen: string[] = [],
) {
  return httpsServer(cert, (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'https://x');
    seen.push(`${req.method} ${url.pathname}`);
    const cgi = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: projectRoot,
        GIT_HTTP_EXPORT_ALL: '1',
        REMOTE_USER: 'tester',
        REQUEST_METHOD: req.method ?? 'GET',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
        ...(req.headers['content-encoding']
          ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] }
          : {}),
        ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
      },
    });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let headersDone = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      headersDone = true;
      let status = 200;
      for (const line of head.subarray(0, end).toString().split('\r\n')) {
        const i = line.indexOf(':');
        const k = line.slice(0, i).trim();
        const v = line.slice(i + 1).trim();
        if (k.toLowerCase() === 'status') status = parseInt(v, 10);
        else res.setHeader(k, v);
      }
      res.writeHead(status);
      res.write(head.subarray(end + 4));
    });
    cgi.on('close', () => res.end());
    cgi.on('error', () => res.destroy());
  });
}

export interface GitFixture {
  port: number;
  /** The upstream server's own CA (for the proxy's `upstreamCa`), not the job CA. */
  upstreamCaPem: string;
  /** Host path of the bare repository behind `https://<host>:<port>/repo.git`. */
  bareRepo: string;
  seen: string[];
  /** The commit `main` points at on the server. */
  head(): Promise<string>;
  close(): Promise<void>;
}

/** A bare `repo.git` (README "hello" on main, pushes enabled) served over https for `host` on loopback. */
export async function startGitFixture(dir: string, host: string): Promise<GitFixture> {
  const root = join(dir, 'srv');
  const bareRepo = join(root, 'repo.git');
  mkdirSync(root);
  await run('git', ['init', '-q', '--bare', '-b', 'main', bareRepo]);
  await run('git', ['-C', bareRepo, 'config', 'http.receivepack', 'true']);
  const seed = join(dir, 'seed');
  await run('git', ['init', '-q', '-b', 'main', seed]);
  writeFileSync(join(seed, 'README'), 'hello\n');
  await run('git', ['-C', seed, 'add', '.']);
  await run('git', ['-C', seed, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'seed']);
  await run('git', ['-C', seed, 'push', '-q', bareRepo, 'main']);
  const up = upstreamTls([host]);
  const seen: string[] = [];
  const server: Server = gitHttpServer(root, up.cert, seen);
  const port = await listen(server);
  return {
    port,
    upstreamCaPem: up.caPem,
    bareRepo,
    seen,
    head: async () => (await run('git', ['-C', bareRepo, 'rev-parse', 'main'])).stdout.trim(),
    close: () => close(server),
  };
}

/**
 * Clone/fetch only, as the github-read preset says it: read-only methods plus
 * `POST …/git-upload-pack`; `git-receive-pack` (push) is matched by no rule.
 * `extraRules` are more `rules:` lines (indented 10 spaces).
 */
export function gitReadPolicy(host: string, port: number, extraRules = ''): Policy {
  return parsePolicyText(
    `version: 1
network_policies:
  git:
    endpoints:
      - host: ${host}
        port: ${port}
        protocol: rest
        access: read-only
        allowed_ips: ["127.0.0.0/8"]
        rules:
          - allow: { method: POST, path: "/*.git/git-upload-pack" }
${extraRules}`,
    'git.yaml',
  );
}
