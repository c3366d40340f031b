import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const cli = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'index.js');
const onboard = (env: NodeJS.ProcessEnv) =>
  spawnSync(process.execPath, [cli, 'onboard'], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 300_000,
  });

describe('nemoclaw onboard', () => {
  it('says exactly what to fix when no engine answers', () => {
    const r = onboard({ DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('✗ no Docker engine answers');
    expect(r.stdout).toContain('fix: install and start it');
  });
  it('passes on this host and leaves the image ready', () => {
    const r = onboard({});
    expect(r.stdout).toMatch(/✓ Docker engine answers/);
    expect(r.stdout).toMatch(/✓ sandbox image nemoclaw\/openclaw:0\.1\.0-[0-9a-f]{12} ready/);
    expect(r.status).toBe(0);
  }, 300_000);
});
