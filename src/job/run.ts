import type Docker from 'dockerode';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { AuditStream, OcsfClass, type AuditSink } from '../audit/events.js';
import type { Redactor } from '../audit/redact.js';
import { AuditWriter } from '../audit/writer.js';
import type { RunnerFacts } from '../blueprint/requirements.js';
import { resolveBlueprint, type ResolvedBlueprint } from '../blueprint/resolve.js';
import { describeError } from '../errors.js';
import type { ImageCache } from '../image/cache.js';
import { ensureImage, type EnsuredImage } from '../image/ensure.js';
import type { JobInputs } from '../inputs.js';
import type { Logger } from '../log.js';
import type { SandboxEngine } from '../sandbox/docker.js';
import { Sandbox, type ExecResult } from '../sandbox/lifecycle.js';
import { hostSpecInput, openHostSide, type HostSide } from '../sandbox/host-side.js';
import { resourcesFromBlueprint } from '../sandbox/resources.js';
import { Capture } from './capture.js';
import { collectChanges, type Changes } from './changes.js';
import { Phases } from './phases.js';
import type { AgentEnvelope, EgressService, GatewayService, JobPorts, LoadedJobPolicy } from './ports.js';
import type { JobResult } from './result.js';
import { decideStatus } from './status.js';
import { checkWorkspace } from './workspace.js';

export interface JobDeps {
  ports: JobPorts;
  logger: Logger;
  docker: Docker;
  engine: SandboxEngine;
  imageCache: ImageCache;
  redactor: Redactor;
  signal: AbortSignal;
  jobId: string;
  runId: string;
  auditDir: string;
  blueprintsDir?: string;
  runnerFacts?: RunnerFacts;
}

/** Seconds OpenClaw gets to end by itself (exit 2) before the sandbox is killed. */
const AGENT_GRACE_SECONDS = 20;
const BUDGET_POLL_MS = 500;

/** A lost connection to the engine (stopped, restarted, socket gone), as opposed to an error it reported. */
export function engineGone(err: unknown): boolean {
  const e = err as { code?: unknown; statusCode?: unknown; message?: unknown; syscall?: unknown };
  if (typeof e?.statusCode === 'number') return false;
  return (
    (e?.code === 'ENOENT' && e.syscall === 'connect') ||
    (typeof e?.code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'EPIPE'].includes(e.code)) ||
    (typeof e?.message === 'string' && /socket hang up/.test(e.message))
  );
}

function closeStream(s: Writable): Promise<void> {
  return new Promise((resolve) => s.end(resolve));
}

/**
 * The whole job: blueprint → image → policy → gateway and egress proxy →
 * sandbox → agent → changes → teardown → result. Never throws for a failed
 * job: every failure becomes a status and a reason, and the audit log is
 * complete (manifest written) when this returns.
 */
export async function runJob(inputs: JobInputs, deps: JobDeps): Promise<JobResult> {
  const { ports, logger, jobId } = deps;
  const writer = new AuditWriter(deps.auditDir, jobId, deps.redactor);
  const audit: AuditSink = writer;
  const phases = new Phases(logger, audit);
  const lifecycle = (activity: string, fields: Record<string, unknown> = {}) =>
    audit.emit(AuditStream.Lifecycle, { ...OcsfClass.ProcessActivity, activity, job: jobId, ...fields });

  lifecycle('job_start', { run: deps.runId, workspace: inputs.workspace });
  audit.emit(AuditStream.Config, {
    ...OcsfClass.DeviceConfigState,
    activity: 'inputs',
    blueprint: inputs.blueprint,
    provider: inputs.provider ?? null,
    model: inputs.model ?? null,
    enforcement: inputs.enforcement,
    policy: inputs.policy,
    allow_hosts: inputs.allowHosts,
    budgets: inputs.budgets,
    timeout_minutes: inputs.timeoutMinutes,
    workspace_access: inputs.workspaceAccess,
    // Which keys were given, never their values.
    keys: Object.keys(inputs.keys),
  });

  let blueprint: ResolvedBlueprint | undefined;
  let image: EnsuredImage | undefined;
  let policy: LoadedJobPolicy | undefined;
  let gateway: GatewayService | undefined;
  let host: HostSide<EgressService> | undefined;
  let sandbox: Sandbox | undefined;
  let agentDir: string | undefined;
  let agent: ExecResult | undefined;
  let envelope: AgentEnvelope | undefined;
  let changes: Changes | undefined;
  let patchPath: string | undefined;
  let error: string | undefined;

  try {
    checkWorkspace(inputs.workspace, process.env, inputs.workspaceAccess);
    blueprint = await phases.run('blueprint', 'Blueprint: resolve and verify', () =>
      resolveBlueprint({
        ref: inputs.blueprint,
        ...(inputs.blueprintDigest ? { digest: inputs.blueprintDigest } : {}),
        logger,
        cwd: inputs.workspace,
        ...(deps.blueprintsDir ? { blueprintsDir: deps.blueprintsDir } : {}),
        ...(deps.runnerFacts ? { runner: deps.runnerFacts } : {}),
      }),
    );
    const bp = blueprint;
    audit.emit(AuditStream.Config, {
      ...OcsfClass.DeviceConfigState,
      activity: 'blueprint',
      name: bp.name,
      version: bp.version,
      source: bp.source,
      digest: bp.digest,
      platform: bp.platform,
      unmet_requirements: bp.unmet,
    });

    image = await phases.run('image', 'Image: use, restore, pull or build', () =>
      ensureImage({ blueprint: bp, docker: deps.docker, cache: deps.imageCache, logger, audit }),
    );

    policy = await phases.run('policy', 'Policy: load and compile', () =>
      ports.loadPolicy(inputs, bp, logger),
    );
    const pol = policy;
    for (const w of pol.warnings) logger.warn(w, { title: 'nemoclaw policy' });
    audit.emit(AuditStream.Config, {
      ...OcsfClass.DeviceConfigState,
      activity: 'policy',
      digest: pol.digest,
      sources: pol.sources,
      enforcement: inputs.enforcement,
    });

    await phases.run('services', 'Gateway and egress proxy: start', async () => {
      gateway = await ports.startGateway(inputs, bp, { audit, redactor: deps.redactor, logger });
      host = await openHostSide((socketPath) =>
        ports.startEgress(socketPath, pol, gateway!, { audit, logger }),
      );
      agentDir = await mkdtemp(join(tmpdir(), 'nemoclaw-agent-'));
      for (const [name, content] of Object.entries(ports.agentConfigFiles(gateway, inputs))) {
        await writeFile(join(agentDir, name), content, { mode: 0o644 });
      }
      await chmod(agentDir, 0o755);
    });

    const hostParts = await hostSpecInput(host!, {
      path: inputs.workspace,
      readOnly: inputs.workspaceAccess === 'read-only' || pol.workspaceReadOnly,
    });
    sandbox = await phases.run('sandbox', 'Sandbox: start', () =>
      Sandbox.start(
        { engine: deps.engine, audit, logger },
        {
          image: image!.tag,
          job: { jobId, runId: deps.runId, blueprint: `${bp.name}@${bp.version}`, createdAt: new Date() },
          resources: resourcesFromBlueprint(bp.spec.resources),
          ...hostParts,
          agentConfigDir: agentDir!,
          runtime: inputs.sandboxRuntime,
        },
        deps.signal,
      ),
    );

    const timeoutSeconds = Math.round(inputs.timeoutMinutes * 60);
    await mkdir(deps.auditDir, { recursive: true });
    const stdoutFile = createWriteStream(join(deps.auditDir, 'agent-result.json'));
    const stderrFile = createWriteStream(join(deps.auditDir, 'agent.log'));
    const stdout = new Capture(16 * 1024 * 1024, stdoutFile);
    const box = sandbox;
    // A spent budget ends the run at once: the agent would only retry refused calls.
    const stopAgent = new AbortController();
    const onCancel = () => stopAgent.abort();
    deps.signal.addEventListener('abort', onCancel, { once: true });
    const budgetWatch = setInterval(() => {
      if (gateway!.budgetExceeded()) {
        logger.warn('Inference budget used up: stopping the agent.');
        stopAgent.abort();
      }
    }, BUDGET_POLL_MS);
    try {
      agent = await phases.run('agent', 'Agent: openclaw agent exec', () =>
        box.exec(
          ports.agentCommand(inputs.task, gateway!, Math.max(30, timeoutSeconds - AGENT_GRACE_SECONDS)),
          {
            stdout,
            stderr: stderrFile,
            timeoutMs: timeoutSeconds * 1000,
            signal: stopAgent.signal,
          },
        ),
      );
    } finally {
      clearInterval(budgetWatch);
      deps.signal.removeEventListener('abort', onCancel);
      await closeStream(stdoutFile);
      await closeStream(stderrFile);
    }
    envelope = ports.parseEnvelope(stdout.text());
    if (agent.oomKilled) logger.warn('The agent was killed by the out-of-memory killer inside the sandbox.');

    if (
      !agent.timedOut &&
      !agent.aborted &&
      inputs.workspaceAccess === 'read-write' &&
      !pol.workspaceReadOnly
    ) {
      changes = await phases.run('changes', 'Workspace: collect changes', () => collectChanges(box));
      if (changes.patch) {
        patchPath = join(deps.auditDir, 'changes.patch');
        await writeFile(patchPath, changes.patch);
      }
    }
  } catch (err) {
    error = engineGone(err)
      ? `The Docker engine stopped answering during the ${phases.current ?? 'job'} phase (${describeError(err)}). ` +
        `Anything left of this job is removed by label by the post step, or by \`nemoclaw stop ${jobId}\`.`
      : describeError(err);
    logger.error(error);
    lifecycle('job_error', { message: error });
  } finally {
    await phases.run('teardown', 'Teardown', async () => {
      await sandbox?.close();
      await host?.close((e) => logger.warn(`egress proxy: ${describeError(e)}`));
      await gateway?.close().catch((e: unknown) => logger.warn(`gateway: ${describeError(e)}`));
      if (agentDir) await rm(agentDir, { recursive: true, force: true });
    });
  }

  const report = host?.egress.report() ?? { hosts: [], denials: 0, suggestedPatch: undefined };
  const usage = gateway?.usage() ?? { requests: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, byModel: [] };
  const { status, reason } = decideStatus({
    agentExitCode: agent?.exitCode ?? null,
    agentOk: envelope?.ok ?? false,
    timedOut: agent?.timedOut ?? false,
    cancelled: deps.signal.aborted,
    budgetExceeded: gateway?.budgetExceeded() ?? false,
    denials: report.denials,
    enforcement: inputs.enforcement,
    error,
  });
  const result: JobResult = {
    jobId,
    status,
    reason: envelope?.error && status === 'failure' && !error ? `${reason} ${envelope.error}` : reason,
    finalMessage: envelope?.final ?? '',
    changedFiles: changes?.files ?? [],
    patchPath,
    egress: { hosts: report.hosts, suggestedPatch: report.suggestedPatch },
    inference: usage,
    phases: phases.timings,
    blueprint: blueprint
      ? { name: blueprint.name, version: blueprint.version, digest: blueprint.digest }
      : undefined,
    image: image ? { id: image.imageId, source: image.source, cacheHit: image.cacheHit } : undefined,
    policyFiles: policy?.sources ?? inputs.policy,
    enforcement: inputs.enforcement,
    sandboxRuntime: inputs.sandboxRuntime,
    auditDir: deps.auditDir,
  };
  lifecycle('job_end', { status, reason: result.reason, phases: phases.timings });
  writer.finish();
  return result;
}
