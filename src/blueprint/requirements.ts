// Runner resources and Docker version against the blueprint's minimums.
import { statfsSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { UserError } from '../errors.js';
import type { Logger } from '../log.js';
import { parseSize, type BlueprintSpec } from './schema.js';

export interface RunnerFacts {
  cpus: number;
  memoryBytes: number;
  /** Free bytes where Docker keeps images; undefined when unknown. */
  diskFreeBytes?: number;
  /** Engine version, e.g. `20.10.24+dfsg1`; undefined when no engine answered. */
  dockerVersion?: string;
}

const GiB = 1024 ** 3;
const gib = (n: number) => `${(n / GiB).toFixed(1)} GiB`;

/** `20.10.24+dfsg1` >= `20.10`? Compares numeric parts only. */
export function versionAtLeast(actual: string, min: string): boolean {
  const a = actual
    .split(/[^0-9]+/)
    .filter(Boolean)
    .map(Number);
  const m = min.split('.').map(Number);
  for (let i = 0; i < m.length; i++) {
    const x = a[i] ?? 0;
    if (x !== m[i]) return x > m[i]!;
  }
  return true;
}

/** What the runner lacks, one sentence each; empty when it meets every minimum. Pure. */
export function unmetRequirements(req: BlueprintSpec['requirements'], facts: RunnerFacts): string[] {
  const out: string[] = [];
  if (req.min_cpus !== undefined && facts.cpus < req.min_cpus) {
    out.push(`${facts.cpus} CPU(s), the blueprint wants at least ${req.min_cpus}`);
  }
  if (req.min_memory !== undefined && facts.memoryBytes < parseSize(req.min_memory)) {
    out.push(
      `${gib(facts.memoryBytes)} memory, the blueprint wants at least ${gib(parseSize(req.min_memory))}`,
    );
  }
  if (
    req.min_disk !== undefined &&
    facts.diskFreeBytes !== undefined &&
    facts.diskFreeBytes < parseSize(req.min_disk)
  ) {
    out.push(
      `${gib(facts.diskFreeBytes)} free disk for Docker, the blueprint wants at least ${gib(parseSize(req.min_disk))}`,
    );
  }
  if (req.docker) {
    if (facts.dockerVersion === undefined)
      out.push(`no Docker engine answered (needs ${req.docker.min_version} or newer)`);
    else if (!versionAtLeast(facts.dockerVersion, req.docker.min_version)) {
      out.push(`Docker ${facts.dockerVersion}, the blueprint wants ${req.docker.min_version} or newer`);
    }
  }
  return out;
}

/** Warns or fails per the blueprint's `requirements.on_unmet`. */
export function enforceRequirements(spec: BlueprintSpec, facts: RunnerFacts, logger: Logger): string[] {
  const unmet = unmetRequirements(spec.requirements, facts);
  if (unmet.length === 0) return unmet;
  const what = `runner below the minimum of blueprint ${spec.name}@${spec.version}: ${unmet.join('; ')}`;
  if (spec.requirements.on_unmet === 'fail') {
    throw new UserError(what, {
      where: 'blueprint.yaml requirements',
      fix: 'use a larger runner (runs-on), free disk, or upgrade Docker',
    });
  }
  logger.warn(`${what}. The job continues (requirements.on_unmet: warn).`);
  return unmet;
}

/** Facts of this machine; the engine's version and root dir come from the caller's `docker info`. */
export function localRunnerFacts(docker?: { version?: string; rootDir?: string }): RunnerFacts {
  let diskFreeBytes: number | undefined;
  try {
    const st = statfsSync(docker?.rootDir ?? '/');
    diskFreeBytes = st.bavail * st.bsize;
  } catch {
    diskFreeBytes = undefined;
  }
  return {
    cpus: availableParallelism(),
    memoryBytes: totalmem(),
    ...(diskFreeBytes === undefined ? {} : { diskFreeBytes }),
    ...(docker?.version === undefined ? {} : { dockerVersion: docker.version }),
  };
}
