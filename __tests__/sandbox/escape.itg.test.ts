// The escape battery: each attempt is something an agent steered by a hostile
// PR would try, run as the agent inside one long-lived sandbox, asserting the
// SPECIFIC thing that stopped it. A report of attempts and stoppers is printed.
import { jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestSandbox, type RunOutput } from './helpers.js';

jest.setTimeout(60_000);

const CANARY = `canary-${Math.random().toString(36).slice(2)}-secret`;

// Syscall numbers for perl's syscall(); the battery runs on the native arch.
const NR: Record<string, Record<string, number>> = {
  x64: {
    ptrace: 101,
    process_vm_readv: 310,
    mount: 165,
    clone: 56,
    unshare: 272,
    setns: 308,
    bpf: 321,
    userfaultfd: 323,
    perf_event_open: 298,
    keyctl: 250,
    add_key: 248,
    io_uring_setup: 425,
    kexec_load: 246,
    init_module: 175,
    mq_open: 240,
    sethostname: 170,
    chroot: 161,
    clone3: 435,
    pivot_root: 155,
    open_by_handle_at: 304,
  },
  arm64: {
    ptrace: 117,
    process_vm_readv: 270,
    mount: 40,
    clone: 220,
    unshare: 97,
    setns: 268,
    bpf: 280,
    userfaultfd: 282,
    perf_event_open: 241,
    keyctl: 219,
    add_key: 217,
    io_uring_setup: 425,
    kexec_load: 104,
    init_module: 105,
    mq_open: 180,
    sethostname: 161,
    chroot: 51,
    clone3: 435,
    pivot_root: 41,
    open_by_handle_at: 265,
  },
};
const nr = (name: string): number => NR[process.arch]![name]!;
/** A raw syscall from perl: prints `errno: <message>` or `ok <ret>`. */
const sys = (name: string, ...args: Array<number | string>) =>
  `perl -e '$r = syscall(${[nr(name), ...args.map((a, i) => (typeof a === 'number' ? String(a) : `my $s${i} = "${a}"`))].join(', ')}); print $r == -1 ? "errno: $!\\n" : "ok $r\\n"'`;
const sock = (family: number, type: number, proto: number) =>
  `perl -e 'socket(S, ${family}, ${type}, ${proto}) ? print "socket created\\n" : print "errno: $!\\n"'`;
// Network attempts run only where no packet can leave: the sandbox must have no interface but lo
// and no route at all; otherwise the command stops before dialing anything.
const noRouteGuard =
  '[ "$(ls /sys/class/net)" = lo ] && [ "$(tail -n +2 /proc/net/route | wc -l)" = 0 ] || { echo "GUARD: a route exists, not dialing"; exit 99; }; ';

interface Attempt {
  tried: string;
  cmd: string;
  expect: RegExp;
  stoppedBy: string;
  /** Exit code expected, when it matters. */
  code?: number;
}

const EPERM = /errno: Operation not permitted/;

const attempts: Attempt[] = [
  // Filesystem: writable only /sandbox and /tmp.
  {
    tried: 'overwrite /etc/passwd',
    cmd: 'echo x >> /etc/passwd',
    expect: /Permission denied/,
    stoppedBy: 'root-owned file, agent is not root',
  },
  {
    tried: 'check whether / is writable at all',
    cmd: `awk '$2 == "/" { split($4, o, ","); print o[1] }' /proc/mounts`,
    expect: /^ro\n$/,
    stoppedBy: 'read-only root filesystem',
  },
  {
    tried: 'drop a binary into /usr/local/bin',
    cmd: 'cp /bin/true /usr/local/bin/evil',
    expect: /Read-only file system/,
    stoppedBy: 'read-only root filesystem',
  },
  {
    tried: 'create a file at /',
    cmd: 'touch /evil',
    expect: /(Read-only file system|Permission denied)/,
    stoppedBy: 'read-only root filesystem',
  },
  {
    tried: 'replace the forwarder script',
    cmd: 'echo "evil" > /opt/nemoclaw-runtime/forwarder.mjs',
    expect: /Read-only file system/,
    stoppedBy: 'runtime assets mounted read-only',
  },
  {
    tried: 'plant a socket or file in the host socket dir',
    cmd: 'touch /run/nemoclaw/evil.sock',
    expect: /Read-only file system/,
    stoppedBy: 'socket dir mounted read-only',
  },
  {
    tried: 'write to /dev/shm',
    cmd: 'echo x > /dev/shm/x',
    expect: /No such file or directory/,
    stoppedBy: 'IpcMode none: no /dev/shm',
  },
  {
    tried: 'write to /dev/mqueue',
    cmd: 'touch /dev/mqueue/x',
    expect: /Read-only file system/,
    stoppedBy: 'read-only tmpfs over /dev/mqueue',
  },
  {
    tried: 'create a POSIX message queue (mq_open)',
    cmd: sys('mq_open', '/q', 0o100 | 2, 0o600, 0),
    expect: EPERM,
    stoppedBy: 'seccomp: mq_* not allowed',
  },
  {
    tried: 'write /proc/sys (kernel.core_pattern)',
    cmd: 'echo "|/tmp/x" > /proc/sys/kernel/core_pattern',
    expect: /Read-only file system/,
    stoppedBy: '/proc/sys mounted read-only',
  },
  {
    tried: 'enable IP forwarding in /proc/sys/net',
    cmd: 'echo 1 > /proc/sys/net/ipv4/ip_forward',
    expect: /Read-only file system/,
    stoppedBy: '/proc/sys mounted read-only',
  },
  {
    tried: 'write /sys (lo mtu)',
    cmd: 'echo 1 > /sys/class/net/lo/mtu',
    expect: /Read-only file system/,
    stoppedBy: 'sysfs mounted read-only',
  },
  {
    tried: 'trigger sysrq',
    cmd: 'echo b > /proc/sysrq-trigger',
    expect: /(Read-only file system|Permission denied|No such file)/,
    stoppedBy: '/proc/sysrq-trigger masked or read-only',
  },
  {
    tried: 'run a binary from /tmp',
    cmd: 'cp /bin/true /tmp/t && chmod +x /tmp/t && /tmp/t',
    expect: /Permission denied/,
    code: 126,
    stoppedBy: '/tmp mounted noexec',
  },
  {
    tried: 'run a binary from $HOME (/sandbox)',
    cmd: 'cp /bin/true ~/t && chmod +x ~/t && ~/t',
    expect: /Permission denied/,
    code: 126,
    stoppedBy: '/sandbox mounted noexec',
  },
  {
    tried: 'fill /tmp',
    cmd: 'dd if=/dev/zero of=/tmp/fill bs=1M count=64 2>&1; du -m /tmp/fill | cut -f1; rm -f /tmp/fill',
    expect: /No space left on device[\s\S]*\n1[0-6]\n/,
    stoppedBy: 'tmpfs size limit (16 MiB)',
  },
  // Host files and secrets.
  {
    tried: 'read the host canary file by its host path',
    cmd: 'cat HOSTFILE',
    expect: /No such file or directory/,
    stoppedBy: 'only the workspace is mounted from the host',
  },
  {
    tried: 'search every readable file for the canary',
    cmd: `grep -rsl --exclude-dir=proc --exclude-dir=sys ${CANARY} / ; echo "matches: $?"`,
    expect: /^matches: [12]\n$/,
    stoppedBy: 'no host secret in env, files, mounts or image',
  },
  {
    tried: 'read the canary from the environment',
    cmd: `env | grep -c ${CANARY}`,
    expect: /^0\n$/,
    code: 1,
    stoppedBy: 'environment is an allow-list, nothing inherited',
  },
  {
    tried: 'read the canary from any /proc/*/environ',
    cmd: `cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | grep -c ${CANARY}`,
    expect: /^0\n$/,
    code: 1,
    stoppedBy: 'no process in the sandbox has it',
  },
  {
    tried: "read the forwarder's environment (/proc/1/environ)",
    cmd: 'cat /proc/1/environ',
    expect: /Permission denied/,
    stoppedBy: 'forwarder runs as another uid (nobody)',
  },
  {
    tried: 'list host mounts beyond the workspace',
    cmd: "awk '{print $5}' /proc/self/mountinfo | grep -vE '^/(proc|dev|sys|tmp|sandbox)?(/|$)' | grep -vxE '/(etc/(resolv.conf|hostname|hosts)|sandbox/workspace|run/nemoclaw|opt/nemoclaw-runtime|usr/sbin/docker-init)' ; echo end",
    expect: /^end\n$/,
    stoppedBy: 'mounts: workspace, socket dir, runtime assets only',
  },
  {
    tried: 'read kernel memory (/proc/kcore)',
    cmd: 'head -c 16 /proc/kcore 2>/dev/null | wc -c',
    expect: /^0\n$/,
    stoppedBy: '/proc/kcore masked',
  },
  // Docker socket.
  {
    tried: 'find the Docker socket',
    cmd: 'ls -l /var/run/docker.sock /run/docker.sock',
    expect:
      /cannot access '\/var\/run\/docker.sock': No such file or directory[\s\S]*cannot access '\/run\/docker.sock': No such file/,
    stoppedBy: 'Docker socket never mounted',
  },
  {
    tried: 'talk to the Docker API over the socket',
    cmd: 'curl -sS --unix-socket /var/run/docker.sock http://d/version',
    expect: /Couldn't connect to server|No such file/,
    code: 7,
    stoppedBy: 'Docker socket never mounted',
  },
  {
    tried: 'talk to the Docker API over TCP 2375',
    cmd: 'curl -sS --noproxy "*" http://127.0.0.1:2375/version',
    expect: /Couldn't connect to server/,
    code: 7,
    stoppedBy: "loopback is the sandbox's own",
  },
  // Sockets.
  {
    tried: 'open a raw IPv4 socket',
    cmd: sock(2, 3, 1),
    expect: EPERM,
    stoppedBy: 'seccomp: socket(SOCK_RAW) refused',
  },
  {
    tried: 'open a raw IPv6 socket',
    cmd: sock(10, 3, 58),
    expect: EPERM,
    stoppedBy: 'seccomp: socket(SOCK_RAW) refused',
  },
  {
    tried: 'open an ICMP ping socket',
    cmd: sock(2, 2, 1),
    expect: EPERM,
    stoppedBy: 'seccomp: IP sockets are TCP or UDP only',
  },
  {
    tried: 'open a packet socket',
    cmd: sock(17, 3, 768),
    expect: EPERM,
    stoppedBy: 'seccomp: AF_PACKET refused',
  },
  {
    tried: 'open a netlink audit socket',
    cmd: sock(16, 3, 9),
    expect: EPERM,
    stoppedBy: 'seccomp: netlink other than NETLINK_ROUTE refused',
  },
  {
    tried: 'open a netlink sock_diag socket',
    cmd: sock(16, 3, 4),
    expect: EPERM,
    stoppedBy: 'seccomp: netlink other than NETLINK_ROUTE refused',
  },
  // Direct network, no proxy (guarded: nothing is dialed unless the sandbox has no route).
  {
    tried: 'look for an interface or route',
    cmd: 'ls /sys/class/net; tail -n +2 /proc/net/route | wc -l',
    expect: /^lo\n0\n$/,
    stoppedBy: 'NetworkMode none: only lo, no routes',
  },
  {
    tried: 'connect to a raw IP (TEST-NET 192.0.2.1:80)',
    cmd: noRouteGuard + 'exec 3<>/dev/tcp/192.0.2.1/80',
    expect: /connect: Network is unreachable/,
    stoppedBy: 'no interface (ENETUNREACH)',
  },
  {
    tried: 'reach cloud metadata 169.254.169.254',
    cmd: noRouteGuard + 'curl -sS --noproxy "*" -m 5 http://169.254.169.254/latest/meta-data/',
    expect: /Failed to connect to 169.254.169.254/,
    code: 7,
    stoppedBy: 'no interface (ENETUNREACH)',
  },
  {
    tried: 'connect over IPv6 (2001:db8::1)',
    cmd:
      noRouteGuard +
      `node -e 'require("net").connect(80, "2001:db8::1").on("error", (e) => console.log(e.code))'`,
    expect: /^(ENETUNREACH|EADDRNOTAVAIL)\n$/,
    stoppedBy: 'no interface',
  },
  {
    tried: 'unset the proxy variables and fetch a host directly',
    cmd:
      noRouteGuard +
      'env -u http_proxy -u https_proxy -u HTTP_PROXY -u HTTPS_PROXY curl -sS -m 5 http://example.com/',
    expect: /Could not resolve host: example.com/,
    code: 6,
    stoppedBy: 'no DNS and no interface',
  },
  {
    tried: "learn the host's DNS server from /etc/resolv.conf",
    cmd: "grep -c '^nameserver' /etc/resolv.conf",
    expect: /^0\n$/,
    code: 1,
    stoppedBy: 'resolv.conf replaced: no resolver address',
  },
  {
    tried: 'resolve a name with the system resolver',
    cmd: noRouteGuard + 'getent hosts example.com',
    expect: /^$/,
    code: 2,
    stoppedBy: 'no DNS server reachable',
  },
  {
    tried: 'resolve a name with node dns.lookup',
    cmd: noRouteGuard + `node -e 'require("dns").lookup("example.com", (e) => console.log(e.code))'`,
    expect: /^EAI_AGAIN\n$/,
    stoppedBy: 'no DNS server reachable',
  },
  {
    tried: 'query a chosen DNS server directly (DNS tunnelling)',
    cmd:
      noRouteGuard +
      `node -e 'const r = new (require("dns").Resolver)(); r.setServers(["192.0.2.53"]); r.resolveTxt("x.example.com", (e) => console.log(e.code))'`,
    expect: /^ECONNREFUSED\n$/,
    stoppedBy: 'no interface for UDP/TCP 53',
  },
  // Privileges.
  {
    tried: 'check capabilities',
    cmd: 'grep -E "^Cap(Eff|Prm|Bnd|Amb)" /proc/self/status',
    expect: /CapPrm:\t0{16}\nCapEff:\t0{16}\nCapBnd:\t0{16}\nCapAmb:\t0{16}/,
    stoppedBy: 'CapDrop ALL',
  },
  {
    tried: 'check seccomp and no_new_privs',
    cmd: 'grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status',
    expect: /NoNewPrivs:\t1\nSeccomp:\t2/,
    stoppedBy: 'no-new-privileges + seccomp filter',
  },
  {
    tried: 'find setuid/setgid binaries',
    cmd: 'find / -xdev -perm /6000 -type f 2>/dev/null | wc -l',
    expect: /^0\n$/,
    stoppedBy: 'image has no setuid/setgid files',
  },
  {
    tried: 'become root with su',
    cmd: 'su -c id root </dev/null',
    expect: /su: (System error|Authentication failure)/,
    code: 1,
    stoppedBy: 'su is not setuid; no_new_privs',
  },
  {
    tried: 'setuid(0)',
    cmd: `perl -e 'use POSIX; POSIX::setuid(0) or print "errno: $!\\n"'`,
    expect: EPERM,
    stoppedBy: 'no CAP_SETUID',
  },
  {
    tried: 'chown a file to root',
    cmd: 'touch /tmp/o && chown 0:0 /tmp/o',
    expect: /Operation not permitted/,
    stoppedBy: 'no CAP_CHOWN',
  },
  {
    tried: 'ptrace(PTRACE_TRACEME)',
    cmd: sys('ptrace', 0, 0, 0, 0),
    expect: EPERM,
    stoppedBy: 'seccomp: ptrace refused',
  },
  {
    tried: 'ptrace-attach to the forwarder (pid 1)',
    cmd: sys('ptrace', 16, 1, 0, 0),
    expect: EPERM,
    stoppedBy: 'seccomp: ptrace refused',
  },
  {
    tried: 'process_vm_readv on pid 1',
    cmd: sys('process_vm_readv', 1, 0, 0, 0, 0, 0),
    expect: EPERM,
    stoppedBy: 'seccomp: process_vm_* refused',
  },
  {
    tried: 'mount a tmpfs (mount(8))',
    cmd: 'mount -t tmpfs none /tmp',
    expect: /must be superuser|Operation not permitted/,
    code: 32,
    stoppedBy: 'no CAP_SYS_ADMIN',
  },
  {
    tried: 'mount(2) directly',
    cmd: sys('mount', 'none', '/tmp', 'tmpfs', 0, 0),
    expect: EPERM,
    stoppedBy: 'seccomp: mount refused',
  },
  {
    tried: 'pivot_root',
    cmd: sys('pivot_root', '/tmp', '/tmp'),
    expect: EPERM,
    stoppedBy: 'seccomp: pivot_root refused',
  },
  { tried: 'chroot', cmd: sys('chroot', '/tmp'), expect: EPERM, stoppedBy: 'seccomp: chroot refused' },
  {
    tried: 'new user namespace (unshare -Ur)',
    cmd: 'unshare -Ur id',
    expect: /unshare failed: Operation not permitted/,
    code: 1,
    stoppedBy: 'seccomp: unshare refused',
  },
  {
    tried: 'new network namespace (unshare -n)',
    cmd: 'unshare -n true',
    expect: /unshare failed: Operation not permitted/,
    code: 1,
    stoppedBy: 'seccomp: unshare refused',
  },
  {
    tried: 'clone(CLONE_NEWUSER)',
    cmd: sys('clone', 0x10000000 | 17, 0, 0, 0, 0),
    expect: EPERM,
    stoppedBy: 'seccomp: clone namespace flags filtered',
  },
  {
    tried: 'clone(CLONE_NEWNS)',
    cmd: sys('clone', 0x00020000 | 17, 0, 0, 0, 0),
    expect: EPERM,
    stoppedBy: 'seccomp: clone namespace flags filtered',
  },
  {
    tried: 'clone3 (flags hidden from seccomp)',
    cmd: sys('clone3', 0, 0),
    expect: /errno: Function not implemented/,
    stoppedBy: 'seccomp: clone3 answers ENOSYS',
  },
  {
    tried: "setns into pid 1's namespaces",
    cmd: sys('setns', 0, 0),
    expect: EPERM,
    stoppedBy: 'seccomp: setns refused',
  },
  {
    tried: 'open_by_handle_at (shocker)',
    cmd: sys('open_by_handle_at', 0, 0, 0),
    expect: EPERM,
    stoppedBy: 'seccomp: open_by_handle_at refused',
  },
  { tried: 'load a BPF program', cmd: sys('bpf', 5, 0, 0), expect: EPERM, stoppedBy: 'seccomp: bpf refused' },
  {
    tried: 'userfaultfd',
    cmd: sys('userfaultfd', 0),
    expect: EPERM,
    stoppedBy: 'seccomp: userfaultfd refused',
  },
  {
    tried: 'perf_event_open',
    cmd: sys('perf_event_open', 0, 0, -1, -1, 0),
    expect: EPERM,
    stoppedBy: 'seccomp: perf_event_open refused',
  },
  {
    tried: 'keyctl (read session keyring)',
    cmd: sys('keyctl', 0, -3, 0),
    expect: EPERM,
    stoppedBy: 'seccomp: keyctl refused',
  },
  {
    tried: 'add_key',
    cmd: sys('add_key', 'user', 'k', 'v', 1, -3),
    expect: EPERM,
    stoppedBy: 'seccomp: add_key refused',
  },
  {
    tried: 'io_uring_setup',
    cmd: sys('io_uring_setup', 8, 0),
    expect: EPERM,
    stoppedBy: 'seccomp: io_uring refused',
  },
  {
    tried: 'kexec_load',
    cmd: sys('kexec_load', 0, 0, 0, 0),
    expect: EPERM,
    stoppedBy: 'seccomp: kexec refused',
  },
  {
    tried: 'init_module',
    cmd: sys('init_module', 0, 0, ''),
    expect: EPERM,
    stoppedBy: 'seccomp: module loading refused',
  },
  {
    tried: 'disable ASLR (setarch -R)',
    cmd: 'setarch "$(uname -m)" -R true',
    expect: /failed to set personality.*Operation not permitted/,
    code: 1,
    stoppedBy: 'seccomp: personality filtered',
  },
  {
    tried: 'change the hostname',
    cmd: 'hostname evil 2>&1; hostname',
    expect: /you must be root to change the host name\nsandbox\n/,
    stoppedBy: 'seccomp + no CAP_SYS_ADMIN; fixed hostname',
  },
  {
    tried: 'sethostname(2)',
    cmd: sys('sethostname', 'evil', 4),
    expect: EPERM,
    stoppedBy: 'seccomp: sethostname refused',
  },
  {
    tried: 'set the clock',
    cmd: 'date -s 2020-01-01',
    expect: /cannot set date: Operation not permitted/,
    code: 1,
    stoppedBy: 'seccomp + no CAP_SYS_TIME',
  },
  {
    tried: 'produce a core dump',
    cmd: 'ulimit -c; ulimit -c unlimited',
    expect: /^0\n[\s\S]*(cannot modify limit|Operation not permitted)/,
    code: 1,
    stoppedBy: 'core ulimit 0 (hard)',
  },
  // The forwarder.
  {
    tried: 'kill the forwarder',
    cmd: 'for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline 2>/dev/null | grep -q "^node /opt/nemoclaw-runtime/forwarder.mjs" && f=${p#/proc/}; done; echo "forwarder pid ${f:?not found}"; kill -9 $f 2>&1; kill -9 1',
    expect:
      /^forwarder pid (\d+)\n.*kill: \(\1\) - Operation not permitted\n.*kill: \(1\) - Operation not permitted\n$/,
    code: 1,
    stoppedBy: 'forwarder runs as another uid',
  },
  {
    tried: 'take over 127.0.0.1:3128 from the forwarder',
    cmd: `node -e 'require("net").createServer().listen(3128, "127.0.0.1").on("error", (e) => console.log(e.code))'`,
    expect: /^EADDRINUSE\n$/,
    stoppedBy: 'port held by the forwarder',
  },
  {
    tried: 'bypass the forwarder: talk to the host socket directly',
    cmd: 'curl -sS --unix-socket /run/nemoclaw/egress.sock -o /dev/null -w "%{http_code}\\n" http://bypass.example/',
    expect: /^403\n$/,
    stoppedBy: 'the host proxy decides every request',
  },
];

describe('escape battery (real engine)', () => {
  let t: Awaited<ReturnType<typeof startTestSandbox>>;
  let hostDir: string;
  const report: string[] = [];

  beforeAll(async () => {
    process.env.NEMOCLAW_ESCAPE_CANARY = CANARY; // in the test process; must never reach the sandbox
    hostDir = await mkdtemp(join(tmpdir(), 'nemoclaw-host-'));
    await writeFile(join(hostDir, 'secret.txt'), CANARY);
    t = await startTestSandbox({
      workspaceUid: 1001,
      resources: { memoryMb: 256, pids: 128, tmpMb: 16, homeMb: 16 },
    });
    await writeFile(join(t.workspace, 'README'), 'workspace file\n');
  });

  afterAll(async () => {
    delete process.env.NEMOCLAW_ESCAPE_CANARY;
    await t?.dispose();
    await rm(hostDir, { recursive: true, force: true });
    process.stdout.write(`\nescape battery: ${report.length} attempts\n${report.join('\n')}\n`);
  });

  const record = (a: { tried: string; stoppedBy: string }, r: RunOutput) => {
    const seen = (r.err + r.out).trim().split('\n').slice(-1)[0]?.slice(0, 100) ?? '';
    report.push(`  tried: ${a.tried}\n    stopped by: ${a.stoppedBy}  [exit ${r.exitCode}; saw: ${seen}]`);
  };

  test.each(attempts.map((a) => [a.tried, a] as const))('%s', async (_name, a) => {
    const r = await t.run(a.cmd.replace('HOSTFILE', join(hostDir, 'secret.txt')));
    record(a, r);
    expect(r.out + r.err).toMatch(a.expect);
    expect(r.exitCode).not.toBe(99); // the no-route guard tripped
    if (a.code !== undefined) expect(r.exitCode).toBe(a.code);
  });

  it('the workspace (owned by uid 1001) is readable and writable by the agent', async () => {
    const r = await t.run('id -u; cat README; echo new > new.txt && cat new.txt');
    record({ tried: 'use the workspace as its owner (control)', stoppedBy: '(allowed)' }, r);
    expect(r.out).toBe('1001\nworkspace file\nnew\n');
  });

  it('fork bomb: the pids limit holds and the sandbox still answers', async () => {
    const r = await t.run(
      `perl -e 'my @k; while (1) { my $p = fork(); if (!defined $p) { print "fork failed after ", scalar(@k), ": $!\\n"; last } if ($p == 0) { sleep 60; exit } push @k, $p; last if @k > 1000 } kill 9, @k; 1 while wait() > 0'`,
    );
    record({ tried: 'fork bomb', stoppedBy: 'PidsLimit 128' }, r);
    expect(r.out).toMatch(/^fork failed after \d+: Resource temporarily unavailable\n$/);
    expect(Number(/after (\d+)/.exec(r.out)![1])).toBeLessThan(128);
    expect((await t.run('echo alive')).out).toBe('alive\n');
    // The host (this process) can still start processes: the limit is the sandbox's cgroup only.
    expect(spawnSync('true').status).toBe(0);
  });

  it('memory bomb: only the bomb is OOM-killed (exit 137, reported), the sandbox still answers', async () => {
    const r = await t.run(`node -e 'const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1))'`);
    record({ tried: 'memory bomb', stoppedBy: 'Memory 256 MiB, no swap: OOM killer inside the sandbox' }, r);
    expect(r.exitCode).toBe(137);
    expect(r.oomKilled).toBe(true);
    expect((await t.run('echo alive')).out).toBe('alive\n');
  });

  it('has at least 40 attempts', () => {
    expect(attempts.length + 2).toBeGreaterThanOrEqual(40);
  });
});
