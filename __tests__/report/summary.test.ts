import type { JobResult } from '../../src/job/result.js';
import { jobOutputs } from '../../src/report/outputs.js';
import { renderSummary } from '../../src/report/summary.js';

const base: JobResult = {
  jobId: 'j1',
  status: 'policy-violation',
  reason: 'The agent finished; 1 request to an undeclared host was blocked.',
  finalMessage: 'Fixed the off-by-one in src/math.js; `node test.js` passes.',
  changedFiles: ['src/math.js'],
  patchPath: '/tmp/audit/changes.patch',
  egress: {
    hosts: [
      { host: 'inference.local', port: 80, count: 5, decision: 'allow', rule: 'gateway' },
      { host: 'registry.npmjs.org', port: 443, count: 1, decision: 'deny', rule: undefined },
    ],
    suggestedPatch:
      'network_policies:\n  registry_npmjs_org:\n    endpoints:\n      - host: registry.npmjs.org\n        port: 443\n',
  },
  inference: {
    requests: 5,
    inputTokens: 1000,
    outputTokens: 200,
    costUsd: 0,
    byModel: [
      { model: 'replay', provider: 'replay', requests: 5, inputTokens: 1000, outputTokens: 200, costUsd: 0 },
    ],
  },
  phases: [
    { name: 'blueprint', ms: 12 },
    { name: 'agent', ms: 15400 },
  ],
  blueprint: { name: 'openclaw', version: '0.1.0', digest: 'sha256:' + 'a'.repeat(64) },
  image: { id: 'sha256:' + 'b'.repeat(64), source: 'cache', cacheHit: true },
  policyFiles: ['.github/nemoclaw/policy.yaml'],
  enforcement: 'enforce',
  sandboxRuntime: 'runc',
  auditDir: '/tmp/audit',
};

describe('renderSummary', () => {
  const md = renderSummary(base);
  it.each([
    ['the outcome', '🛡️ policy violation'],
    ['the final message in a fence', '```text\nFixed the off-by-one'],
    ['changed files', '`src/math.js`'],
    ['the egress table', '| registry.npmjs.org | 443 | 1 | deny | — |'],
    ['the suggested patch', '```yaml\nnetwork_policies:'],
    ['where to commit it', '`.github/nemoclaw/policy.yaml`'],
    ['inference per model', '| replay | replay | 5 | 1000 | 200 | 0.0000 |'],
    ['timings', '| agent | 15.4 |'],
    ['the blueprint', 'Blueprint `openclaw@0.1.0`'],
  ])('shows %s', (_what, text) => {
    expect(md).toContain(text);
  });

  it('says when the sandbox ran under gVisor, and only then', () => {
    expect(md).not.toContain('gVisor');
    expect(renderSummary({ ...base, sandboxRuntime: 'runsc' })).toContain('sandbox under gVisor (runsc)');
  });

  it('cannot be broken out of by a final message with backticks', () => {
    const md2 = renderSummary({ ...base, finalMessage: 'see ```\n# injected' });
    expect(md2).toContain('````text\nsee ```\n# injected\n````');
  });

  it('escapes table cells', () => {
    const md3 = renderSummary({
      ...base,
      egress: {
        hosts: [{ host: 'a|b', port: 1, count: 1, decision: 'deny', rule: undefined }],
        suggestedPatch: undefined,
      },
    });
    expect(md3).toContain('| a\\|b |');
  });
});

describe('jobOutputs', () => {
  it('maps the result onto the action outputs', () => {
    expect(jobOutputs(base)).toEqual({
      status: 'policy-violation',
      'final-message': base.finalMessage,
      patch: '/tmp/audit/changes.patch',
      'changed-files': 'src/math.js',
      'denied-hosts': 'registry.npmjs.org',
      requests: '5',
      tokens: '1200',
      'cost-usd': '0.000000',
      'audit-path': '/tmp/audit',
      'cache-hit': 'true',
      'image-id': base.image!.id,
      'blueprint-digest': base.blueprint!.digest,
    });
  });
});
