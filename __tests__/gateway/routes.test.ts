import { UserError } from '../../src/errors.js';
import {
  buildRoutes,
  resolveRoute,
  type BlueprintProfile,
  type RouteInputs,
  type RoutesConfig,
} from '../../src/gateway/routes.js';

const nvidiaProfile: BlueprintProfile = {
  provider: 'nvidia',
  model: 'nvidia/nemotron',
  endpoint: 'https://nim.example/v1',
};

describe('buildRoutes', () => {
  test.each<[string, BlueprintProfile | undefined, RouteInputs, string | undefined, RoutesConfig]>([
    [
      'blueprint profile with its endpoint',
      nvidiaProfile,
      { nvidiaApiKey: 'nv-key' },
      undefined,
      {
        default: 'primary',
        routes: [
          {
            name: 'primary',
            provider: 'nvidia',
            model: 'nvidia/nemotron',
            baseUrl: 'https://nim.example/v1',
            apiKey: 'nv-key',
          },
        ],
      },
    ],
    [
      'inputs override provider and model; default base URL',
      nvidiaProfile,
      { provider: 'openai', model: 'gpt-4o', openaiApiKey: 'sk-1' },
      undefined,
      {
        default: 'primary',
        routes: [
          {
            name: 'primary',
            provider: 'openai',
            model: 'gpt-4o',
            baseUrl: 'https://api.openai.com/v1',
            apiKey: 'sk-1',
          },
        ],
      },
    ],
    [
      'model input alone keeps the profile provider',
      nvidiaProfile,
      { model: 'meta/llama', nvidiaApiKey: 'k-123456' },
      undefined,
      {
        default: 'primary',
        routes: [
          {
            name: 'primary',
            provider: 'nvidia',
            model: 'meta/llama',
            baseUrl: 'https://nim.example/v1',
            apiKey: 'k-123456',
          },
        ],
      },
    ],
    [
      'ollama needs no key; trailing slash trimmed',
      undefined,
      { provider: 'ollama', model: 'qwen', baseUrl: 'http://127.0.0.1:11434/v1/' },
      undefined,
      {
        default: 'primary',
        routes: [
          {
            name: 'primary',
            provider: 'openai-compatible',
            model: 'qwen',
            baseUrl: 'http://127.0.0.1:11434/v1',
          },
        ],
      },
    ],
    [
      'anthropic with a local fallback',
      undefined,
      {
        provider: 'anthropic',
        model: 'claude-sonnet-4-5',
        anthropicApiKey: 'ak-1234',
        fallback: { provider: 'vllm', model: 'qwen', baseUrl: 'http://127.0.0.1:8000/v1' },
      },
      undefined,
      {
        default: 'primary',
        routes: [
          {
            name: 'primary',
            provider: 'anthropic',
            model: 'claude-sonnet-4-5',
            baseUrl: 'https://api.anthropic.com/v1',
            apiKey: 'ak-1234',
            fallback: 'fallback',
          },
          {
            name: 'fallback',
            provider: 'openai-compatible',
            model: 'qwen',
            baseUrl: 'http://127.0.0.1:8000/v1',
          },
        ],
      },
    ],
    [
      'a replay script wins over everything',
      nvidiaProfile,
      { provider: 'openai', model: 'gpt-4o' },
      'examples/replay/hello.yaml',
      {
        default: 'replay',
        routes: [
          { name: 'replay', provider: 'replay', model: 'replay', script: 'examples/replay/hello.yaml' },
        ],
      },
    ],
  ])('%s', (_n, profile, inputs, replay, expected) => {
    expect(buildRoutes(profile, inputs, replay)).toEqual(expected);
  });

  test.each<[string, BlueprintProfile | undefined, RouteInputs, RegExp, string]>([
    ['no provider anywhere', undefined, {}, /no inference provider/, 'input "provider"'],
    [
      'other provider without model',
      nvidiaProfile,
      { provider: 'openai', openaiApiKey: 'sk-1' },
      /needs a model/,
      'input "model"',
    ],
    [
      'missing key',
      undefined,
      { provider: 'openai', model: 'gpt-4o' },
      /needs an API key/,
      'input "openai-api-key"',
    ],
    [
      'compatible without base URL',
      undefined,
      { provider: 'vllm', model: 'q' },
      /needs a base URL/,
      'input "base-url"',
    ],
    [
      'unknown provider',
      undefined,
      { provider: 'skynet', model: 'q' },
      /unknown inference provider "skynet"/,
      'input "provider"',
    ],
  ])('%s → UserError naming the input', (_n, profile, inputs, message, where) => {
    let err: unknown;
    try {
      buildRoutes(profile, inputs);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(message);
    expect((err as UserError).where).toBe(where);
    expect(String((err as UserError).message)).not.toContain('sk-1');
  });
});

describe('resolveRoute', () => {
  const config: RoutesConfig = {
    default: 'primary',
    routes: [
      { name: 'primary', provider: 'openai', model: 'gpt-4o', fallback: 'fallback' },
      { name: 'fallback', provider: 'openai-compatible', model: 'qwen' },
    ],
  };
  test.each<[string | undefined, string | undefined]>([
    [undefined, 'primary'],
    ['gateway/default', 'primary'],
    ['primary', 'primary'],
    ['gpt-4o', 'primary'],
    ['nemoclaw/gpt-4o', 'primary'],
    ['qwen', 'fallback'],
    ['gpt-9', undefined],
  ])('%s → %s', (model, name) => {
    expect(resolveRoute(config, model)?.name).toBe(name);
  });
});
