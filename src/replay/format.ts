import type { ChatRequest, ReplayDecision } from './turn.js';

// OpenAI chat.completions wire format for a replay decision: one JSON body, or
// SSE chunks when the client streams. Token counts are a deterministic
// estimate (4 characters per token) so budgets and costs are reproducible.
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export const estimateTokens = (text: string): number => Math.ceil(text.length / 4);

type Played = Exclude<ReplayDecision, { kind: 'error' }>;

function toolCalls(d: Played) {
  if (d.kind !== 'tool_calls') return undefined;
  return d.calls.map((c, i) => ({
    // OpenClaw rewrites ids to [A-Za-z0-9]; give it ones that need no rewrite.
    id: `call${d.turn}x${i}`,
    type: 'function' as const,
    function: { name: c.name, arguments: JSON.stringify(c.arguments) },
  }));
}

export function usageFor(req: ChatRequest, d: Played): Usage {
  const prompt = estimateTokens(JSON.stringify(req.messages));
  const out = d.kind === 'final' ? d.text : JSON.stringify(toolCalls(d));
  const completion = estimateTokens(out);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

const finishReason = (d: Played) => (d.kind === 'final' ? 'stop' : 'tool_calls');
const idOf = (d: Played) => `chatcmpl-replay-${d.turn}`;

export function completionBody(req: ChatRequest, d: Played, model: string): object {
  const calls = toolCalls(d);
  return {
    id: idOf(d),
    object: 'chat.completion',
    created: 0,
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: d.kind === 'final' ? d.text : null,
          ...(calls ? { tool_calls: calls } : {}),
        },
        finish_reason: finishReason(d),
      },
    ],
    usage: usageFor(req, d),
  };
}

/** The SSE events, each a complete `data: …\n\n` frame, ending with `[DONE]`. */
export function completionChunks(req: ChatRequest, d: Played, model: string): string[] {
  const base = { id: idOf(d), object: 'chat.completion.chunk', created: 0, model };
  const frame = (o: object) => `data: ${JSON.stringify(o)}\n\n`;
  const calls = toolCalls(d);
  const delta =
    d.kind === 'final'
      ? { role: 'assistant', content: d.text }
      : { role: 'assistant', content: null, tool_calls: calls!.map((c, index) => ({ index, ...c })) };
  const frames = [
    frame({ ...base, choices: [{ index: 0, delta, finish_reason: null }] }),
    frame({ ...base, choices: [{ index: 0, delta: {}, finish_reason: finishReason(d) }] }),
  ];
  if (req.stream_options?.include_usage) {
    frames.push(frame({ ...base, choices: [], usage: usageFor(req, d) }));
  }
  frames.push('data: [DONE]\n\n');
  return frames;
}
