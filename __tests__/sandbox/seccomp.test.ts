import {
  AF,
  buildSeccompProfile,
  CLONE_NAMESPACE_FLAGS,
  DENIED,
  seccompArchOf,
  SOCK,
  type SeccompRule,
} from '../../src/sandbox/seccomp.js';

const profile = buildSeccompProfile('amd64');
const rulesFor = (name: string): SeccompRule[] => profile.syscalls.filter((r) => r.names.includes(name));
const unconditional = new Set(
  profile.syscalls.filter((r) => !r.args && r.action === 'SCMP_ACT_ALLOW').flatMap((r) => r.names),
);

describe('seccomp profile', () => {
  test('is an allow-list: anything unnamed fails with EPERM', () => {
    expect(profile.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(profile.defaultErrnoRet).toBe(1);
  });

  test.each([
    ['amd64', ['SCMP_ARCH_X86_64']],
    ['arm64', ['SCMP_ARCH_AARCH64']],
  ] as const)('only the native ABI on %s', (arch, want) => {
    expect(buildSeccompProfile(arch).architectures).toEqual(want);
  });

  test.each([...DENIED])('%s is never allowed', (name) => {
    expect(rulesFor(name).filter((r) => r.action === 'SCMP_ACT_ALLOW')).toEqual([]);
  });

  test.each([
    'ptrace',
    'bpf',
    'userfaultfd',
    'perf_event_open',
    'mount',
    'unshare',
    'setns',
    'keyctl',
    'add_key',
    'request_key',
    'io_uring_setup',
    'process_vm_readv',
    'process_vm_writev',
    'kexec_load',
    'init_module',
    'pivot_root',
    'fsopen',
    'open_tree',
    'sethostname',
    'clock_settime',
  ])('OpenShell denial %s is in the denied list', (name) => {
    expect(DENIED).toContain(name);
  });

  test.each([
    'read',
    'write',
    'openat',
    'execve',
    'mmap',
    'futex',
    'epoll_wait',
    'connect',
    'getrandom',
    'statx',
  ])('%s is allowed unconditionally', (name) => expect(unconditional.has(name)).toBe(true));

  test.each(['socket', 'socketpair', 'clone', 'personality'])(
    '%s is allowed only with argument filters',
    (name) => {
      expect(unconditional.has(name)).toBe(false);
      expect(rulesFor(name).length).toBeGreaterThan(0);
      for (const r of rulesFor(name)) expect(r.args?.length).toBeGreaterThan(0);
    },
  );

  test.each([
    [AF.UNIX, SOCK.STREAM, true],
    [AF.INET, SOCK.STREAM, true],
    [AF.INET6, SOCK.DGRAM, true],
    [AF.INET, SOCK.RAW, false],
    [AF.INET6, SOCK.RAW, false],
    [AF.PACKET, SOCK.RAW, false],
    [AF.PACKET, SOCK.DGRAM, false],
  ])('socket(family %i, type %i) allowed: %s', (family, type, want) => {
    const match = rulesFor('socket').some(
      (r) =>
        r.args?.some((a) => a.index === 0 && a.value === family) &&
        r.args?.some((a) => a.index === 1 && a.valueTwo === type),
    );
    expect(match).toBe(want);
  });

  test('netlink only for NETLINK_ROUTE', () => {
    const netlink = rulesFor('socket').filter((r) =>
      r.args?.some((a) => a.index === 0 && a.value === AF.NETLINK),
    );
    expect(netlink).toEqual([
      expect.objectContaining({
        args: [expect.objectContaining({ index: 0 }), { index: 2, value: 0, op: 'SCMP_CMP_EQ' }],
      }),
    ]);
  });

  test('clone only without namespace flags (CLONE_NEWUSER included)', () => {
    expect(rulesFor('clone')).toEqual([
      expect.objectContaining({
        args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
      }),
    ]);
    expect(CLONE_NAMESPACE_FLAGS & 0x10000000).toBe(0x10000000);
  });

  test('clone3 answers ENOSYS so libc falls back to the filtered clone', () => {
    expect(rulesFor('clone3')).toEqual([{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }]);
  });

  test.each([
    ['x64', 'amd64'],
    ['arm64', 'arm64'],
  ])('arch %s → %s', (node, want) => expect(seccompArchOf(node)).toBe(want));

  test('unsupported arch is refused', () => expect(() => seccompArchOf('ia32')).toThrow(/unsupported/));
});
