import { z } from 'zod';
import { UserError } from '../errors.js';

// Which upstream serves which model. Built once, by a pure function, from the
// blueprint's inference profile, the action's inputs and an optional replay
// script; the gateway only reads it.
export const providerSchema = z.enum(['openai', 'anthropic', 'nvidia', 'openai-compatible', 'replay']);
export type Provider = z.infer<typeof providerSchema>;

export const routeSchema = z.object({
  name: z.string().min(1).describe('Route name; requests may name it instead of the model.'),
  provider: providerSchema,
  baseUrl: z.string().url().optional().describe('Upstream base URL including /v1.'),
  model: z.string().min(1).describe('Model id sent upstream.'),
  apiKey: z.string().optional().describe('Provider credential; injected by the gateway only.'),
  fallback: z.string().optional().describe('Route to fail over to when this one keeps failing.'),
  script: z.string().optional().describe('Replay script path (provider `replay`).'),
});
export type Route = z.infer<typeof routeSchema>;

export interface RoutesConfig {
  /** Name of the route `gateway/default` (and a request without a model) goes to. */
  default: string;
  routes: Route[];
}

export const DEFAULT_MODEL_ALIAS = 'gateway/default';

export const defaultBaseUrls: Partial<Record<Provider, string>> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com/v1',
  nvidia: 'https://integrate.api.nvidia.com/v1',
};

/** Blueprint profile names (NemoClaw's `provider_type`) → our providers. */
const aliases: Record<string, Provider> = {
  openai: 'openai',
  anthropic: 'anthropic',
  nvidia: 'nvidia',
  nim: 'nvidia',
  'nvidia-nim': 'nvidia',
  ollama: 'openai-compatible',
  vllm: 'openai-compatible',
  'openai-compatible': 'openai-compatible',
  custom: 'openai-compatible',
  replay: 'replay',
};

export function normaliseProvider(name: string, where: string): Provider {
  const p = aliases[name.trim().toLowerCase()];
  if (!p) {
    throw new UserError(`unknown inference provider "${name}"`, {
      where,
      fix: `Use one of: ${Object.keys(aliases).join(', ')}.`,
    });
  }
  return p;
}

export interface BlueprintProfile {
  provider: string;
  model: string;
  endpoint?: string;
}

export interface RouteInputs {
  provider?: string;
  model?: string;
  baseUrl?: string;
  openaiApiKey?: string;
  anthropicApiKey?: string;
  nvidiaApiKey?: string;
  /** Key for an OpenAI-compatible base URL, when it needs one. */
  apiKey?: string;
  /** A second upstream tried when the first keeps failing (e.g. a local ollama). */
  fallback?: { provider: string; model: string; baseUrl?: string };
}

const keyInput: Record<Provider, string> = {
  openai: 'openai-api-key',
  anthropic: 'anthropic-api-key',
  nvidia: 'nvidia-api-key',
  'openai-compatible': 'base-url',
  replay: 'replay-script',
};

function keyFor(p: Provider, i: RouteInputs): string | undefined {
  switch (p) {
    case 'openai':
      return i.openaiApiKey;
    case 'anthropic':
      return i.anthropicApiKey;
    case 'nvidia':
      return i.nvidiaApiKey;
    case 'openai-compatible':
      return i.apiKey;
    case 'replay':
      return undefined;
  }
}

function route(
  name: string,
  provider: Provider,
  model: string,
  baseUrl: string | undefined,
  inputs: RouteInputs,
): Route {
  const url = baseUrl ?? defaultBaseUrls[provider];
  if (!url) {
    throw new UserError(`provider "${provider}" needs a base URL`, {
      where: 'input "base-url"',
      fix: 'Set base-url to the OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1 for ollama.',
    });
  }
  const apiKey = keyFor(provider, inputs);
  if (!apiKey && provider !== 'openai-compatible') {
    throw new UserError(`provider "${provider}" needs an API key`, {
      where: `input "${keyInput[provider]}"`,
      fix: `Pass it from a secret: ${keyInput[provider]}: \${{ secrets.… }}.`,
    });
  }
  return { name, provider, model, baseUrl: url.replace(/\/+$/, ''), ...(apiKey ? { apiKey } : {}) };
}

/**
 * Inputs override the blueprint: an explicit provider without a model is an
 * error unless the provider is the blueprint's (models are provider-specific).
 * A replay script wins over everything: the run is offline.
 */
export function buildRoutes(
  profile: BlueprintProfile | undefined,
  inputs: RouteInputs,
  replayScript?: string,
): RoutesConfig {
  if (replayScript) {
    return {
      default: 'replay',
      routes: [{ name: 'replay', provider: 'replay', model: 'replay', script: replayScript }],
    };
  }
  const profileProvider = profile
    ? normaliseProvider(profile.provider, 'blueprint inference profile')
    : undefined;
  const provider = inputs.provider ? normaliseProvider(inputs.provider, 'input "provider"') : profileProvider;
  if (!provider) {
    throw new UserError('no inference provider', {
      where: 'input "provider"',
      fix: 'Set provider and model, or use a blueprint with an inference profile, or a replay-script.',
    });
  }
  const sameAsProfile = provider === profileProvider;
  const model = inputs.model ?? (sameAsProfile ? profile?.model : undefined);
  if (!model) {
    throw new UserError(`provider "${provider}" is not the blueprint's, so it needs a model`, {
      where: 'input "model"',
      fix: 'Set the model input as well.',
    });
  }
  const baseUrl = inputs.baseUrl ?? (sameAsProfile ? profile?.endpoint : undefined);
  const primary = route('primary', provider, model, baseUrl, inputs);
  if (!inputs.fallback) return { default: 'primary', routes: [primary] };
  const fb = inputs.fallback;
  const second = route(
    'fallback',
    normaliseProvider(fb.provider, 'fallback provider'),
    fb.model,
    fb.baseUrl,
    inputs,
  );
  return { default: 'primary', routes: [{ ...primary, fallback: 'fallback' }, second] };
}

/** The route a request's `model` names: an alias, a route name or a route's model. */
export function resolveRoute(config: RoutesConfig, model: string | undefined): Route | undefined {
  const byName = (n: string) => config.routes.find((r) => r.name === n);
  if (!model || model === DEFAULT_MODEL_ALIAS || model === config.default) return byName(config.default);
  const bare = model.startsWith('nemoclaw/') ? model.slice('nemoclaw/'.length) : model;
  return byName(bare) ?? config.routes.find((r) => r.model === bare);
}
