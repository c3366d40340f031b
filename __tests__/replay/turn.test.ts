import { parseReplayScript } from '../../src/replay/script.js';
import {
  checkExpectation,
  decide,
  turnIndex,
  type ChatMessage,
  type ChatRequest,
} from '../../src/replay/turn.js';
import { completionBody, completionChunks } from '../../src/replay/format.js';
import { UserError } from '../../src/errors.js';

const script = parseReplayScript(
  `
name: t
turns:
  - tool_calls: [{ name: read, arguments: { path: a.js } }]
  - expect: { contains: "hello" }
    tool_calls: [{ name: exec, arguments: { command: "node test.js" } }]
  - expect: { exit_code: 0, regex: "pass(ed)?" }
    final: "all done"
`,
  't.yaml',
);

const tools = ['read', 'write', 'edit', 'exec', 'ls', 'apply_patch'].map((name) => ({
  type: 'function',
  function: { name },
}));
const sys = { role: 'system', content: 'You are OpenClaw' };
const user = (t: string) => ({ role: 'user', content: t });
const asst = { role: 'assistant', content: null, tool_calls: [{}] };
const tool = (t: string) => ({ role: 'tool', content: t });
const req = (messages: ChatMessage[], withTools = true): ChatRequest => ({
  messages,
  ...(withTools ? { tools } : {}),
});

describe('turnIndex', () => {
  test.each<[string, ChatMessage[], number]>([
    ['first request', [sys, user('task'), user('internal context')], 0],
    ['after one tool turn, trailing user message', [sys, user('task'), asst, tool('x'), user('ctx')], 1],
    [
      'counts assistants before the last user message too',
      [sys, user('task'), asst, tool('x'), user('ctx'), asst, tool('y'), user('ctx')],
      2,
    ],
  ])('%s', (_n, messages, expected) => {
    expect(turnIndex(messages)).toBe(expected);
  });
});

describe('decide', () => {
  test.each<[string, ChatRequest, string, unknown]>([
    ['turn 1 plays the first tool calls', req([sys, user('t'), user('ctx')]), 'tool_calls', 'read'],
    [
      'turn 2 checks the read result',
      req([sys, user('t'), asst, tool('say hello'), user('ctx')]),
      'tool_calls',
      'exec',
    ],
    [
      'turn 3 is final when the exec passed',
      req([sys, user('t'), asst, tool('hello'), asst, tool('tests passed'), user('ctx')]),
      'final',
      'all done',
    ],
    ['no tools: finalisation pass answers in words', req([sys, user('t')], false), 'final', 'all done'],
  ])('%s', (_n, r, kind, what) => {
    const d = decide(script, r);
    expect(d.kind).toBe(kind);
    if (d.kind === 'tool_calls') expect(d.calls[0]!.name).toBe(what);
    if (d.kind === 'final') expect(d.text).toBe(what);
  });

  test.each<[string, ChatRequest, RegExp]>([
    [
      'expectation mismatch names script, turn and what differed',
      req([sys, user('t'), asst, tool('bye'), user('ctx')]),
      /replay script "t", turn 2: expected the last tool result to contain "hello"; got: "bye"/,
    ],
    [
      'non-zero exit code',
      req([sys, user('t'), asst, tool('hello'), asst, tool('failed\n(Command exited with code 1)')]),
      /turn 3: expected exit code 0, the command exited with 1/,
    ],
    [
      'running past the script',
      req([sys, asst, asst, asst, user('ctx')]),
      /turn 4: the conversation ran past the script \(3 turns\)/,
    ],
    [
      'a tool the request does not offer',
      { messages: [sys, user('t')], tools: [{ function: { name: 'exec' } }] },
      /calls tool "read" but the request offers only: exec/,
    ],
  ])('%s', (_n, r, message) => {
    const d = decide(script, r);
    expect(d.kind).toBe('error');
    if (d.kind === 'error') expect(d.message).toMatch(message);
  });
});

describe('checkExpectation', () => {
  test.each<[string, Parameters<typeof checkExpectation>[0], string | undefined, boolean]>([
    ['contains ok', { contains: 'a' }, 'abc', true],
    ['not_contains fails', { not_contains: 'b' }, 'abc', false],
    ['regex ok', { regex: '^b' }, 'a\nbc', true],
    ['exit 0 when nothing appended', { exit_code: 0 }, 'ok', true],
    ['exit 2 reported', { exit_code: 2 }, 'x (Command exited with code 2)', true],
    ['no result at all', { contains: 'a' }, undefined, false],
  ])('%s', (_n, e, result, ok) => {
    expect(checkExpectation(e, result, 's') === undefined).toBe(ok);
  });
});

describe('wire format', () => {
  const d = decide(script, req([sys, user('t')]));
  if (d.kind === 'error') throw new Error('unexpected');
  const r = { ...req([sys, user('t')]), stream: true, stream_options: { include_usage: true } };

  test('JSON body carries tool calls with OpenAI shape and a usage estimate', () => {
    const body = completionBody(r, d, 'replay') as {
      choices: Array<{
        message: { tool_calls: Array<{ id: string; function: { name: string; arguments: string } }> };
        finish_reason: string;
      }>;
      usage: { prompt_tokens: number; completion_tokens: number };
    };
    const call = body.choices[0]!.message.tool_calls[0]!;
    expect(call.id).toMatch(/^[A-Za-z0-9]+$/);
    expect(call.function).toEqual({ name: 'read', arguments: '{"path":"a.js"}' });
    expect(body.choices[0]!.finish_reason).toBe('tool_calls');
    expect(body.usage.prompt_tokens).toBe(Math.ceil(JSON.stringify(r.messages).length / 4));
    // Deterministic: the same request gives the same bytes.
    expect(JSON.stringify(completionBody(r, d, 'replay'))).toBe(JSON.stringify(body));
  });

  test('SSE: delta, finish, usage chunk, [DONE]', () => {
    const frames = completionChunks(r, d, 'replay');
    expect(frames.every((f) => f.startsWith('data: ') && f.endsWith('\n\n'))).toBe(true);
    expect(frames.at(-1)).toBe('data: [DONE]\n\n');
    const usage = JSON.parse(frames[2]!.slice(6)) as { choices: unknown[]; usage: { total_tokens: number } };
    expect(usage.choices).toEqual([]);
    expect(usage.usage.total_tokens).toBeGreaterThan(0);
    expect(completionChunks({ ...r, stream_options: {} }, d, 'replay')).toHaveLength(3);
  });
});

describe('script schema', () => {
  test.each([
    ['turns: []', /turns/],
    ['turns: [{ tool_calls: [{ name: edit, arguments: { path: a, edits: [] } }] }]', /turns\.0/],
    ['turns: [{ tool_calls: [{ name: rm, arguments: {} }] }]', /turns\.0/],
    ['turns: [{ final: x, expect: { regex: "(" } }]', /bad regex/],
    ['turns: [', /not valid YAML/],
  ])('%s is refused with a clear message', (text, message) => {
    expect(() => parseReplayScript(text, 'bad.yaml')).toThrow(UserError);
    expect(() => parseReplayScript(text, 'bad.yaml')).toThrow(message);
  });
});
