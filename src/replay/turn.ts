import { compileRegex, type Expectation, type ReplayScript, type ToolCall } from './script.js';

// What the replay model plays for one request. Pure: the answer depends only on
// the script and the request, so OpenClaw's retries and restarts see the same
// conversation again.
export interface ChatMessage {
  role: string;
  content?: unknown;
  tool_calls?: unknown[];
}

export interface ChatRequest {
  model?: string;
  messages: ChatMessage[];
  tools?: Array<{ function?: { name?: string } }>;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
}

export type ReplayDecision =
  | { kind: 'tool_calls'; turn: number; calls: ToolCall[] }
  | { kind: 'final'; turn: number; text: string }
  | { kind: 'error'; turn: number; message: string };

/**
 * The turn to play is the number of assistant messages in the whole array.
 * Counting only those after the last user message would loop forever: OpenClaw
 * always ends with a user message of internal context.
 */
export function turnIndex(messages: ChatMessage[]): number {
  return messages.filter((m) => m.role === 'assistant').length;
}

export function decide(script: ReplayScript, req: ChatRequest): ReplayDecision {
  const turn = turnIndex(req.messages);
  const where = `replay script "${script.name}", turn ${turn + 1}`;
  // Without tools the client asks for a closing summary: answer in words.
  if (!req.tools || req.tools.length === 0) {
    return { kind: 'final', turn, text: lastFinal(script) };
  }
  const step = script.turns[turn];
  if (!step) {
    return {
      kind: 'error',
      turn,
      message: `${where}: the conversation ran past the script (${script.turns.length} turns); the agent asked for another turn after the last one.`,
    };
  }
  if (step.expect) {
    const problem = checkExpectation(step.expect, lastToolResult(req.messages), script.name);
    if (problem) return { kind: 'error', turn, message: `${where}: ${problem}` };
  }
  if ('final' in step) return { kind: 'final', turn, text: step.final };
  const offered = new Set(req.tools.map((t) => t.function?.name).filter(Boolean));
  const missing = step.tool_calls.find((c) => !offered.has(c.name));
  if (missing) {
    return {
      kind: 'error',
      turn,
      message: `${where}: the script calls tool "${missing.name}" but the request offers only: ${[...offered].join(', ')}.`,
    };
  }
  return { kind: 'tool_calls', turn, calls: step.tool_calls };
}

function lastFinal(script: ReplayScript): string {
  for (let i = script.turns.length - 1; i >= 0; i--) {
    const t = script.turns[i]!;
    if ('final' in t) return t.final;
  }
  return 'Done.';
}

/** Text of the last `tool` message, or undefined when there is none. */
export function lastToolResult(messages: ChatMessage[]): string | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role === 'tool') return contentText(m.content);
  }
  return undefined;
}

export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((p: unknown) =>
        typeof p === 'string'
          ? p
          : typeof (p as { text?: unknown })?.text === 'string'
            ? (p as { text: string }).text
            : '',
      )
      .join('');
  }
  return content === undefined || content === null ? '' : JSON.stringify(content);
}

const exitPattern = /\(Command exited with code (-?\d+)\)/;

/** Returns what differed, or undefined when the result meets the expectation. */
export function checkExpectation(
  expect: Expectation,
  result: string | undefined,
  scriptName: string,
): string | undefined {
  if (result === undefined) return 'expected a tool result to check, but the request has none.';
  const got = `got: ${JSON.stringify(result.length > 300 ? result.slice(0, 300) + '…' : result)}`;
  // The exit code first: it says more than a missing word.
  if (expect.exit_code !== undefined) {
    const code = Number(exitPattern.exec(result)?.[1] ?? 0);
    if (code !== expect.exit_code) {
      return `expected exit code ${expect.exit_code}, the command exited with ${code}; ${got}`;
    }
  }
  if (expect.contains !== undefined && !result.includes(expect.contains)) {
    return `expected the last tool result to contain ${JSON.stringify(expect.contains)}; ${got}`;
  }
  if (expect.not_contains !== undefined && result.includes(expect.not_contains)) {
    return `expected the last tool result not to contain ${JSON.stringify(expect.not_contains)}; ${got}`;
  }
  if (expect.regex !== undefined && !compileRegex(expect.regex, scriptName).test(result)) {
    return `expected the last tool result to match /${expect.regex}/; ${got}`;
  }
  return undefined;
}
