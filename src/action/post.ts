import * as core from '@actions/core';
import { AuditStream, OcsfClass } from '../audit/events.js';
import { uploadAuditArtifact } from '../audit/upload.js';
import { AuditWriter } from '../audit/writer.js';
import { State } from '../constants.js';
import { describeError } from '../errors.js';
import { cleanupJob, cleanupStale } from '../sandbox/cleanup.js';
import { DockerodeEngine } from '../sandbox/docker.js';
import { actionsLogger } from './logger.js';

/** Sandboxes of crashed jobs older than this are removed by any later job's post step. */
const STALE_AFTER_MS = 6 * 60 * 60 * 1000;

/**
 * The post step (post-if: always()): remove whatever of this job still runs,
 * seal the audit log and upload it — after success, failure, timeout or
 * cancel alike. It only warns: the job's outcome was decided in main.
 */
export async function runPost(): Promise<void> {
  const logger = actionsLogger();
  const jobId = core.getState(State.JobId);
  const auditDir = core.getState(State.AuditDir);
  if (!jobId || !auditDir) {
    core.info('nemoclaw: main did not start a job; nothing to clean up.');
    return;
  }
  const writer = new AuditWriter(auditDir, jobId);
  try {
    const engine = new DockerodeEngine();
    const removed = await cleanupJob(engine, jobId, logger);
    const stale = await cleanupStale(engine, STALE_AFTER_MS, logger);
    writer.emit(AuditStream.Lifecycle, {
      ...OcsfClass.ProcessActivity,
      activity: 'post_cleanup',
      job: jobId,
      removed,
      removed_stale: stale,
    });
    if (removed.length > 0)
      logger.info(`nemoclaw: removed ${removed.length} leftover sandbox(es) of this job.`);
  } catch (err) {
    const message = `cleanup failed: ${describeError(err)}`;
    writer.emit(AuditStream.Lifecycle, {
      ...OcsfClass.ProcessActivity,
      activity: 'post_cleanup',
      job: jobId,
      error: message,
    });
    core.warning(`nemoclaw: ${message}`);
  }
  writer.finish();
  if (core.getState(State.UploadAudit) !== 'false') {
    await uploadAuditArtifact(auditDir, core.getState(State.AuditArtifactName) || 'nemoclaw-audit', logger);
  }
}
