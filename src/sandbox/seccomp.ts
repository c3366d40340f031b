// The sandbox's seccomp profile, written as an allow-list: every syscall not
// named here fails with EPERM. That keeps Docker's default denials (none of
// them is allowed below) and adds OpenShell's: no ptrace, bpf, userfaultfd,
// perf_event_open, mount family, namespaces (unshare, setns, clone with
// CLONE_NEW*), keyrings, io_uring, process_vm_*, raw/packet sockets, and
// netlink other than NETLINK_ROUTE (read-only without CAP_NET_ADMIN; getaddrinfo
// and os.networkInterfaces() use it).
//
// Names the running kernel or libseccomp does not know are skipped by runc,
// so one list serves amd64 and arm64.

export type SeccompArch = 'amd64' | 'arm64';

interface SeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: 'SCMP_CMP_EQ' | 'SCMP_CMP_MASKED_EQ';
}

export interface SeccompRule {
  names: string[];
  action: 'SCMP_ACT_ALLOW' | 'SCMP_ACT_ERRNO';
  args?: SeccompArg[];
  errnoRet?: number;
  comment?: string;
}

export interface SeccompProfile {
  defaultAction: 'SCMP_ACT_ERRNO';
  defaultErrnoRet: number;
  architectures: string[];
  syscalls: SeccompRule[];
}

const EPERM = 1;
const ENOSYS = 38;

// Address families and socket types (linux/socket.h, linux/net.h).
export const AF = { UNIX: 1, INET: 2, NETLINK: 16, PACKET: 17, INET6: 10 } as const;
export const SOCK = { STREAM: 1, DGRAM: 2, RAW: 3, SEQPACKET: 5 } as const;
export const IPPROTO = { ICMP: 1, TCP: 6, UDP: 17, SCTP: 132, ICMPV6: 58 } as const;
const SOCK_TYPE_MASK = 0xf; // the rest of `type` is SOCK_NONBLOCK | SOCK_CLOEXEC
const NETLINK_ROUTE = 0;

// CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET (CLONE_NEWTIME
// only exists for clone3/unshare, both denied).
export const CLONE_NAMESPACE_FLAGS =
  0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000;

// personality(2) values glibc, node and coreutils use; anything else (e.g. READ_IMPLIES_EXEC,
// ADDR_NO_RANDOMIZE) weakens ASLR/NX and is refused, as in Docker's profile.
const PERSONALITIES = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];

// Syscall lists as plain words (`#` starts a comment), one group per line.
function words(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.replace(/#.*/, ''))
    .join(' ')
    .split(/\s+/)
    .filter((w) => w.length > 0);
}

/** Everything an ordinary user-space program (node, git, curl, bash, perl, coreutils) needs. */
const ALLOWED: readonly string[] = words(`
  # files and directories
  access chdir chmod chown close close_range copy_file_range creat dup dup2 dup3 faccessat faccessat2
  fadvise64 fallocate fchdir fchmod fchmodat fchmodat2 fchown fchownat fcntl fdatasync flock fstat
  fstatfs fsync ftruncate getcwd getdents getdents64 lchown link linkat lseek lstat mkdir mkdirat mknod
  mknodat newfstatat open openat openat2 pread64 preadv preadv2 pwrite64 pwritev pwritev2 read readahead
  readlink readlinkat readv rename renameat renameat2 rmdir sendfile splice stat statfs statx symlink
  symlinkat sync sync_file_range syncfs tee truncate umask unlink unlinkat utime utimensat utimes
  futimesat vmsplice write writev getxattr lgetxattr fgetxattr listxattr llistxattr flistxattr setxattr
  lsetxattr fsetxattr removexattr lremovexattr fremovexattr ioctl inotify_init inotify_init1
  inotify_add_watch inotify_rm_watch fanotify_mark memfd_create
  # memory
  brk madvise membarrier mincore mlock mlock2 mlockall mmap mprotect mremap msync munlock munlockall
  munmap pkey_alloc pkey_free pkey_mprotect
  # processes and threads
  arch_prctl capget execve execveat exit exit_group fork vfork get_robust_list set_robust_list getegid
  geteuid getgid getgroups getpgid getpgrp getpid getppid getpriority getresgid getresuid getrlimit
  getrusage getsid gettid getuid kill pidfd_open pidfd_send_signal prctl prlimit64 rseq
  sched_getaffinity sched_getattr sched_getparam sched_get_priority_max sched_get_priority_min
  sched_getscheduler sched_rr_get_interval sched_setaffinity sched_setattr sched_setparam
  sched_setscheduler sched_yield set_tid_address setfsgid setfsuid setgid setgroups setpgid setpriority
  setregid setresgid setresuid setreuid setrlimit setsid setuid tgkill tkill times uname wait4 waitid
  ioprio_get ioprio_set getcpu sysinfo capset
  # signals, time, polling, events
  alarm clock_getres clock_gettime clock_nanosleep epoll_create epoll_create1 epoll_ctl epoll_pwait
  epoll_pwait2 epoll_wait eventfd eventfd2 futex futex_waitv getitimer gettimeofday nanosleep pause pipe
  pipe2 poll ppoll pselect6 restart_syscall rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo
  rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_tgsigqueueinfo select setitimer sigaltstack signalfd
  signalfd4 time timer_create timer_delete timer_getoverrun timer_gettime timer_settime timerfd_create
  timerfd_gettime timerfd_settime getrandom
  # System V IPC inside the container's own IPC namespace (POSIX mq_* is left out: nothing needs it)
  msgctl msgget msgrcv msgsnd semctl semget semop semtimedop shmat shmctl shmdt shmget
  # sockets once created (creation is filtered below)
  accept accept4 bind connect getpeername getsockname getsockopt listen recvfrom recvmmsg recvmsg
  sendmmsg sendmsg sendto setsockopt shutdown
`);

/** Never allowed (the default action refuses them); named so readers and tests see the intent. */
export const DENIED: readonly string[] = words(`
  ptrace process_vm_readv process_vm_writev pidfd_getfd kcmp bpf userfaultfd perf_event_open mount
  umount umount2 pivot_root chroot fsopen fsconfig fsmount fspick move_mount open_tree mount_setattr
  unshare setns clone3 keyctl add_key request_key io_uring_setup io_uring_enter io_uring_register
  kexec_load kexec_file_load init_module finit_module delete_module reboot swapon swapoff sethostname
  setdomainname settimeofday clock_settime clock_adjtime adjtimex acct quotactl quotactl_fd syslog iopl
  ioperm name_to_handle_at open_by_handle_at lookup_dcookie mbind set_mempolicy get_mempolicy move_pages
  migrate_pages vhangup uselib ustat sysfs _sysctl nfsservctl fanotify_init memfd_secret process_madvise
`);

function allow(names: string[], args?: SeccompArg[], comment?: string): SeccompRule {
  return { names, action: 'SCMP_ACT_ALLOW', ...(args ? { args } : {}), ...(comment ? { comment } : {}) };
}

const eq = (index: number, value: number): SeccompArg => ({ index, value, op: 'SCMP_CMP_EQ' });
const maskedEq = (index: number, mask: number, value: number): SeccompArg => ({
  index,
  value: mask,
  valueTwo: value,
  op: 'SCMP_CMP_MASKED_EQ',
});

// One rule per (family, type, protocol): rules for one syscall are OR-ed, args within a rule
// AND-ed. IP sockets are TCP or UDP only (protocol 0 means the default, which is the same):
// no ICMP "ping" sockets, no SCTP, no raw.
const IP_KINDS: Array<[type: number, protocols: number[]]> = [
  [SOCK.STREAM, [0, IPPROTO.TCP]],
  [SOCK.DGRAM, [0, IPPROTO.UDP]],
];

function socketRules(): SeccompRule[] {
  const rules: SeccompRule[] = [];
  for (const type of [SOCK.STREAM, SOCK.DGRAM, SOCK.SEQPACKET]) {
    rules.push(allow(['socket'], [eq(0, AF.UNIX), maskedEq(1, SOCK_TYPE_MASK, type)]));
  }
  for (const family of [AF.INET, AF.INET6]) {
    for (const [type, protocols] of IP_KINDS) {
      for (const protocol of protocols) {
        rules.push(allow(['socket'], [eq(0, family), maskedEq(1, SOCK_TYPE_MASK, type), eq(2, protocol)]));
      }
    }
  }
  rules.push(allow(['socket'], [eq(0, AF.NETLINK), eq(2, NETLINK_ROUTE)], 'route netlink only'));
  rules.push(allow(['socketpair'], [eq(0, AF.UNIX)]));
  return rules;
}

const ARCHES: Record<SeccompArch, string[]> = {
  // Only the native ABI: a 32-bit syscall entry is a classic filter bypass and nothing here needs it.
  amd64: ['SCMP_ARCH_X86_64'],
  arm64: ['SCMP_ARCH_AARCH64'],
};

/** The profile as Docker's `--security-opt seccomp=<json>` expects it. */
export function buildSeccompProfile(arch: SeccompArch): SeccompProfile {
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: EPERM,
    architectures: ARCHES[arch],
    syscalls: [
      allow([...ALLOWED].sort()),
      ...socketRules(),
      allow(['clone'], [maskedEq(0, CLONE_NAMESPACE_FLAGS, 0)], 'threads and processes, no new namespaces'),
      ...PERSONALITIES.map((p) => allow(['personality'], [eq(0, p)])),
      {
        // clone3 passes its flags in memory seccomp cannot read; ENOSYS makes glibc fall back to clone.
        names: ['clone3'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: ENOSYS,
      },
    ],
  };
}

export function seccompArchOf(nodeArch: string): SeccompArch {
  if (nodeArch === 'x64') return 'amd64';
  if (nodeArch === 'arm64') return 'arm64';
  throw new Error(`seccomp: unsupported architecture ${nodeArch}`);
}
