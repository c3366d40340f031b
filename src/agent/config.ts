// The pinned OpenClaw configuration for one job (`openclaw agent exec --config FILE`).
// The agent knows one provider, `nemoclaw`: the job's gateway, with the job
// token as its API key. Nothing in it points anywhere else, and every hosted
// refresh or update check is off so a run is offline apart from the gateway.
export const AGENT_PROVIDER = 'nemoclaw';

/** Inside the sandbox the gateway is reached by this name through the egress proxy. */
export const SANDBOX_GATEWAY_URL = 'http://inference.local/v1';

export interface AgentConfigInput {
  /** Base URL of the gateway including /v1 (in the sandbox: SANDBOX_GATEWAY_URL). */
  baseUrl: string;
  /** The job token (never a provider key). */
  token: string;
  /** Model id as the gateway routes it (e.g. the route's model, or `gateway/default`). */
  model: string;
  maxTokens?: number;
  contextWindow?: number;
  /** USD per 1M tokens; non-zero makes the envelope report `costUsd`. */
  cost?: { input: number; output: number };
}

export interface OpenClawConfig {
  models: {
    mode: 'replace';
    catalogRefresh: { enabled: false };
    providers: Record<string, unknown>;
  };
  update: { checkOnStart: false; auto: { enabled: false } };
  telemetry: { enabled: false };
}

export function buildAgentConfig(input: AgentConfigInput): OpenClawConfig {
  const cost = input.cost ?? { input: 0, output: 0 };
  return {
    models: {
      mode: 'replace',
      catalogRefresh: { enabled: false },
      providers: {
        [AGENT_PROVIDER]: {
          baseUrl: input.baseUrl,
          apiKey: input.token,
          api: 'openai-completions',
          models: [
            {
              id: input.model,
              name: input.model,
              reasoning: false,
              input: ['text'],
              cost: { input: cost.input, output: cost.output, cacheRead: 0, cacheWrite: 0 },
              contextWindow: input.contextWindow ?? 128_000,
              maxTokens: input.maxTokens ?? 8192,
            },
          ],
        },
      },
    },
    update: { checkOnStart: false, auto: { enabled: false } },
    telemetry: { enabled: false },
  };
}

/** Environment that keeps OpenClaw quiet and offline whatever the config says. */
export const agentEnv: Readonly<Record<string, string>> = {
  OPENCLAW_NO_AUTO_UPDATE: '1',
  OPENCLAW_DISABLE_BONJOUR: '1',
  DO_NOT_TRACK: '1',
};
