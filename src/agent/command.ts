import { z } from 'zod';
import { AGENT_PROVIDER } from './config.js';

// The one way this project starts the agent, and the one reader of its answer.
export const SANDBOX_CONFIG_PATH = '/sandbox/.nemoclaw/openclaw.json';
export const SANDBOX_WORKSPACE = '/sandbox/workspace';

export interface AgentCommandInput {
  task: string;
  model: string;
  timeoutSeconds: number;
  configPath?: string;
  cwd?: string;
  /** argv[0..n] that runs OpenClaw; `openclaw` on the sandbox's PATH by default. */
  openclaw?: string[];
}

export function buildAgentCommand(input: AgentCommandInput): string[] {
  return [
    ...(input.openclaw ?? ['openclaw']),
    'agent',
    'exec',
    '--config',
    input.configPath ?? SANDBOX_CONFIG_PATH,
    '--model',
    `${AGENT_PROVIDER}/${input.model}`,
    '--cwd',
    input.cwd ?? SANDBOX_WORKSPACE,
    '--json',
    '--timeout',
    String(Math.max(1, Math.round(input.timeoutSeconds))),
    // `--` so a task starting with `-` is not read as an option.
    '--',
    input.task,
  ];
}

/** Exit codes of `openclaw agent exec`. */
export const AgentExit = { Ok: 0, Error: 1, Timeout: 2 } as const;

export const agentEnvelopeSchema = z
  .object({
    ok: z.boolean(),
    status: z.enum(['ok', 'error', 'timeout']).or(z.string()).describe('ok | error | timeout'),
    final: z.string().nullish().describe('Final assistant text.'),
    usage: z
      .object({
        input: z.number().optional(),
        output: z.number().optional(),
        total: z.number().optional(),
        cost: z.unknown().optional(),
      })
      .passthrough()
      .nullish(),
    costUsd: z.number().nullish(),
    assistantTurns: z.number().nullish(),
    toolSummary: z
      .object({
        calls: z.number().optional(),
        tools: z.array(z.string()).optional(),
        failures: z.number().optional(),
      })
      .passthrough()
      .nullish(),
    model: z.string().nullish(),
    provider: z.string().nullish(),
    error: z.object({ message: z.string(), kind: z.string().optional() }).passthrough().nullish(),
  })
  .passthrough();
export type AgentEnvelope = z.infer<typeof agentEnvelopeSchema>;

/**
 * Reads the envelope from stdout. `--json` reserves stdout for it, but take
 * the last line that parses so a stray line before it does not lose the result.
 */
export function parseAgentEnvelope(stdout: string): AgentEnvelope | undefined {
  const text = stdout.trim();
  const candidates = [text, ...text.split('\n').reverse()];
  for (const c of candidates) {
    const t = c.trim();
    if (!t.startsWith('{')) continue;
    try {
      const parsed = agentEnvelopeSchema.safeParse(JSON.parse(t));
      if (parsed.success) return parsed.data;
    } catch {
      // not this one
    }
  }
  return undefined;
}
