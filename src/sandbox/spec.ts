// Blueprint resources + policy bits + job → the exact container Docker creates.
// Pure: every hardening decision is visible here and tested by tables.
import type { ContainerCreateOptions } from 'dockerode';
import { Label, SANDBOX_GID, SANDBOX_UID, SandboxPaths } from '../constants.js';
import { buildSandboxEnv, CA_DIR_IN_SANDBOX, PROXY_PORT } from './env.js';
import type { SandboxRuntime } from './gvisor.js';
import { buildSeccompProfile, type SeccompArch } from './seccomp.js';

/** Inside the sandbox: the host-side sockets (egress proxy, gateway), read-only. */
export const SOCKET_DIR_IN_SANDBOX = '/run/nemoclaw';
/** Inside the sandbox: the forwarder script and other runtime assets, read-only. */
export const RUNTIME_DIR_IN_SANDBOX = '/opt/nemoclaw-runtime';
export const EGRESS_SOCKET_NAME = 'egress.sock';
/** Inside the sandbox: the agent's configuration written by the host for this job, read-only. */
export const AGENT_CONFIG_DIR_IN_SANDBOX = '/etc/nemoclaw/agent';
/**
 * The container's main process (docker-init and the forwarder) runs as `nobody`, a
 * different uid from the agent's: the agent can neither signal nor ptrace-read it.
 * Commands run as the workspace owner, passed on every exec (see `execUser`).
 */
export const FORWARDER_USER = '65534:65534';

export interface SandboxResources {
  cpus: number;
  memoryMb: number;
  pids: number;
  tmpMb: number;
  homeMb: number;
  nofile: number;
}

export const DEFAULT_RESOURCES: SandboxResources = {
  cpus: 2,
  memoryMb: 4096,
  pids: 512,
  tmpMb: 512,
  homeMb: 256,
  nofile: 16384,
};

export interface SandboxJob {
  jobId: string;
  runId: string;
  /** `name@version` or a digest; for labels only. */
  blueprint: string;
  createdAt: Date;
}

export interface SandboxSpecInput {
  image: string;
  job: SandboxJob;
  resources: SandboxResources;
  workspace: {
    hostPath: string;
    /** Owner of hostPath on the host; the sandbox runs as it so files keep their owner. */
    uid: number;
    gid: number;
    readOnly: boolean;
  };
  /** Host dir holding the egress proxy's socket `egress.sock` (and other host-side sockets). */
  socketDir: string;
  /** Host dir with the job CA (`job-ca.pem`) and bundle (`bundle.pem`), when the proxy terminates TLS. */
  caDir?: string;
  /** Host dir with the agent's per-job configuration (e.g. openclaw.json), mounted read-only. */
  agentConfigDir?: string;
  /** Host dir of src/sandbox/runtime (the forwarder). */
  runtimeDir: string;
  /** Allow executing files from /tmp (some build tools need it); default noexec. */
  tmpExec?: boolean;
  extraEnv?: Record<string, string>;
  arch: SeccompArch;
  /** `runsc` (gVisor, checked in gvisor.ts) or the engine's default, runc. */
  runtime?: SandboxRuntime;
}

const MiB = 1024 * 1024;

/** uid:gid of the workspace owner, unless that is root: then the image's `sandbox` user. */
export function sandboxUser(uid: number, gid: number): { uid: number; gid: number } {
  return uid === 0 ? { uid: SANDBOX_UID, gid: SANDBOX_GID } : { uid, gid: gid === 0 ? uid : gid };
}

/** The `User` every command in the sandbox runs as. */
export function execUser(input: Pick<SandboxSpecInput, 'workspace'>): string {
  const user = sandboxUser(input.workspace.uid, input.workspace.gid);
  return `${user.uid}:${user.gid}`;
}

export function containerName(jobId: string): string {
  return `nemoclaw-${jobId.replace(/[^a-zA-Z0-9_.-]/g, '-')}`;
}

export function sandboxLabels(job: SandboxJob): Record<string, string> {
  return {
    [Label.Managed]: 'true',
    [Label.Job]: job.jobId,
    [Label.Run]: job.runId,
    [Label.Blueprint]: job.blueprint,
    [Label.Created]: String(Math.floor(job.createdAt.getTime() / 1000)),
  };
}

function tmpfsOptions(sizeMb: number, exec: boolean, owner?: { uid: number; gid: number }): string {
  const opts = ['rw', exec ? 'exec' : 'noexec', 'nosuid', 'nodev', `size=${sizeMb * MiB}`];
  opts.push(owner ? `uid=${owner.uid},gid=${owner.gid},mode=0700` : 'mode=1777');
  return opts.join(',');
}

export function buildContainerSpec(input: SandboxSpecInput): ContainerCreateOptions {
  const r = input.resources;
  const user = sandboxUser(input.workspace.uid, input.workspace.gid);
  const mounts = [
    {
      Type: 'bind' as const,
      Source: input.workspace.hostPath,
      Target: SandboxPaths.Workspace,
      ReadOnly: input.workspace.readOnly,
    },
    { Type: 'bind' as const, Source: input.socketDir, Target: SOCKET_DIR_IN_SANDBOX, ReadOnly: true },
    { Type: 'bind' as const, Source: input.runtimeDir, Target: RUNTIME_DIR_IN_SANDBOX, ReadOnly: true },
    // Replaces Docker's copy of the host's resolv.conf: no resolver address leaks in.
    {
      Type: 'bind' as const,
      Source: `${input.runtimeDir}/resolv.conf`,
      Target: '/etc/resolv.conf',
      ReadOnly: true,
    },
    ...(input.caDir
      ? [{ Type: 'bind' as const, Source: input.caDir, Target: CA_DIR_IN_SANDBOX, ReadOnly: true }]
      : []),
    ...(input.agentConfigDir
      ? [
          {
            Type: 'bind' as const,
            Source: input.agentConfigDir,
            Target: AGENT_CONFIG_DIR_IN_SANDBOX,
            ReadOnly: true,
          },
        ]
      : []),
    // runc mounts a writable mqueue fs here; cover it so /sandbox and /tmp stay the only writable places.
    {
      Type: 'tmpfs' as const,
      Source: '',
      Target: '/dev/mqueue',
      ReadOnly: true,
      TmpfsOptions: { SizeBytes: 4096, Mode: 0o755 },
    },
  ];
  return {
    name: containerName(input.job.jobId),
    Image: input.image,
    User: FORWARDER_USER,
    Hostname: 'sandbox',
    // The main process (the forwarder, as nobody) cannot enter the user's 0700
    // home, and gVisor refuses to start it there; every exec sets the workspace.
    WorkingDir: '/',
    Env: buildSandboxEnv({ withCa: input.caDir !== undefined, extra: input.extraEnv ?? {} }),
    // The forwarder is the main process: it keeps the container alive between execs and
    // is the only bridge from 127.0.0.1:3128 to the host proxy's socket.
    Entrypoint: ['node'],
    Cmd: [
      `${RUNTIME_DIR_IN_SANDBOX}/forwarder.mjs`,
      `${PROXY_PORT}=${SOCKET_DIR_IN_SANDBOX}/${EGRESS_SOCKET_NAME}`,
    ],
    Labels: sandboxLabels(input.job),
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    OpenStdin: false,
    StopSignal: 'SIGTERM',
    HostConfig: {
      ...(input.runtime === 'runsc' ? { Runtime: 'runsc' } : {}),
      NetworkMode: 'none',
      ReadonlyRootfs: true,
      Privileged: false,
      CapDrop: ['ALL'],
      CapAdd: [],
      SecurityOpt: ['no-new-privileges:true', `seccomp=${JSON.stringify(buildSeccompProfile(input.arch))}`],
      // No /dev/shm at all: one writable place fewer; nothing the agent runs needs it.
      IpcMode: 'none',
      Init: true,
      PidsLimit: r.pids,
      Memory: r.memoryMb * MiB,
      MemorySwap: r.memoryMb * MiB,
      NanoCpus: Math.round(r.cpus * 1e9),
      Ulimits: [
        { Name: 'core', Soft: 0, Hard: 0 },
        { Name: 'nofile', Soft: r.nofile, Hard: r.nofile },
        // RLIMIT_NPROC counts every process of the uid on the host too (no user namespace), so
        // it sits above the pids limit, which is the real bound.
        { Name: 'nproc', Soft: r.pids * 4, Hard: r.pids * 4 },
      ],
      Tmpfs: {
        [SandboxPaths.Home]: tmpfsOptions(r.homeMb, false, user),
        [SandboxPaths.Tmp]: tmpfsOptions(r.tmpMb, input.tmpExec === true),
      },
      Mounts: mounts,
      Binds: [],
      LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '1' } },
      RestartPolicy: { Name: 'no' },
      AutoRemove: false,
    },
  };
}
