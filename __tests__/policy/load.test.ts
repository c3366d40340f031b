import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { assetPath } from '../../src/paths.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../src/errors.js';
import {
  allowHostsPolicy,
  loadPolicies,
  parsePolicyText,
  PRESET_NAMES,
  withExtraPolicy,
} from '../../src/policy/load.js';
import { compilePolicy } from '../../src/policy/matcher.js';

function errorOf(text: string): UserError {
  try {
    parsePolicyText(text, 'p.yaml');
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

const wrap = (endpoint: string) =>
  `version: 1\nnetwork_policies:\n  a:\n    endpoints:\n      - ${endpoint}\n`;

describe('policy schema and positions', () => {
  test('unknown key names its path and position', () => {
    const e = errorOf(
      'version: 1\nnetwork_policies:\n  a:\n    endpoints:\n      - host: x.test\n        prot: rest\n',
    );
    expect(e.where).toBe('p.yaml:6:9');
    expect(e.message).toContain('network_policies.a.endpoints.0.prot: unknown key "prot"');
  });
  test('bad value points at the value', () => {
    const e = errorOf(wrap('host: x.test\n        port: 70000'));
    expect(e.where).toBe('p.yaml:6:15');
    expect(e.message).toContain('endpoints.0.port');
  });
  test('YAML syntax error has a position', () => {
    const e = errorOf('version: 1\nnetwork_policies:\n  a: [\n');
    expect(e.where).toMatch(/^p\.yaml:\d+:\d+$/);
    expect(e.message).toContain('invalid YAML');
  });
  test.each([
    ['"*"', 'every host'],
    ['"*.com"', 'public suffix'],
    ['"*.co.uk"', 'public suffix'],
    ['"**.example.com"', '"**"'],
    ['"foo*.example.com"', 'first label'],
    ['"a.*.example.com"', 'first label'],
    ['"*.0.0.1"', 'IP'],
    ['"*.168.1.1"', 'IP'],
    ['"2130706433"', 'four decimal'],
    ['"exa mple.com"', 'NUL, space'],
  ])('rejects host %s', (host, why) => {
    expect(errorOf(wrap(`host: ${host}`)).message).toContain(why);
  });
  test.each([
    ['access without rest', 'host: x.test\n        access: read-only', 'need protocol: rest'],
    ['rest without access', 'host: x.test\n        protocol: rest', 'needs access'],
    [
      'rest passthrough',
      'host: x.test\n        protocol: rest\n        access: full\n        tls: passthrough',
      'tls: terminate',
    ],
    ['port and ports', 'host: x.test\n        port: 1\n        ports: [2]', 'not both'],
    ['bad cidr', 'host: x.test\n        allowed_ips: ["10.0.0.0/33"]', 'CIDR'],
    [
      'bad method',
      'host: x.test\n        protocol: rest\n        rules: [{allow: {method: "G T"}}]',
      'HTTP method',
    ],
  ])('rejects %s', (_n, ep, why) => {
    expect(errorOf(wrap(ep)).message).toContain(why);
  });
  test('accepts a wildcard over a registrable domain and OpenShell fields', () => {
    const p = parsePolicyText(
      wrap('host: "*.githubusercontent.com"\n        tls: passthrough\n        allowed_ips: ["10.0.0.0/8"]') +
        'filesystem_policy:\n  read_only: [/usr]\n  read_write: [/sandbox]\nprocess:\n  run_as_user: sandbox\n',
      'p.yaml',
    );
    expect(p.process?.run_as_user).toBe('sandbox');
  });
});

describe('loadPolicies', () => {
  const dir = mkdtempSync(join(tmpdir(), 'policy-load-'));
  writeFileSync(
    join(dir, 'job.yaml'),
    'version: 1\nextends: [github-read, npm]\nnetwork_policies:\n  mine:\n    endpoints:\n      - host: my.test\n    binaries: [{path: /usr/bin/curl}]\n',
  );
  writeFileSync(join(dir, 'cycle-a.yaml'), 'version: 1\nextends: cycle-b.yaml\n');
  writeFileSync(join(dir, 'cycle-b.yaml'), 'version: 1\nextends: cycle-a.yaml\n');

  test('every preset loads', () => {
    for (const name of PRESET_NAMES)
      expect(loadPolicies([name]).sources.at(-1)).toContain(`policies/${name}.yaml`);
  });
  test('extends merges presets first, warns about binaries, digest is stable', () => {
    const a = loadPolicies(['job.yaml'], dir);
    expect(Object.keys(a.policy.network_policies ?? {})).toEqual(['github', 'npm', 'mine']);
    expect(a.sources).toHaveLength(3);
    expect(a.warnings[0]).toContain('binaries is advisory');
    expect(a.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(loadPolicies(['job.yaml'], dir).digest).toBe(a.digest);
    expect(loadPolicies(['job.yaml', 'pypi'], dir).digest).not.toBe(a.digest);
  });
  test('cycles and unknown refs are user errors', () => {
    expect(() => loadPolicies(['cycle-a.yaml'], dir)).toThrow(/cycle/);
    expect(() => loadPolicies(['nope'], dir)).toThrow(/neither a file nor a preset/);
  });
  test('allow-hosts adds exact L4 endpoints', () => {
    const extra = allowHostsPolicy('extra.test, other.test:8443\n[2001:db8::5]:443');
    const merged = withExtraPolicy(loadPolicies(['npm']), extra);
    const m = compilePolicy(merged.policy);
    expect(m.match({ host: 'extra.test', port: 443 }).decision).toBe('allow');
    expect(m.match({ host: 'other.test', port: 8443 }).decision).toBe('allow');
    expect(m.match({ host: 'other.test', port: 443 }).decision).toBe('deny');
    expect(m.match({ host: '2001:db8::5', port: 443 }).decision).toBe('allow');
    expect(allowHostsPolicy('  ')).toBeUndefined();
    expect(() => allowHostsPolicy('*')).toThrow(UserError);
    expect(() => allowHostsPolicy('a.test:99999')).toThrow(/host:port/);
  });
});

test('the example in policies/README.md is a valid policy', () => {
  const readme = readFileSync(assetPath('policies', 'README.md'), 'utf8');
  const example = /```yaml\n([\s\S]*?)```/.exec(readme)![1]!;
  const p = parsePolicyText(example, 'policies/README.md');
  const m = compilePolicy(p);
  expect(m.match({ host: 'api.example.com', port: 443, method: 'GET', path: '/admin/x' }).decision).toBe(
    'deny',
  );
  expect(
    m.match({ host: 'api.example.com', port: 443, method: 'POST', path: '/v1/search', query: 'mode=fastest' })
      .decision,
  ).toBe('allow');
});
