import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Input } from '../../src/constants.js';
import { UserError } from '../../src/errors.js';
import { parseInputs } from '../../src/inputs.js';

const ws = mkdtempSync(join(tmpdir(), 'inputs-'));
const source = (values: Partial<Record<Input, string>>) => (name: Input) => values[name] ?? '';
const parse = (values: Partial<Record<Input, string>>) =>
  parseInputs(source(values), { GITHUB_WORKSPACE: ws }, '/');

describe('parseInputs', () => {
  it('applies defaults', () => {
    const inputs = parse({ [Input.Task]: 'fix it' });
    expect(inputs).toMatchObject({
      task: 'fix it',
      blueprint: 'openclaw@latest',
      enforcement: 'enforce',
      timeoutMinutes: 30,
      workspace: ws,
      workspaceAccess: 'read-write',
      uploadAudit: true,
      auditArtifactName: 'nemoclaw-audit',
      policy: [],
      allowHosts: [],
      budgets: {},
      keys: {},
      fallback: undefined,
      recordPrompts: false,
      sandboxRuntime: 'runc',
    });
  });

  it.each<[string, Partial<Record<Input, string>>, unknown]>([
    [
      'ollama fallback with its endpoint',
      {
        [Input.FallbackProvider]: 'ollama',
        [Input.FallbackModel]: 'llama3.1:8b',
        [Input.FallbackBaseUrl]: 'http://127.0.0.1:11434/v1',
      },
      { provider: 'ollama', model: 'llama3.1:8b', baseUrl: 'http://127.0.0.1:11434/v1' },
    ],
    [
      'anthropic fallback (key from anthropic-api-key)',
      { [Input.FallbackProvider]: 'anthropic', [Input.FallbackModel]: 'claude-sonnet-4-5' },
      { provider: 'anthropic', model: 'claude-sonnet-4-5' },
    ],
    ['no fallback', {}, undefined],
  ])('fallback: %s', (_name, values, fallback) => {
    expect(parse({ [Input.Task]: 'x', ...values }).fallback).toEqual(fallback);
  });

  it('record-prompts is an opt-in boolean', () => {
    expect(parse({ [Input.Task]: 'x', [Input.RecordPrompts]: 'true' }).recordPrompts).toBe(true);
  });

  it('parses lists, budgets and keys', () => {
    const inputs = parse({
      [Input.Task]: 'x',
      [Input.Policy]: 'github-read\n.github/nemoclaw/policy.yaml\n# comment',
      [Input.AllowHosts]: 'registry.npmjs.org, pypi.org:443',
      [Input.MaxRequests]: '40',
      [Input.MaxTokens]: '100000',
      [Input.MaxCostUsd]: '1.50',
      [Input.OpenaiApiKey]: 'sk-test-123',
      [Input.Provider]: 'openai',
      [Input.UploadAudit]: 'FALSE',
    });
    expect(inputs.policy).toEqual(['github-read', join(ws, '.github/nemoclaw/policy.yaml')]);
    expect(inputs.allowHosts).toEqual(['registry.npmjs.org', 'pypi.org:443']);
    expect(inputs.budgets).toEqual({ maxRequests: 40, maxTokens: 100000, maxCostUsd: 1.5 });
    expect(inputs.keys).toEqual({ openai: 'sk-test-123' });
    expect(inputs.uploadAudit).toBe(false);
  });

  it('reads the task from a file in the workspace', () => {
    writeFileSync(join(ws, 'task.md'), 'Triage issue 12\n');
    expect(parse({ [Input.TaskFile]: 'task.md' }).task).toBe('Triage issue 12');
  });

  it.each<[string, Partial<Record<Input, string>>, RegExp, string]>([
    ['no task', {}, /no task given/, 'input "task"'],
    ['task and task-file', { [Input.Task]: 'a', [Input.TaskFile]: 'b' }, /not both/, 'input "task-file"'],
    ['missing task file', { [Input.TaskFile]: 'nope.md' }, /cannot read the task file/, 'input "task-file"'],
    [
      'bad max-requests',
      { [Input.Task]: 'a', [Input.MaxRequests]: 'ten' },
      /whole number/,
      'input "max-requests"',
    ],
    [
      'zero max-tokens',
      { [Input.Task]: 'a', [Input.MaxTokens]: '0' },
      /greater than 0/,
      'input "max-tokens"',
    ],
    ['bad cost', { [Input.Task]: 'a', [Input.MaxCostUsd]: '$2' }, /number such as/, 'input "max-cost-usd"'],
    [
      'bad enforcement',
      { [Input.Task]: 'a', [Input.Enforcement]: 'block' },
      /enforce or audit/,
      'input "enforcement"',
    ],
    [
      'bad access',
      { [Input.Task]: 'a', [Input.WorkspaceAccess]: 'rw' },
      /read-write or read-only/,
      'input "workspace-access"',
    ],
    ['bad bool', { [Input.Task]: 'a', [Input.UploadAudit]: 'yes' }, /true or false/, 'input "upload-audit"'],
    [
      'bad provider',
      { [Input.Task]: 'a', [Input.Provider]: 'gpt' },
      /Invalid option|expected one of/i,
      'input "provider"',
    ],
    [
      'replay without script',
      { [Input.Task]: 'a', [Input.Provider]: 'replay' },
      /plays a script/,
      'input "replay-script"',
    ],
    [
      'ollama without url',
      { [Input.Task]: 'a', [Input.Provider]: 'ollama' },
      /needs the endpoint/,
      'input "base-url"',
    ],
    ['bad url', { [Input.Task]: 'a', [Input.BaseUrl]: 'not a url' }, /must be a URL/, 'input "base-url"'],
    [
      'bad digest',
      { [Input.Task]: 'a', [Input.BlueprintDigest]: 'abc' },
      /sha256:<64 hex>/,
      'input "blueprint-digest"',
    ],
    [
      'bad artifact name',
      { [Input.Task]: 'a', [Input.AuditArtifactName]: 'a/b' },
      /cannot use/,
      'input "audit-artifact-name"',
    ],
    [
      'fallback without model',
      { [Input.Task]: 'a', [Input.FallbackProvider]: 'openai' },
      /needs a model/,
      'input "fallback-model"',
    ],
    [
      'ollama fallback without url',
      { [Input.Task]: 'a', [Input.FallbackProvider]: 'ollama', [Input.FallbackModel]: 'm' },
      /needs the endpoint/,
      'input "fallback-base-url"',
    ],
    [
      'replay as fallback',
      { [Input.Task]: 'a', [Input.FallbackProvider]: 'replay', [Input.FallbackModel]: 'm' },
      /real provider/,
      'input "fallback-provider"',
    ],
    [
      'fallback model without provider',
      { [Input.Task]: 'a', [Input.FallbackModel]: 'm' },
      /no fallback provider/,
      'input "fallback-provider"',
    ],
    [
      'bad fallback url',
      {
        [Input.Task]: 'a',
        [Input.FallbackProvider]: 'vllm',
        [Input.FallbackModel]: 'm',
        [Input.FallbackBaseUrl]: 'x',
      },
      /must be a URL/,
      'input "fallback-base-url"',
    ],
    [
      'unknown sandbox runtime',
      { [Input.Task]: 'a', [Input.SandboxRuntime]: 'kata' },
      /runc or runsc/,
      'input "sandbox-runtime"',
    ],
    [
      'bad record-prompts',
      { [Input.Task]: 'a', [Input.RecordPrompts]: 'yes' },
      /true or false/,
      'input "record-prompts"',
    ],
    [
      'missing replay script',
      { [Input.Task]: 'a', [Input.ReplayScript]: 'nope.yaml' },
      /not found/,
      'input "replay-script"',
    ],
  ])('%s → a clear error naming the input', (_name, values, message, where) => {
    let err: unknown;
    try {
      parse(values);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(message);
    expect((err as UserError).where).toBe(where);
    expect((err as UserError).fix).toBeTruthy();
  });
});
