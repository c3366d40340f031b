import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

// Every workflow we show users (examples, the e2e workflow, the README's
// quick start) must work as written: the checkout leaves no token in the
// workspace (the action refuses one), third-party actions are pinned by
// commit, and every input given to the action exists in action.yml.

const root = join(import.meta.dirname, '..', '..');
const action = parse(readFileSync(join(root, 'action.yml'), 'utf8')) as { inputs: Record<string, unknown> };

interface Step {
  uses?: string;
  with?: Record<string, unknown>;
}
interface Workflow {
  jobs: Record<string, { steps?: Step[] }>;
}

const examplesDir = join(root, '.github', 'workflows', 'examples');
const readmeBlocks = [...readFileSync(join(root, 'README.md'), 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)]
  .map((m) => m[1]!)
  .filter((y) => /nemoclaw-action@/.test(y));

const workflows: [string, Workflow][] = [
  ...readdirSync(examplesDir).map(
    (f) =>
      [`examples/${f}`, parse(readFileSync(join(examplesDir, f), 'utf8')) as Workflow] as [string, Workflow],
  ),
  ['e2e.yml', parse(readFileSync(join(root, '.github', 'workflows', 'e2e.yml'), 'utf8')) as Workflow],
  ...readmeBlocks.map((y, i) => [`README block ${i + 1}`, parse(y) as Workflow] as [string, Workflow]),
];

const isOurs = (uses: string | undefined) => uses === './' || /nemoclaw-action@/.test(uses ?? '');

describe.each(workflows)('%s', (_name, wf) => {
  const steps = Object.values(wf.jobs).flatMap((j) => j.steps ?? []);

  test('runs the action', () => {
    expect(steps.some((s) => isOurs(s.uses))).toBe(true);
  });

  test('checks out without persisting the token', () => {
    for (const s of steps.filter((x) => x.uses?.startsWith('actions/checkout@'))) {
      expect(s.with?.['persist-credentials']).toBe(false);
    }
  });

  test('pins third-party actions by commit', () => {
    for (const s of steps.filter((x) => x.uses && !isOurs(x.uses))) {
      expect(s.uses).toMatch(/@[0-9a-f]{40}$/);
    }
  });

  test('gives the action only inputs it has', () => {
    for (const s of steps.filter((x) => isOurs(x.uses))) {
      for (const key of Object.keys(s.with ?? {})) expect(Object.keys(action.inputs)).toContain(key);
    }
  });
});
