import { buildAgentCommand, parseAgentEnvelope } from '../../src/agent/command.js';
import { buildAgentConfig, SANDBOX_GATEWAY_URL } from '../../src/agent/config.js';

test('the pinned config points only at the gateway, with the job token', () => {
  const c = buildAgentConfig({
    baseUrl: SANDBOX_GATEWAY_URL,
    token: 'nc-job',
    model: 'gpt-4o',
    cost: { input: 2.5, output: 10 },
  });
  expect(c).toEqual({
    models: {
      mode: 'replace',
      catalogRefresh: { enabled: false },
      providers: {
        nemoclaw: {
          baseUrl: 'http://inference.local/v1',
          apiKey: 'nc-job',
          api: 'openai-completions',
          models: [
            {
              id: 'gpt-4o',
              name: 'gpt-4o',
              reasoning: false,
              input: ['text'],
              cost: { input: 2.5, output: 10, cacheRead: 0, cacheWrite: 0 },
              contextWindow: 128000,
              maxTokens: 8192,
            },
          ],
        },
      },
    },
    update: { checkOnStart: false, auto: { enabled: false } },
    telemetry: { enabled: false },
  });
});

test.each<[string, Parameters<typeof buildAgentCommand>[0], string[]]>([
  [
    'sandbox defaults',
    { task: 'Fix the test', model: 'replay', timeoutSeconds: 600 },
    [
      'openclaw',
      'agent',
      'exec',
      '--config',
      '/sandbox/.nemoclaw/openclaw.json',
      '--model',
      'nemoclaw/replay',
      '--cwd',
      '/sandbox/workspace',
      '--json',
      '--timeout',
      '600',
      '--',
      'Fix the test',
    ],
  ],
  [
    'host run, a task starting with a dash',
    {
      task: '--help me',
      model: 'gpt-4o',
      timeoutSeconds: 0.2,
      configPath: '/tmp/c.json',
      cwd: '/tmp/ws',
      openclaw: ['node', 'openclaw.mjs'],
    },
    [
      'node',
      'openclaw.mjs',
      'agent',
      'exec',
      '--config',
      '/tmp/c.json',
      '--model',
      'nemoclaw/gpt-4o',
      '--cwd',
      '/tmp/ws',
      '--json',
      '--timeout',
      '1',
      '--',
      '--help me',
    ],
  ],
])('command: %s', (_n, input, argv) => expect(buildAgentCommand(input)).toEqual(argv));

describe('parseAgentEnvelope', () => {
  const ok = {
    ok: true,
    status: 'ok',
    final: 'Done',
    usage: { input: 10, output: 2, total: 12, cost: { total: 0 }, cacheRead: 0 },
    assistantTurns: 3,
    toolSummary: { calls: 2, tools: ['read', 'edit'], failures: 0 },
    model: 'replay',
    provider: 'nemoclaw',
    sessionId: 'abc',
    bridgeCalls: { search: 0 },
  };
  test.each<[string, string, object | undefined]>([
    [
      'pretty-printed envelope with extra fields',
      JSON.stringify(ok, null, 2),
      { ok: true, final: 'Done', assistantTurns: 3, sessionId: 'abc' },
    ],
    ['a stray line before it', `warming up\n${JSON.stringify(ok)}`, { status: 'ok' }],
    [
      'error envelope',
      JSON.stringify({
        ok: false,
        status: 'timeout',
        final: '',
        model: null,
        provider: null,
        error: { message: 'timed out', kind: 'timeout' },
      }),
      { ok: false, status: 'timeout', error: { message: 'timed out', kind: 'timeout' } },
    ],
    ['not JSON', 'Segmentation fault', undefined],
    ['JSON of another shape', '{"hello": 1}', undefined],
  ])('%s', (_n, stdout, expected) => {
    const env = parseAgentEnvelope(stdout);
    if (expected === undefined) expect(env).toBeUndefined();
    else expect(env).toMatchObject(expected);
  });
});
