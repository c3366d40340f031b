// The real agent image under the full hardening: seccomp allow-list, read-only
// root, noexec /tmp and $HOME, no network interface, forwarder as another uid.
import { jest } from '@jest/globals';
import { startTestSandbox } from './helpers.js';

jest.setTimeout(90_000);
const AGENT_IMAGE = process.env.NEMOCLAW_AGENT_IMAGE ?? 'nemoclaw/openclaw-sandbox:dev';

describe('OpenClaw in the hardened sandbox', () => {
  let t: Awaited<ReturnType<typeof startTestSandbox>>;
  beforeAll(async () => {
    t = await startTestSandbox({
      image: AGENT_IMAGE,
      workspaceUid: 1001,
      resources: { memoryMb: 1024, tmpMb: 64, homeMb: 64 },
    });
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('openclaw --version and agent exec --help run as the workspace owner', async () => {
    const r = await t.run(
      'id -u; openclaw --version && openclaw agent exec --help >/dev/null && echo help-ok',
    );
    expect(r.err).not.toMatch(/EROFS|EPERM|Operation not permitted/);
    expect(r.out).toMatch(/^1001\nOpenClaw 2026\.\d+\.\d+.*\nhelp-ok\n$/);
    expect(r.exitCode).toBe(0);
  });
});
