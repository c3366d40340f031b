import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { UserError } from '../errors.js';

// A replay script is the whole conversation a model would have with OpenClaw,
// written down: which tools it calls on each turn and what it finally says.
// Argument shapes follow OpenClaw's tools, so a typo fails here, not mid-run.
const toolCall = z.discriminatedUnion('name', [
  z.object({
    name: z.literal('read'),
    arguments: z.object({ path: z.string().min(1) }).passthrough(),
  }),
  z.object({
    name: z.literal('write'),
    arguments: z.object({ path: z.string().min(1), content: z.string() }).strict(),
  }),
  z.object({
    name: z.literal('edit'),
    arguments: z
      .object({
        path: z.string().min(1),
        edits: z.array(z.object({ oldText: z.string().min(1), newText: z.string() }).strict()).min(1),
      })
      .strict(),
  }),
  z.object({
    name: z.literal('exec'),
    arguments: z.object({ command: z.string().min(1), workdir: z.string().optional() }).passthrough(),
  }),
  z.object({
    name: z.literal('ls'),
    arguments: z.object({ path: z.string().optional() }).strict().default({}),
  }),
  z.object({
    name: z.literal('apply_patch'),
    arguments: z.object({ input: z.string().min(1) }).strict(),
  }),
]);

export const expectationSchema = z
  .object({
    contains: z.string().optional().describe('The last tool result must contain this text.'),
    not_contains: z.string().optional().describe('The last tool result must not contain this text.'),
    regex: z.string().optional().describe('The last tool result must match this regular expression.'),
    exit_code: z
      .number()
      .int()
      .optional()
      .describe('Exit code of the last exec: OpenClaw appends "(Command exited with code N)" when N ≠ 0.'),
  })
  .strict()
  .describe('Checks on the tool result the model sees before playing this turn.');
export type Expectation = z.infer<typeof expectationSchema>;

const turnBase = {
  expect: expectationSchema.optional(),
};

export const turnSchema = z.union([
  z
    .object({
      ...turnBase,
      tool_calls: z.array(toolCall).min(1).describe('Tool calls made in one assistant message.'),
    })
    .strict(),
  z.object({ ...turnBase, final: z.string().min(1).describe('The final answer; ends the run.') }).strict(),
]);
export type Turn = z.infer<typeof turnSchema>;
export type ToolCall = z.infer<typeof toolCall>;

export const replayScriptSchema = z
  .object({
    name: z.string().optional().describe('Shown in errors; defaults to the file name.'),
    model: z.string().default('replay').describe('Model id the replay server reports.'),
    turns: z
      .array(turnSchema)
      .min(1)
      .describe('One entry per assistant turn, in order; the last should be `final`.'),
  })
  .strict();
export type ReplayScript = z.infer<typeof replayScriptSchema> & { name: string };

export function parseReplayScript(text: string, where: string): ReplayScript {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new UserError(`replay script is not valid YAML: ${(err as Error).message}`, {
      where,
      fix: 'Fix the YAML syntax.',
    });
  }
  const parsed = replayScriptSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UserError(`replay script: ${issue.message} at ${issue.path.join('.') || '(root)'}`, {
      where,
      fix: 'Each turn is either `tool_calls: [{name, arguments}]` (read, write, edit, exec, ls, apply_patch) or `final: "text"`.',
    });
  }
  for (const t of parsed.data.turns) {
    if (t.expect?.regex !== undefined) compileRegex(t.expect.regex, where);
  }
  return { ...parsed.data, name: parsed.data.name ?? where };
}

export function loadReplayScript(path: string): ReplayScript {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read replay script: ${(err as Error).message}`, {
      where: path,
      fix: 'Pass the path of an existing YAML file (see examples/replay/).',
    });
  }
  const script = parseReplayScript(text, path);
  return script;
}

export function compileRegex(source: string, where: string): RegExp {
  try {
    return new RegExp(source, 'm');
  } catch (err) {
    throw new UserError(`replay script: bad regex ${JSON.stringify(source)}: ${(err as Error).message}`, {
      where,
    });
  }
}
