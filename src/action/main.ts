import * as core from '@actions/core';
import Docker from 'dockerode';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Redactor } from '../audit/redact.js';
import { Output, State } from '../constants.js';
import { describeError } from '../errors.js';
import { ActionsImageCache } from '../image/actions-cache.js';
import { parseInputs, type JobInputs } from '../inputs.js';
import { createPorts } from '../job/adapters.js';
import { abortOnSignals, newJobId, runnerFacts } from '../job/context.js';
import { deniedHosts, type JobResult } from '../job/result.js';
import { runJob } from '../job/run.js';
import { jobOutputs } from '../report/outputs.js';
import { renderSummary } from '../report/summary.js';
import { DockerodeEngine } from '../sandbox/docker.js';
import { actionsLogger } from './logger.js';

/** Annotations: a warning per denied host, pointing at the policy file; an error for enforce-mode violations. */
function annotate(result: JobResult): void {
  const file = result.policyFiles.find((p) => p.includes('/') || p.endsWith('.yaml'));
  for (const host of deniedHosts(result)) {
    const verb = result.enforcement === 'enforce' ? 'blocked' : 'would be blocked (audit mode)';
    core.warning(
      `Egress to ${host} was ${verb}: no policy rule allows it. See the job summary for a suggested policy addition.`,
      {
        title: 'nemoclaw: undeclared host',
        ...(file ? { file } : {}),
      },
    );
  }
}

/** The action's main step: inputs → job → outputs, summary, annotations. */
export async function runMain(): Promise<void> {
  const redactor = new Redactor();
  const logger = actionsLogger(redactor);
  let inputs: JobInputs;
  try {
    inputs = parseInputs((name) => core.getInput(name), process.env);
  } catch (err) {
    core.setFailed(describeError(err));
    return;
  }
  for (const key of Object.values(inputs.keys)) {
    core.setSecret(key);
    redactor.add(key);
  }

  // Saved before anything starts, so the post step can clean up and upload whatever happens here.
  const jobId = newJobId();
  const auditDir = join(process.env.RUNNER_TEMP ?? tmpdir(), `nemoclaw-audit-${jobId}`);
  core.saveState(State.JobId, jobId);
  core.saveState(State.AuditDir, auditDir);
  core.saveState(State.UploadAudit, String(inputs.uploadAudit));
  core.saveState(State.AuditArtifactName, inputs.auditArtifactName);

  const cancel = abortOnSignals();
  try {
    const docker = new Docker();
    const result = await runJob(inputs, {
      ports: createPorts(),
      logger,
      docker,
      engine: new DockerodeEngine(docker),
      imageCache: new ActionsImageCache(logger),
      redactor,
      signal: cancel.signal,
      jobId,
      runId: process.env.GITHUB_RUN_ID ?? 'local',
      auditDir,
      runnerFacts: await runnerFacts(docker),
    });
    for (const [name, value] of Object.entries(jobOutputs(result))) core.setOutput(name, value);
    annotate(result);
    await core.summary.addRaw(renderSummary(result)).write();
    if (result.status !== 'success') core.setFailed(`${result.status}: ${result.reason}`);
    else core.info(`nemoclaw: ${result.reason}`);
  } catch (err) {
    core.setOutput(Output.Status, 'failure');
    core.setOutput(Output.AuditPath, auditDir);
    core.setFailed(describeError(err));
  } finally {
    cancel.dispose();
  }
}
