// gVisor (`sandbox-runtime: runsc`): the sandbox's system calls go to a
// user-space kernel instead of the host's. It only works with the flags below,
// so the engine's registration is checked before a container is created and a
// wrong one is refused with the exact fix, not a cryptic start failure.
import type { RegisteredRuntimes } from './docker.js';

export type SandboxRuntime = 'runc' | 'runsc';

/**
 * What `runsc` needs for this sandbox: ptrace works without KVM (CI runners);
 * `--network=none` matches the container's NetworkMode; `--host-uds=open` lets
 * the forwarder reach the egress proxy's bind-mounted Unix socket (the only
 * way out). Not `--oci-seccomp`: with it, runsc (2022.12, Debian's) applies
 * the container's profile inside gVisor in a way that makes Node's thread
 * creation fail; gVisor's own kernel and its host-side filters stand in its place.
 */
export const GVISOR_RUNTIME_ARGS = ['--platform=ptrace', '--network=none', '--host-uds=open'];

export const GVISOR_DAEMON_JSON = JSON.stringify({
  runtimes: { runsc: { path: '/usr/bin/runsc', runtimeArgs: GVISOR_RUNTIME_ARGS } },
});

/** Why the engine cannot run this runtime for a sandbox, or undefined when it can. */
export function runtimeProblem(runtime: SandboxRuntime, registered: RegisteredRuntimes): string | undefined {
  if (runtime === 'runc') return undefined;
  const r = registered.runsc;
  if (!r) return 'the Docker engine has no runtime "runsc" registered';
  const flag = (name: string) => r.args.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  const hostUds = flag('host-uds')?.split('=')[1];
  if (hostUds !== 'open' && hostUds !== 'all') {
    return 'runsc is registered without --host-uds=open, so the sandbox could not reach its egress proxy';
  }
  if (flag('network') !== '--network=none') {
    return 'runsc is registered without --network=none, which a sandbox without a network needs';
  }
  return undefined;
}

/**
 * daemon.json with runsc registered as the sandbox needs it, everything else
 * kept as it was; `changed` is false when it already was.
 */
export function withGvisorRuntime(
  config: Record<string, unknown>,
  runscPath: string,
): { config: Record<string, unknown>; changed: boolean } {
  const runtimes = (config.runtimes ?? {}) as Record<string, unknown>;
  const wanted = { path: runscPath, runtimeArgs: GVISOR_RUNTIME_ARGS };
  if (JSON.stringify(runtimes.runsc) === JSON.stringify(wanted)) return { config, changed: false };
  return { config: { ...config, runtimes: { ...runtimes, runsc: wanted } }, changed: true };
}
