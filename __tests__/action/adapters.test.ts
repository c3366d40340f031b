import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResolvedBlueprint } from '../../src/blueprint/resolve.js';
import { Input } from '../../src/constants.js';
import { parseInputs } from '../../src/inputs.js';
import { createPorts } from '../../src/job/adapters.js';
import { silentLogger } from '../../src/log.js';
import { assetPath } from '../../src/paths.js';

const bp = {
  name: 'openclaw',
  version: '0.1.0',
  policyPath: assetPath('blueprints', 'openclaw', '0.1.0', 'policy.yaml'),
} as ResolvedBlueprint;

function policyFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'adapters-'));
  writeFileSync(join(dir, 'policy.yaml'), text);
  return dir;
}

const load = (ws: string, extra: Partial<Record<Input, string>> = {}) =>
  createPorts().loadPolicy(
    parseInputs(
      (n) => ({ [Input.Task]: 'x', [Input.Workspace]: ws, [Input.Policy]: 'policy.yaml', ...extra })[n] ?? '',
      {},
    ),
    bp,
    silentLogger,
  );

describe('job policy', () => {
  it('maps filesystem_policy onto the workspace mount and warns about what cannot be mapped', async () => {
    const ws = policyFile(
      'version: 1\nnetwork_policies: {}\nfilesystem_policy:\n  read_only: [/sandbox/workspace, /etc]\nprocess:\n  run_as_user: root\n',
    );
    const p = await load(ws);
    expect(p.workspaceReadOnly).toBe(true);
    expect(p.warnings.join('\n')).toMatch(/\/etc\) are not mounted/);
    expect(p.warnings.join('\n')).toMatch(/run_as_user "root" is ignored/);
    expect(p.sources).toEqual([join(ws, 'policy.yaml')]);
  });

  it('adds allow-hosts and presets to the blueprint default, with a digest', async () => {
    const ws = policyFile('version: 1\nnetwork_policies: {}\n');
    const p = await load(ws, { [Input.AllowHosts]: 'example.org:8443', [Input.Policy]: 'policy.yaml\nnpm' });
    expect(p.workspaceReadOnly).toBe(false);
    expect(p.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(JSON.stringify(p.policy)).toContain('example.org');
    expect(JSON.stringify(p.policy)).toContain('registry.npmjs.org');
  });
});
