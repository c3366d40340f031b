import { Budget } from '../../src/gateway/budget.js';
import { costOf, loadShippedPriceTable } from '../../src/gateway/prices.js';
import { upstreamUrl } from '../../src/gateway/providers.js';
import {
  defaultRetryPolicy,
  isRetryableStatus,
  parseRetryAfter,
  retryDelay,
} from '../../src/gateway/retry.js';
import { SseUsageReader, addUsageFrom, emptyCount } from '../../src/gateway/usage.js';

describe('retry schedule', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  test.each<[string | undefined, number | undefined]>([
    [undefined, undefined],
    ['3', 3000],
    ['0.5', 500],
    ['Thu, 01 Jan 2026 00:00:10 GMT', 10_000],
    ['soon', undefined],
  ])('Retry-After %s → %s ms', (v, ms) => expect(parseRetryAfter(v, now)).toBe(ms));

  test.each<[number, number | undefined, number]>([
    [0, undefined, 250],
    [1, undefined, 500],
    [2, 3000, 3000],
    [10, undefined, 10_000],
    [0, 3_600_000, 10_000],
  ])('attempt %i, Retry-After %s → %i ms', (attempt, after, ms) =>
    expect(retryDelay(defaultRetryPolicy, attempt, after)).toBe(ms),
  );

  test.each([
    [429, true],
    [500, true],
    [503, true],
    [400, false],
    [401, false],
    [404, false],
  ])('status %i retryable: %s', (s, r) => expect(isRetryableStatus(s)).toBe(r));
});

describe('usage', () => {
  test.each<[string, object, [number, number]]>([
    ['OpenAI chat', { usage: { prompt_tokens: 3, completion_tokens: 4 } }, [3, 4]],
    [
      'Responses',
      { type: 'response.completed', response: { usage: { input_tokens: 5, output_tokens: 6 } } },
      [5, 6],
    ],
    [
      'Anthropic start',
      { type: 'message_start', message: { usage: { input_tokens: 7, output_tokens: 1 } } },
      [7, 1],
    ],
    ['nothing', { choices: [] }, [0, 0]],
  ])('%s', (_n, body, [i, o]) => {
    const c = emptyCount();
    addUsageFrom(body, c);
    expect([c.input, c.output]).toEqual([i, o]);
  });

  test('SSE reader copes with events split across chunks (Anthropic cumulative output)', () => {
    const r = new SseUsageReader();
    const text =
      'event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":12,"output_tokens":1}}}\n\n' +
      'event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":30}}\n\n';
    for (let i = 0; i < text.length; i += 7) r.push(Buffer.from(text.slice(i, i + 7)));
    r.end();
    expect(r.count).toEqual({ input: 12, output: 30, seen: true });
  });
});

describe('prices and budget', () => {
  test('shipped price table loads; unknown models have no price', async () => {
    const t = await loadShippedPriceTable();
    expect(costOf(t, 'gpt-4o', 1_000_000, 0)).toBe(2.5);
    expect(costOf(t, 'replay', 5, 5)).toBe(0);
    expect(costOf(t, 'no-such-model', 1, 1)).toBeUndefined();
  });

  test('budget refuses once spent and remembers it', () => {
    const b = new Budget({ maxRequests: 2 });
    expect(b.check(1)).toBeUndefined();
    b.record('m', 1, 1, 0.1);
    b.record('m', 1, 1, 0.1);
    expect(b.check(1)).toMatchObject({ budget: 'requests', limit: 2, used: 2 });
    expect(b.exceeded).toBe(true);
    expect(b.usage()).toEqual({
      requests: 2,
      inputTokens: 2,
      outputTokens: 2,
      costUsd: 0.2,
      byModel: { m: { requests: 2, inputTokens: 2, outputTokens: 2, costUsd: 0.2 } },
    });
  });
});

test.each([
  ['https://api.openai.com/v1', '/v1/chat/completions', 'https://api.openai.com/v1/chat/completions'],
  ['http://127.0.0.1:11434/v1/', '/v1/embeddings', 'http://127.0.0.1:11434/v1/embeddings'],
  ['http://host:8000', '/v1/chat/completions', 'http://host:8000/v1/chat/completions'],
])('upstreamUrl(%s, %s)', (base, path, url) => expect(upstreamUrl(base, path).href).toBe(url));
