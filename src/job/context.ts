import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { localRunnerFacts, type RunnerFacts } from '../blueprint/requirements.js';

// Small pieces shared by the action and the CLI around runJob.

/** A short id for this job: labels, audit file names, the artifact. */
export function newJobId(): string {
  return `nc-${randomBytes(6).toString('hex')}`;
}

/** CPU, memory, disk and the engine's version, for the blueprint's requirements check. */
export async function runnerFacts(docker: Docker): Promise<RunnerFacts> {
  try {
    const [version, info] = await Promise.all([
      docker.version(),
      docker.info() as Promise<{ DockerRootDir?: string }>,
    ]);
    return localRunnerFacts({
      version: version.Version,
      ...(info.DockerRootDir ? { rootDir: info.DockerRootDir } : {}),
    });
  } catch {
    return localRunnerFacts();
  }
}

/** Ends the job cleanly on SIGINT/SIGTERM (a cancelled workflow, Ctrl-C); `notify` hears which one. */
export function abortOnSignals(notify?: (sig: NodeJS.Signals) => void): {
  signal: AbortSignal;
  dispose(): void;
} {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    notify?.(sig);
    controller.abort(new Error('cancelled'));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
