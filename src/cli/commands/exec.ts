// `nemoclaw exec -- CMD...`: CMD in a fresh sandbox with the hardening, proxy
// and forwarder of an agent run; streams its output, exits with its code.
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { nullAuditSink, type AuditSink } from '../../audit/events.js';
import { AuditWriter } from '../../audit/writer.js';
import { UserError } from '../../errors.js';
import { abortOnSignals } from '../../job/context.js';
import Docker from 'dockerode';
import { resolveBlueprint, type ResolvedBlueprint } from '../../blueprint/resolve.js';
import type { Logger } from '../../log.js';
import { LocalImageCache } from '../../image/cache.js';
import { ensureImage } from '../../image/ensure.js';
import { DockerodeEngine } from '../../sandbox/docker.js';
import type { EgressProxy } from '../../egress/proxy.js';
import { loadPolicies } from '../../policy/load.js';
import { DENY_ALL_POLICY, policyEgress } from '../../sandbox/egress-port.js';
import type { SandboxRuntime } from '../../sandbox/gvisor.js';
import { resourcesFromBlueprint } from '../../sandbox/resources.js';
import { exitCodeOf, runInSandbox } from '../../sandbox/run.js';
import { DEFAULT_RESOURCES } from '../../sandbox/spec.js';
import { terminalLogger } from '../logger.js';
import type { RegisterCommand } from './index.js';

export const DEFAULT_EXEC_IMAGE = 'nemoclaw/openclaw-sandbox:dev';

interface ExecFlags {
  blueprint?: string;
  image?: string;
  policy?: string;
  workspace: string;
  auditDir?: string;
  timeout?: string;
  readOnly?: boolean;
  tmpExec?: boolean;
  sandboxRuntime?: SandboxRuntime;
  verbose?: boolean;
}

function parseTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const s = Number(value);
  if (!Number.isFinite(s) || s <= 0) {
    throw new UserError(`timeout must be a positive number of seconds, got "${value}"`, {
      where: 'option --timeout',
      fix: 'pass e.g. --timeout 600',
    });
  }
  return Math.round(s * 1000);
}

export const registerExec: RegisterCommand = (program: Command) => {
  program
    .command('exec')
    .description(
      'Run a command in a fresh sandbox (same hardening and proxy as an agent run) and exit with its code',
    )
    .addOption(
      new Option(
        '--blueprint <ref>',
        'blueprint (name@version, path, URL) whose verified resources the sandbox uses',
      ),
    )
    .addOption(
      new Option(
        '--image <image>',
        `sandbox image (default: the blueprint's verified image, else ${DEFAULT_EXEC_IMAGE})`,
      ),
    )
    .addOption(
      new Option(
        '--policy <file>',
        "egress policy file (default: the blueprint's policy, else deny every request)",
      ),
    )
    .addOption(new Option('--workspace <dir>', 'directory mounted at /sandbox/workspace').default('.'))
    .addOption(new Option('--read-only', 'mount the workspace read-only (review jobs)'))
    .addOption(new Option('--tmp-exec', 'allow executing files from /tmp'))
    .addOption(
      new Option('--sandbox-runtime <runtime>', 'runsc runs the sandbox under gVisor').choices([
        'runc',
        'runsc',
      ]),
    )
    .addOption(new Option('--audit-dir <dir>', 'write the audit log (JSON Lines + manifest) here'))
    .addOption(new Option('--timeout <seconds>', 'kill the command and the sandbox after this long'))
    .addOption(new Option('-v, --verbose', 'log each phase'))
    .argument('<cmd...>', 'the command and its arguments (after --)')
    .action(async (cmd: string[], flags: ExecFlags) => {
      process.exitCode = await execCommand(cmd, flags);
    });
};

async function verifiedImage(
  blueprint: ResolvedBlueprint,
  logger: Logger,
  audit: AuditSink,
): Promise<string> {
  const cache = new LocalImageCache();
  return (await ensureImage({ blueprint, docker: new Docker(), cache, logger, audit })).tag;
}

export async function execCommand(cmd: string[], flags: ExecFlags): Promise<number> {
  const timeoutMs = parseTimeout(flags.timeout);
  const logger = terminalLogger({ verbose: flags.verbose === true });
  const jobId = `exec-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const writer = flags.auditDir ? new AuditWriter(resolve(flags.auditDir), jobId) : undefined;
  const audit: AuditSink = writer ?? nullAuditSink;
  const cancel = abortOnSignals((sig) => logger.warn(`${sig}: ending the sandbox`));
  try {
    // The blueprint (digest-verified) gives the limits and, unless --image overrides it, the
    // verified image (present, cached, pulled or built: src/image).
    const blueprint = flags.blueprint ? await resolveBlueprint({ ref: flags.blueprint, logger }) : undefined;
    const image =
      flags.image ?? (blueprint ? await verifiedImage(blueprint, logger, audit) : DEFAULT_EXEC_IMAGE);
    // --policy, else the blueprint's default policy, else nothing is allowed.
    const policyRefs = flags.policy ? [resolve(flags.policy)] : blueprint ? [blueprint.policyPath] : [];
    const policy = policyRefs.length > 0 ? loadPolicies(policyRefs) : undefined;
    for (const w of policy?.warnings ?? []) logger.warn(w);
    let proxy: EgressProxy | undefined;
    const startEgress = policyEgress(
      { policy: policy?.policy ?? DENY_ALL_POLICY, audit, logger, jobName: jobId },
      (p) => (proxy = p),
    );
    const blueprintLabel = blueprint ? `${blueprint.name}@${blueprint.version} ${blueprint.digest}` : image;
    const result = await runInSandbox(
      { engine: new DockerodeEngine(), audit, logger },
      {
        image,
        job: { jobId, runId: 'cli', blueprint: blueprintLabel, createdAt: new Date() },
        resources: blueprint ? resourcesFromBlueprint(blueprint.spec.resources) : DEFAULT_RESOURCES,
        workspace: resolve(flags.workspace),
        readOnlyWorkspace: flags.readOnly === true,
        tmpExec: flags.tmpExec === true,
        ...(flags.sandboxRuntime ? { runtime: flags.sandboxRuntime } : {}),
        startEgress,
        cmd,
        stdout: process.stdout,
        stderr: process.stderr,
        ...(timeoutMs ? { timeoutMs } : {}),
        signal: cancel.signal,
      },
    );
    const denied = proxy?.summary().deniedHosts ?? [];
    if (denied.length > 0)
      logger.warn(`egress denied: ${denied.join(', ')}${policy ? '' : ' (no policy: everything is denied)'}`);
    if (result.timedOut) logger.error(`command timed out after ${flags.timeout}s; the sandbox was killed`);
    if (result.oomKilled)
      logger.error('command was killed by the out-of-memory killer (sandbox memory limit)');
    return exitCodeOf(result);
  } finally {
    cancel.dispose();
    writer?.finish();
  }
}
