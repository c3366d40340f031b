import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { Input } from './constants.js';
import { UserError } from './errors.js';
import { assetPath } from './paths.js';
import type { SandboxRuntime } from './sandbox/gvisor.js';

// Every input of the action (and every flag of `nemoclaw run`) goes through
// this one parser, once; the job code only ever sees a JobInputs.

const positiveInt = (input: Input) =>
  z
    .string()
    .regex(/^\d+$/, { message: `input "${input}" must be a whole number` })
    .transform(Number)
    .refine((n) => n > 0, { message: `input "${input}" must be greater than 0` });

const positiveNumber = (input: Input) =>
  z
    .string()
    .regex(/^\d+(\.\d+)?$/, { message: `input "${input}" must be a number such as 2 or 0.50` })
    .transform(Number)
    .refine((n) => n > 0, { message: `input "${input}" must be greater than 0` });

const bool = (input: Input) =>
  z
    .string()
    .transform((s) => s.trim().toLowerCase())
    .refine((s) => ['true', 'false'].includes(s), { message: `input "${input}" must be true or false` })
    .transform((s) => s === 'true');

/** Lines or commas, trimmed, empty and `#` comments dropped. */
const list = z.string().transform((s) =>
  s
    .split(/[\n,]/)
    .map((x) => x.trim())
    .filter((x) => x.length > 0 && !x.startsWith('#')),
);

export const Provider = z.enum([
  'openai',
  'anthropic',
  'nvidia',
  'openai-compatible',
  'ollama',
  'vllm',
  'replay',
]);
export type Provider = z.infer<typeof Provider>;

export interface JobInputs {
  task: string;
  blueprint: string;
  blueprintDigest: string | undefined;
  policy: string[];
  allowHosts: string[];
  enforcement: 'enforce' | 'audit';
  provider: Provider | undefined;
  model: string | undefined;
  keys: { openai?: string; anthropic?: string; nvidia?: string };
  baseUrl: string | undefined;
  /** A second route the gateway fails over to when the first keeps failing. */
  fallback: { provider: Provider; model: string; baseUrl?: string } | undefined;
  budgets: { maxRequests?: number; maxTokens?: number; maxCostUsd?: number };
  timeoutMinutes: number;
  workspace: string;
  workspaceAccess: 'read-write' | 'read-only';
  uploadAudit: boolean;
  auditArtifactName: string;
  replayScript: string | undefined;
  /** Write request bodies (prompts) to the audit log: opt-in, they carry workspace content. */
  recordPrompts: boolean;
  /** runc (the engine's default) or runsc (gVisor: a user-space kernel between the agent and the host). */
  sandboxRuntime: SandboxRuntime;
}

/** Reads one raw input: the action passes core.getInput, the CLI its flags. Empty string = not set. */
export type InputSource = (name: Input) => string;

const defaults: Partial<Record<Input, string>> = {
  [Input.Blueprint]: 'openclaw@latest',
  [Input.Enforcement]: 'enforce',
  [Input.TimeoutMinutes]: '30',
  [Input.WorkspaceAccess]: 'read-write',
  [Input.UploadAudit]: 'true',
  [Input.AuditArtifactName]: 'nemoclaw-audit',
  [Input.RecordPrompts]: 'false',
  [Input.SandboxRuntime]: 'runc',
};

function field<T>(
  source: InputSource,
  name: Input,
  schema: z.ZodType<T, string>,
  fix: string,
): T | undefined {
  const raw = source(name).trim() || defaults[name] || '';
  if (raw === '') return undefined;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const message = parsed.error.issues[0]?.message ?? `input "${name}" is not valid`;
    throw new UserError(`${message}, got ${JSON.stringify(raw)}.`, { where: `input "${name}"`, fix });
  }
  return parsed.data;
}

/**
 * Parses and checks all inputs before anything starts. `cwd` anchors relative
 * paths (the workspace on Actions); `env` supplies GITHUB_WORKSPACE.
 */
export function parseInputs(source: InputSource, env: NodeJS.ProcessEnv, cwd = process.cwd()): JobInputs {
  const str = (name: Input) => source(name).trim() || defaults[name] || undefined;
  const workspace = resolve(cwd, str(Input.Workspace) ?? env.GITHUB_WORKSPACE ?? cwd);
  const inWorkspace = (p: string) => (isAbsolute(p) ? p : resolve(workspace, p));

  const taskText = source(Input.Task).trim();
  const taskFile = source(Input.TaskFile).trim();
  if (taskText && taskFile) {
    throw new UserError('set either "task" or "task-file", not both.', {
      where: 'input "task-file"',
      fix: 'keep one of the two inputs.',
    });
  }
  let task = taskText;
  if (taskFile) {
    try {
      task = readFileSync(inWorkspace(taskFile), 'utf8').trim();
    } catch (cause) {
      throw new UserError(`cannot read the task file ${taskFile}.`, {
        where: 'input "task-file"',
        fix: 'give a path relative to the workspace of a file that exists (check out the repository first).',
        cause,
      });
    }
  }
  if (!task) {
    throw new UserError('no task given.', {
      where: 'input "task"',
      fix: 'say what the agent should do, e.g. `task: "Fix the failing test in test/math.test.js"`, or set "task-file".',
    });
  }

  const provider = field(source, Input.Provider, Provider, `use one of: ${Provider.options.join(', ')}.`);
  const replayScript = str(Input.ReplayScript);
  if (provider === 'replay' && !replayScript) {
    throw new UserError('provider "replay" plays a script, but none was given.', {
      where: 'input "replay-script"',
      fix: 'set replay-script to a YAML script, e.g. examples/replay/fix-failing-test.yaml.',
    });
  }
  const baseUrl = endpointUrl(source, Input.BaseUrl);
  requireEndpoint(provider, baseUrl, Input.BaseUrl, `provider "${provider}"`);

  const fallback = parseFallback(source, str);

  const keys: JobInputs['keys'] = {};
  const openai = str(Input.OpenaiApiKey);
  const anthropic = str(Input.AnthropicApiKey);
  const nvidia = str(Input.NvidiaApiKey);
  if (openai) keys.openai = openai;
  if (anthropic) keys.anthropic = anthropic;
  if (nvidia) keys.nvidia = nvidia;

  const budgets: JobInputs['budgets'] = {};
  const maxRequests = field(
    source,
    Input.MaxRequests,
    positiveInt(Input.MaxRequests),
    'e.g. max-requests: 50.',
  );
  const maxTokens = field(source, Input.MaxTokens, positiveInt(Input.MaxTokens), 'e.g. max-tokens: 200000.');
  const maxCostUsd = field(
    source,
    Input.MaxCostUsd,
    positiveNumber(Input.MaxCostUsd),
    'e.g. max-cost-usd: 2.50.',
  );
  if (maxRequests !== undefined) budgets.maxRequests = maxRequests;
  if (maxTokens !== undefined) budgets.maxTokens = maxTokens;
  if (maxCostUsd !== undefined) budgets.maxCostUsd = maxCostUsd;

  const artifactName = str(Input.AuditArtifactName) ?? 'nemoclaw-audit';
  if (!/^[^"<>|*?:\\/\r\n]+$/.test(artifactName)) {
    throw new UserError(
      `artifact name ${JSON.stringify(artifactName)} has characters artifacts cannot use.`,
      {
        where: 'input "audit-artifact-name"',
        fix: 'avoid " : < > | * ? \\ / and line breaks.',
      },
    );
  }

  return {
    task,
    blueprint: str(Input.Blueprint) ?? 'openclaw@latest',
    blueprintDigest: field(
      source,
      Input.BlueprintDigest,
      z.string().regex(/^sha256:[0-9a-f]{64}$/, {
        message: `input "${Input.BlueprintDigest}" must be sha256:<64 hex>`,
      }),
      'copy the digest from blueprints/index.yaml or `nemoclaw blueprint list`.',
    ),
    policy: (list.parse(source(Input.Policy)) as string[]).map((p) =>
      /^[a-z0-9-]+$/.test(p) ? p : inWorkspace(p),
    ),
    allowHosts: list.parse(source(Input.AllowHosts)) as string[],
    enforcement: field(
      source,
      Input.Enforcement,
      z.enum(['enforce', 'audit'], { message: `input "${Input.Enforcement}" must be enforce or audit` }),
      'use enforce (block undeclared hosts) or audit (allow, but log what would be blocked).',
    )!,
    provider,
    model: str(Input.Model),
    keys,
    baseUrl,
    fallback,
    budgets,
    timeoutMinutes: field(
      source,
      Input.TimeoutMinutes,
      positiveNumber(Input.TimeoutMinutes),
      'e.g. timeout-minutes: 20 (keep it below the job timeout so cleanup and upload still run).',
    )!,
    workspace,
    workspaceAccess: field(
      source,
      Input.WorkspaceAccess,
      z.enum(['read-write', 'read-only'], {
        message: `input "${Input.WorkspaceAccess}" must be read-write or read-only`,
      }),
      'use read-only for review jobs, read-write when the agent should change files.',
    )!,
    uploadAudit: field(source, Input.UploadAudit, bool(Input.UploadAudit), 'use true or false.')!,
    auditArtifactName: artifactName,
    replayScript: replayScript ? resolveReplayScript(replayScript, workspace) : undefined,
    recordPrompts: field(source, Input.RecordPrompts, bool(Input.RecordPrompts), 'use true or false.')!,
    sandboxRuntime: field(
      source,
      Input.SandboxRuntime,
      z.enum(['runc', 'runsc'], { message: `input "${Input.SandboxRuntime}" must be runc or runsc` }),
      'use runc (default) or runsc (gVisor, when the engine has it registered).',
    )!,
  };
}

type EndpointInput = Input.BaseUrl | Input.FallbackBaseUrl;

/** base-url or fallback-base-url, parsed as a URL. */
const endpointUrl = (source: InputSource, name: EndpointInput) =>
  field(
    source,
    name,
    z.string().url({ message: `input "${name}" must be a URL` }),
    'use the provider endpoint, e.g. http://ollama.internal:11434/v1.',
  );

/** The providers without a fixed endpoint need one. */
function requireEndpoint(
  provider: Provider | undefined,
  url: string | undefined,
  name: EndpointInput,
  who: string,
): void {
  if (provider && ['openai-compatible', 'ollama', 'vllm'].includes(provider) && !url) {
    throw new UserError(`${who} needs the endpoint to call.`, {
      where: `input "${name}"`,
      fix: `set ${name}, e.g. http://localhost:11434/v1 for Ollama.`,
    });
  }
}

/** fallback-provider, -model and -base-url: all or nothing, checked like the primary's. */
function parseFallback(source: InputSource, str: (name: Input) => string | undefined): JobInputs['fallback'] {
  const provider = field(
    source,
    Input.FallbackProvider,
    Provider.exclude(['replay'], { message: `input "${Input.FallbackProvider}" must be a real provider` }),
    `use one of: ${Provider.options.filter((p) => p !== 'replay').join(', ')} (replay is offline-only).`,
  );
  const model = str(Input.FallbackModel);
  const baseUrl = endpointUrl(source, Input.FallbackBaseUrl);
  if (!provider) {
    const stray =
      model !== undefined ? Input.FallbackModel : baseUrl !== undefined ? Input.FallbackBaseUrl : undefined;
    if (stray) {
      throw new UserError(`"${stray}" is set, but there is no fallback provider.`, {
        where: `input "${Input.FallbackProvider}"`,
        fix: 'set fallback-provider too, or drop the other fallback inputs.',
      });
    }
    return undefined;
  }
  if (!model) {
    throw new UserError(`the fallback provider "${provider}" needs a model.`, {
      where: `input "${Input.FallbackModel}"`,
      fix: 'set fallback-model to a model at that provider, e.g. llama3.1:8b for Ollama.',
    });
  }
  requireEndpoint(provider, baseUrl, Input.FallbackBaseUrl, `the fallback provider "${provider}"`);
  return { provider, model, ...(baseUrl ? { baseUrl } : {}) };
}

/** Replay scripts may live in the user's repo or ship with the action (examples/replay/…). */
function resolveReplayScript(p: string, workspace: string): string {
  if (isAbsolute(p)) return p;
  const candidates = [resolve(workspace, p), assetPath(p)];
  const found = candidates.find((c) => existsSync(c));
  if (!found) {
    throw new UserError(`replay script ${p} not found (looked in ${candidates.join(' and ')}).`, {
      where: 'input "replay-script"',
      fix: 'give a path relative to the workspace, or one of the shipped examples/replay/*.yaml.',
    });
  }
  return found;
}
