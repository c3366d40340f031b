import { Label } from '../../src/constants.js';
import {
  buildContainerSpec,
  containerName,
  DEFAULT_RESOURCES,
  execUser,
  sandboxUser,
  type SandboxSpecInput,
} from '../../src/sandbox/spec.js';

const base: SandboxSpecInput = {
  image: 'nemoclaw/sandbox-test:dev',
  job: {
    jobId: 'job-1',
    runId: 'run-9',
    blueprint: 'openclaw@0.1.0',
    createdAt: new Date(1_700_000_000_000),
  },
  resources: { cpus: 1.5, memoryMb: 1024, pids: 256, tmpMb: 128, homeMb: 64, nofile: 4096 },
  workspace: { hostPath: '/home/runner/work/repo', uid: 1001, gid: 127, readOnly: false },
  socketDir: '/tmp/job-1/sockets',
  runtimeDir: '/action/src/sandbox/runtime',
  arch: 'amd64',
};
const spec = (over: Partial<SandboxSpecInput> = {}) => buildContainerSpec({ ...base, ...over });
const host = (over: Partial<SandboxSpecInput> = {}) => spec(over).HostConfig!;
const envOf = (over: Partial<SandboxSpecInput> = {}) =>
  Object.fromEntries(
    (spec(over).Env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
  );

describe('sandbox user', () => {
  test.each([
    [1001, 127, '1001:127', 'GitHub runner: the workspace owner'],
    [1001, 0, '1001:1001', 'owner with root group: its own gid'],
    [1000, 1000, '1000:1000', 'local checkout by uid 1000'],
    [0, 0, '1000:1000', 'root-owned workspace: the image user, never root'],
  ])('uid %i gid %i → %s (%s)', (uid, gid, want) => {
    const u = sandboxUser(uid, gid);
    expect(`${u.uid}:${u.gid}`).toBe(want);
    expect(execUser({ workspace: { ...base.workspace, uid, gid } })).toBe(want);
    // The forwarder runs as nobody, never as the agent.
    expect(spec({ workspace: { ...base.workspace, uid, gid } }).User).toBe('65534:65534');
  });
});

describe('container spec', () => {
  test.each<[string, (s: ReturnType<typeof spec>) => unknown, unknown]>([
    ['read-only root', (s) => s.HostConfig!.ReadonlyRootfs, true],
    ['no network interface', (s) => s.HostConfig!.NetworkMode, 'none'],
    ['all capabilities dropped', (s) => s.HostConfig!.CapDrop, ['ALL']],
    ['none added', (s) => s.HostConfig!.CapAdd, []],
    ['not privileged', (s) => s.HostConfig!.Privileged, false],
    ['init reaps zombies', (s) => s.HostConfig!.Init, true],
    ['fixed hostname', (s) => s.Hostname, 'sandbox'],
    ['pids limit from blueprint', (s) => s.HostConfig!.PidsLimit, 256],
    ['memory from blueprint', (s) => s.HostConfig!.Memory, 1024 * 1024 * 1024],
    ['no swap', (s) => s.HostConfig!.MemorySwap, 1024 * 1024 * 1024],
    ['cpus from blueprint', (s) => s.HostConfig!.NanoCpus, 1_500_000_000],
    ['no /dev/shm', (s) => s.HostConfig!.IpcMode, 'none'],
    ['no restarts', (s) => s.HostConfig!.RestartPolicy, { Name: 'no' }],
    ['no legacy binds', (s) => s.HostConfig!.Binds, []],
    ['bounded logs', (s) => s.HostConfig!.LogConfig?.Config?.['max-size'], '1m'],
    ['main process starts in / (execs set the workspace)', (s) => s.WorkingDir, '/'],
    [
      'forwarder is the main process',
      (s) => [...(s.Entrypoint as string[]), ...(s.Cmd as string[])],
      ['node', '/opt/nemoclaw-runtime/forwarder.mjs', '3128=/run/nemoclaw/egress.sock'],
    ],
    ['runc by default', (s) => s.HostConfig!.Runtime, undefined],
    ['named after the job', (s) => s.name, 'nemoclaw-job-1'],
  ])('%s', (_name, pick, want) => {
    expect(pick(spec())).toEqual(want);
  });

  test('no-new-privileges and the seccomp allow-list', () => {
    const opts = host().SecurityOpt!;
    expect(opts).toContain('no-new-privileges:true');
    const seccomp = opts.find((o: string) => o.startsWith('seccomp='))!;
    const profile = JSON.parse(seccomp.slice('seccomp='.length)) as { defaultAction: string };
    expect(profile.defaultAction).toBe('SCMP_ACT_ERRNO');
  });

  test.each([
    ['core', 0, 0],
    ['nofile', 4096, 4096],
    ['nproc', 1024, 1024],
  ])('ulimit %s = %i/%i', (name, soft, hard) => {
    expect(host().Ulimits).toContainEqual({ Name: name, Soft: soft, Hard: hard });
  });

  test.each([
    [false, '/tmp', 'rw,noexec,nosuid,nodev,size=134217728,mode=1777'],
    [true, '/tmp', 'rw,exec,nosuid,nodev,size=134217728,mode=1777'],
    [false, '/sandbox', 'rw,noexec,nosuid,nodev,size=67108864,uid=1001,gid=127,mode=0700'],
    [true, '/sandbox', 'rw,noexec,nosuid,nodev,size=67108864,uid=1001,gid=127,mode=0700'],
  ])('tmpfs (tmpExec %s) %s = %s', (tmpExec, path, want) => {
    expect(host({ tmpExec }).Tmpfs![path]).toBe(want);
  });

  test.each([
    [false, undefined],
    [true, '/tmp/ca'],
  ])('mounts: workspace (read-only %s), sockets, runtime, CA %s — nothing else', (readOnly, caDir) => {
    const mounts = host({ workspace: { ...base.workspace, readOnly }, ...(caDir ? { caDir } : {}) }).Mounts;
    expect(mounts).toEqual([
      { Type: 'bind', Source: '/home/runner/work/repo', Target: '/sandbox/workspace', ReadOnly: readOnly },
      { Type: 'bind', Source: '/tmp/job-1/sockets', Target: '/run/nemoclaw', ReadOnly: true },
      {
        Type: 'bind',
        Source: '/action/src/sandbox/runtime',
        Target: '/opt/nemoclaw-runtime',
        ReadOnly: true,
      },
      {
        Type: 'bind',
        Source: '/action/src/sandbox/runtime/resolv.conf',
        Target: '/etc/resolv.conf',
        ReadOnly: true,
      },
      ...(caDir ? [{ Type: 'bind', Source: caDir, Target: '/etc/nemoclaw/ca', ReadOnly: true }] : []),
      {
        Type: 'tmpfs',
        Source: '',
        Target: '/dev/mqueue',
        ReadOnly: true,
        TmpfsOptions: { SizeBytes: 4096, Mode: 0o755 },
      },
    ]);
    expect(JSON.stringify(mounts)).not.toMatch(/docker\.sock/);
  });

  test('the agent config dir is mounted read-only when given', () => {
    expect(host({ agentConfigDir: '/tmp/job-1/agent' }).Mounts).toContainEqual({
      Type: 'bind',
      Source: '/tmp/job-1/agent',
      Target: '/etc/nemoclaw/agent',
      ReadOnly: true,
    });
  });

  test('labels name the job, run, blueprint and creation time', () => {
    expect(spec().Labels).toEqual({
      [Label.Managed]: 'true',
      [Label.Job]: 'job-1',
      [Label.Run]: 'run-9',
      [Label.Blueprint]: 'openclaw@0.1.0',
      [Label.Created]: '1700000000',
    });
  });

  test('gVisor when asked', () => {
    expect(host({ runtime: 'runsc' }).Runtime).toBe('runsc');
  });

  test('default resources are sane', () => {
    expect(DEFAULT_RESOURCES.memoryMb * 1024 * 1024).toBeGreaterThan(DEFAULT_RESOURCES.tmpMb * 1024 * 1024);
  });

  test.each([
    ['job/1 x', 'nemoclaw-job-1-x'],
    ['abc_1.2', 'nemoclaw-abc_1.2'],
  ])('container name for %s', (job, want) => expect(containerName(job)).toBe(want));
});

describe('environment', () => {
  test('an explicit allow-list, proxy on loopback, nothing inherited', () => {
    process.env.NEMOCLAW_TEST_CANARY = 'canary-secret-123';
    const env = envOf();
    expect(env).toEqual({
      HOME: '/sandbox',
      PATH: '/usr/local/bin:/usr/bin:/bin',
      LANG: 'C.UTF-8',
      TZ: 'UTC',
      HTTP_PROXY: 'http://127.0.0.1:3128',
      HTTPS_PROXY: 'http://127.0.0.1:3128',
      http_proxy: 'http://127.0.0.1:3128',
      https_proxy: 'http://127.0.0.1:3128',
      NO_PROXY: 'localhost,127.0.0.1,::1',
      no_proxy: 'localhost,127.0.0.1,::1',
      NODE_USE_ENV_PROXY: '1',
    });
    delete process.env.NEMOCLAW_TEST_CANARY;
  });

  test.each([
    'NODE_EXTRA_CA_CERTS',
    'SSL_CERT_FILE',
    'GIT_SSL_CAINFO',
    'REQUESTS_CA_BUNDLE',
    'CURL_CA_BUNDLE',
  ])('CA variable %s points into the mounted CA dir', (name) => {
    expect(envOf({ caDir: '/tmp/ca' })[name]).toMatch(/^\/etc\/nemoclaw\/ca\/(job-ca|bundle)\.pem$/);
  });

  test.each(['OPENCLAW_CONFIG', 'NEMOCLAW_GATEWAY_TOKEN', 'TERM', 'GIT_AUTHOR_NAME'])(
    'extra %s allowed',
    (name) => {
      expect(envOf({ extraEnv: { [name]: 'v' } })[name]).toBe('v');
    },
  );

  test.each([
    'GITHUB_TOKEN',
    'OPENAI_API_KEY',
    'HTTP_PROXY',
    'no_proxy',
    'HOME',
    'PATH',
    'LD_PRELOAD',
    'nemoclaw_x',
  ])('extra %s refused with a message naming it', (name) => {
    expect(() => spec({ extraEnv: { [name]: 'v' } })).toThrow(new RegExp(`${name} may not be passed`));
  });
});
