import type { Command } from 'commander';
import Docker from 'dockerode';
import { resolve } from 'node:path';
import { Redactor } from '../../audit/redact.js';
import { Input } from '../../constants.js';
import { defaultLocalCacheDir, LocalImageCache } from '../../image/cache.js';
import { parseInputs } from '../../inputs.js';
import { createPorts } from '../../job/adapters.js';
import { abortOnSignals, newJobId, runnerFacts } from '../../job/context.js';
import type { JobResult } from '../../job/result.js';
import { runJob } from '../../job/run.js';
import { renderText } from '../../report/text.js';
import { DockerodeEngine } from '../../sandbox/docker.js';
import { terminalLogger } from '../logger.js';

interface RunFlags {
  task?: string;
  taskFile?: string;
  workspace: string;
  blueprint?: string;
  blueprintDigest?: string;
  policy: string[];
  allowHost: string[];
  enforcement?: string;
  provider?: string;
  model?: string;
  baseUrl?: string;
  fallbackProvider?: string;
  fallbackModel?: string;
  fallbackBaseUrl?: string;
  replayScript?: string;
  recordPrompts?: boolean;
  sandboxRuntime?: string;
  maxRequests?: string;
  maxTokens?: string;
  maxCostUsd?: string;
  timeoutMinutes?: string;
  readOnly?: boolean;
  auditDir?: string;
  json?: boolean;
  verbose?: boolean;
}

/** Exit codes of `nemoclaw run`, one per status, so scripts can tell them apart. */
export const RUN_EXIT_CODES: Record<JobResult['status'], number> = {
  success: 0,
  failure: 1,
  'policy-violation': 3,
  'budget-exceeded': 4,
  timeout: 124,
};

const collect = (value: string, previous: string[]) => [...previous, value];

/** The CLI's flags as the action's inputs: one parser, one set of errors. Provider keys come from the environment. */
export function flagsAsInputs(flags: RunFlags, env: NodeJS.ProcessEnv): (name: Input) => string {
  const values: Partial<Record<Input, string | undefined>> = {
    [Input.Task]: flags.task,
    [Input.TaskFile]: flags.taskFile,
    [Input.Workspace]: resolve(flags.workspace),
    [Input.Blueprint]: flags.blueprint,
    [Input.BlueprintDigest]: flags.blueprintDigest,
    [Input.Policy]: flags.policy.map((p) => (/^[a-z0-9-]+$/.test(p) ? p : resolve(p))).join('\n'),
    [Input.AllowHosts]: flags.allowHost.join('\n'),
    [Input.Enforcement]: flags.enforcement,
    [Input.Provider]: flags.provider,
    [Input.Model]: flags.model,
    [Input.BaseUrl]: flags.baseUrl,
    [Input.FallbackProvider]: flags.fallbackProvider,
    [Input.FallbackModel]: flags.fallbackModel,
    [Input.FallbackBaseUrl]: flags.fallbackBaseUrl,
    [Input.RecordPrompts]: flags.recordPrompts ? 'true' : undefined,
    [Input.SandboxRuntime]: flags.sandboxRuntime,
    [Input.ReplayScript]: flags.replayScript ? resolve(flags.replayScript) : undefined,
    [Input.MaxRequests]: flags.maxRequests,
    [Input.MaxTokens]: flags.maxTokens,
    [Input.MaxCostUsd]: flags.maxCostUsd,
    [Input.TimeoutMinutes]: flags.timeoutMinutes,
    [Input.WorkspaceAccess]: flags.readOnly ? 'read-only' : undefined,
    [Input.OpenaiApiKey]: env.OPENAI_API_KEY,
    [Input.AnthropicApiKey]: env.ANTHROPIC_API_KEY,
    [Input.NvidiaApiKey]: env.NVIDIA_API_KEY,
  };
  return (name) => values[name] ?? '';
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('Run the agent on a task in a sandbox: the same job as the GitHub Action.')
    .option('--task <text>', 'what the agent should do')
    .option('--task-file <file>', 'read the task from a file')
    .option('--workspace <dir>', 'the repository the agent works on', '.')
    .option(
      '--blueprint <ref>',
      'name@version, name@latest, a directory, or an https URL (default openclaw@latest)',
    )
    .option('--blueprint-digest <sha256:…>', 'pin the blueprint to this digest')
    .option('--policy <file|preset>', 'egress policy file or preset (repeatable)', collect, [])
    .option('--allow-host <host[:port]>', 'allow one more host for this run (repeatable)', collect, [])
    .option('--enforcement <mode>', 'enforce (block) or audit (log what would be blocked)')
    .option('--provider <name>', 'openai, anthropic, nvidia, openai-compatible, ollama, vllm, replay')
    .option('--model <name>', 'model at the provider')
    .option('--base-url <url>', 'endpoint for openai-compatible, ollama and vllm')
    .option('--fallback-provider <name>', 'provider the gateway fails over to when the first keeps failing')
    .option('--fallback-model <name>', 'model at the fallback provider')
    .option('--fallback-base-url <url>', 'endpoint of an openai-compatible fallback')
    .option('--replay-script <file>', 'script for the replay provider (offline runs)')
    .option('--record-prompts', 'write inference request bodies to prompts.jsonl in the audit log')
    .option('--max-requests <n>', 'inference request budget')
    .option('--max-tokens <n>', 'inference token budget (input + output)')
    .option('--max-cost-usd <usd>', 'inference cost budget')
    .option('--timeout-minutes <n>', 'stop the agent after this long (default 30)')
    .option('--read-only', 'mount the workspace read-only (review jobs)')
    .option(
      '--sandbox-runtime <runc|runsc>',
      'runsc runs the sandbox under gVisor (registered in the engine)',
    )
    .option('--audit-dir <dir>', 'where to write the audit log (default ./nemoclaw-audit/<job>)')
    .option('--json', 'print the result as JSON on stdout')
    .option('-v, --verbose', 'more detail while running')
    .action(async (flags: RunFlags) => {
      process.exitCode = await runCommand(flags);
    });
}

export async function runCommand(flags: RunFlags, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const redactor = new Redactor();
  const logger = terminalLogger({ verbose: flags.verbose === true, redactor });
  const inputs = parseInputs(flagsAsInputs(flags, env), {}, process.cwd());
  for (const key of Object.values(inputs.keys)) redactor.add(key);
  const jobId = newJobId();
  const auditDir = resolve(flags.auditDir ?? `nemoclaw-audit/${jobId}`);
  const docker = new Docker();
  const cancel = abortOnSignals();
  try {
    const result = await runJob(inputs, {
      ports: createPorts(),
      logger,
      docker,
      engine: new DockerodeEngine(docker),
      imageCache: new LocalImageCache(defaultLocalCacheDir(env)),
      redactor,
      signal: cancel.signal,
      jobId,
      runId: 'cli',
      auditDir,
      runnerFacts: await runnerFacts(docker),
    });
    process.stderr.write(renderText(result));
    if (flags.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return RUN_EXIT_CODES[result.status];
  } finally {
    cancel.dispose();
  }
}
