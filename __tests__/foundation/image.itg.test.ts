import Docker from 'dockerode';
import { PassThrough } from 'node:stream';

// The agent image as built by scripts/build-image.sh (scripts/setup-host.sh builds it).
const image = process.env.NEMOCLAW_AGENT_IMAGE ?? 'nemoclaw/openclaw-sandbox:dev';
const docker = new Docker();

async function run(cmd: string[]): Promise<{ code: number; out: string }> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  // Two streams: dockerode demultiplexes stdout/stderr only when given both.
  const [result] = (await docker.run(image, cmd, [out, out], {
    Tty: false,
    User: '1000:1000',
    Labels: { 'io.nemoclaw.managed': 'true', 'io.nemoclaw.job': 'foundation-test' },
    HostConfig: {
      AutoRemove: true,
      ReadonlyRootfs: true,
      NetworkMode: 'none',
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Tmpfs: { '/tmp': 'rw,size=64m', '/sandbox': 'rw,size=64m,uid=1000,gid=1000' },
    },
  })) as [{ StatusCode: number }];
  return { code: result.StatusCode, out: text };
}

describe('the OpenClaw sandbox image', () => {
  it('runs openclaw as the non-root user on a read-only root', async () => {
    const { code, out } = await run([
      'sh',
      '-c',
      'id -u; touch /usr/x 2>&1 || true; openclaw --version && openclaw agent exec --help >/dev/null && echo help-ok',
    ]);
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines[0]).toBe('1000');
    expect(out).toMatch(/Read-only file system/);
    expect(out).toMatch(/OpenClaw 2026\.9\.6/);
    expect(out).toContain('help-ok');
  }, 60_000);

  it('ships no setuid or setgid binaries', async () => {
    const { code, out } = await run(['sh', '-c', 'find / -xdev -type f -perm /6000 2>/dev/null | wc -l']);
    expect(code).toBe(0);
    expect(out.trim()).toBe('0');
  });
});
