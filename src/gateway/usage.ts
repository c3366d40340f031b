// Token usage read from what passes through, for budgets and the audit log.
// One reader for every API: OpenAI chat (`usage.prompt_tokens`), Responses
// (`response.usage.input_tokens`), Anthropic (`message.usage` at start,
// cumulative `usage.output_tokens` in `message_delta`).
export interface TokenCount {
  input: number;
  output: number;
  /** False until the upstream reported any usage. */
  seen: boolean;
}

export const emptyCount = (): TokenCount => ({ input: 0, output: 0, seen: false });

type Obj = Record<string, unknown>;
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export function addUsageFrom(body: unknown, into: TokenCount): void {
  if (!body || typeof body !== 'object') return;
  const o = body as Obj;
  for (const u of [o.usage, (o.message as Obj | undefined)?.usage, (o.response as Obj | undefined)?.usage]) {
    if (!u || typeof u !== 'object') continue;
    const x = u as Obj;
    const input = num(x.prompt_tokens) ?? num(x.input_tokens);
    const output = num(x.completion_tokens) ?? num(x.output_tokens);
    if (input !== undefined) into.input = Math.max(into.input, input);
    if (output !== undefined) into.output = Math.max(into.output, output);
    if (input !== undefined || output !== undefined) into.seen = true;
  }
}

/** Feeds SSE bytes as they pass; keeps only the unfinished line between chunks. */
export class SseUsageReader {
  readonly count = emptyCount();
  private rest = '';

  push(chunk: Buffer): void {
    const text = this.rest + chunk.toString('utf8');
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    // A pathological line without newlines must not grow without bound.
    if (this.rest.length > 1024 * 1024) this.rest = '';
    for (const line of lines) this.line(line);
  }

  end(): void {
    if (this.rest) this.line(this.rest);
    this.rest = '';
  }

  private line(raw: string): void {
    const line = raw.trimEnd();
    if (!line.startsWith('data:')) return;
    const data = line.slice(5).trim();
    if (!data.startsWith('{') || !data.includes('usage')) return;
    try {
      addUsageFrom(JSON.parse(data), this.count);
    } catch {
      // Not JSON: nothing to count.
    }
  }
}
