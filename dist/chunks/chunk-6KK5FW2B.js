import { createRequire as __nemoclawCreateRequire } from 'node:module'; const require = __nemoclawCreateRequire(import.meta.url);

// src/sandbox/cleanup.ts
function staleContainers(list, nowMs, maxAgeMs) {
  return list.filter((c) => {
    const created = Number(c.labels["io.nemoclaw.created" /* Created */]);
    return !Number.isFinite(created) || nowMs - created * 1e3 > maxAgeMs;
  });
}
async function removeAll(engine, list, logger) {
  const removed = [];
  for (const c of list) {
    try {
      await engine.remove(c.id);
      removed.push(c.name || c.id);
    } catch (err) {
      logger.warn(`cleanup: could not remove container ${c.name || c.id}: ${err.message}`);
    }
  }
  return removed;
}
async function cleanupJob(engine, jobId, logger) {
  const list = await engine.list({ ["io.nemoclaw.managed" /* Managed */]: "true", ["io.nemoclaw.job" /* Job */]: jobId });
  return removeAll(engine, list, logger);
}
async function cleanupStale(engine, maxAgeMs, logger, nowMs = Date.now(), scope = {}) {
  const list = await engine.list({ ...scope, ["io.nemoclaw.managed" /* Managed */]: "true" });
  return removeAll(engine, staleContainers(list, nowMs, maxAgeMs), logger);
}

export {
  cleanupJob,
  cleanupStale
};
