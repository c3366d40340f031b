import {
  AF,
  IPPROTO,
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

  // Evaluates the profile the way the kernel filter does, for one syscall and its arguments.
  const allows = (name: string, args: number[]): boolean =>
    rulesFor(name).some(
      (r) =>
        r.action === 'SCMP_ACT_ALLOW' &&
        (r.args ?? []).every((a) =>
          a.op === 'SCMP_CMP_EQ' ? args[a.index] === a.value : (args[a.index]! & a.value) === a.valueTwo,
        ),
    );
  const NONBLOCK_CLOEXEC = 0x800 | 0x80000;

  test.each([
    ['unix stream', [AF.UNIX, SOCK.STREAM, 0], true],
    ['unix dgram, nonblocking + cloexec', [AF.UNIX, SOCK.DGRAM | NONBLOCK_CLOEXEC, 0], true],
    ['tcp (protocol 0)', [AF.INET, SOCK.STREAM, 0], true],
    ['tcp (IPPROTO_TCP), nonblocking', [AF.INET, SOCK.STREAM | NONBLOCK_CLOEXEC, IPPROTO.TCP], true],
    ['udp6', [AF.INET6, SOCK.DGRAM, IPPROTO.UDP], true],
    ['netlink route', [AF.NETLINK, SOCK.RAW, 0], true],
    ['raw ipv4', [AF.INET, SOCK.RAW, IPPROTO.ICMP], false],
    ['raw ipv4 with flags', [AF.INET, SOCK.RAW | NONBLOCK_CLOEXEC, 255], false],
    ['raw ipv6', [AF.INET6, SOCK.RAW, IPPROTO.ICMPV6], false],
    ['icmp ping socket', [AF.INET, SOCK.DGRAM, IPPROTO.ICMP], false],
    ['icmpv6 ping socket', [AF.INET6, SOCK.DGRAM, IPPROTO.ICMPV6], false],
    ['sctp', [AF.INET, SOCK.SEQPACKET, IPPROTO.SCTP], false],
    ['tcp socket type with another protocol', [AF.INET, SOCK.STREAM, IPPROTO.SCTP], false],
    ['packet raw', [AF.PACKET, SOCK.RAW, 768], false],
    ['packet dgram', [AF.PACKET, SOCK.DGRAM, 768], false],
    ['netlink audit', [AF.NETLINK, SOCK.RAW, 9], false],
    ['netlink sock_diag', [AF.NETLINK, SOCK.RAW, 4], false],
    ['bluetooth', [31, SOCK.STREAM, 0], false],
    ['vsock', [40, SOCK.STREAM, 0], false],
  ])('socket: %s → allowed %s', (_name, args, want) => {
    expect(allows('socket', args)).toBe(want);
  });

  test.each([
    ['fork (SIGCHLD)', 17, true],
    ['thread', 0x3d0f00, true],
    ['CLONE_NEWUSER', 0x10000000 | 17, false],
    ['CLONE_NEWNET', 0x40000000 | 17, false],
    ['CLONE_NEWNS', 0x00020000 | 17, false],
    ['CLONE_NEWPID', 0x20000000 | 17, false],
  ])('clone: %s → allowed %s', (_name, flags, want) => {
    expect(allows('clone', [flags])).toBe(want);
  });

  test.each([
    [0, true],
    [0x0040000, false], // ADDR_NO_RANDOMIZE
    [0x0400000, false], // READ_IMPLIES_EXEC
  ])('personality(%i) → allowed %s', (persona, want) => {
    expect(allows('personality', [persona])).toBe(want);
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
