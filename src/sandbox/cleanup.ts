// Removes what jobs left behind, found by label only: this job's containers in
// the post step, and containers of crashed jobs older than a threshold.
import { Label } from '../constants.js';
import type { Logger } from '../log.js';
import type { ContainerSummary, SandboxEngine } from './docker.js';

/** Containers whose Label.Created is older than `maxAgeMs` at `nowMs` (unparseable ones count as stale). */
export function staleContainers(
  list: ContainerSummary[],
  nowMs: number,
  maxAgeMs: number,
): ContainerSummary[] {
  return list.filter((c) => {
    const created = Number(c.labels[Label.Created]);
    return !Number.isFinite(created) || nowMs - created * 1000 > maxAgeMs;
  });
}

async function removeAll(engine: SandboxEngine, list: ContainerSummary[], logger: Logger): Promise<string[]> {
  const removed: string[] = [];
  for (const c of list) {
    try {
      await engine.remove(c.id);
      removed.push(c.name || c.id);
    } catch (err) {
      logger.warn(`cleanup: could not remove container ${c.name || c.id}: ${(err as Error).message}`);
    }
  }
  return removed;
}

/** Removes every container labelled with this job id; returns their names. */
export async function cleanupJob(engine: SandboxEngine, jobId: string, logger: Logger): Promise<string[]> {
  const list = await engine.list({ [Label.Managed]: 'true', [Label.Job]: jobId });
  return removeAll(engine, list, logger);
}

/**
 * Removes managed containers of any job created more than `maxAgeMs` ago
 * (crashed runs). `scope` narrows it to more labels (tests use their own job,
 * so they never remove a concurrent job's sandbox).
 */
export async function cleanupStale(
  engine: SandboxEngine,
  maxAgeMs: number,
  logger: Logger,
  nowMs: number = Date.now(),
  scope: Record<string, string> = {},
): Promise<string[]> {
  const list = await engine.list({ ...scope, [Label.Managed]: 'true' });
  return removeAll(engine, staleContainers(list, nowMs, maxAgeMs), logger);
}
