import { Label } from '../../src/constants.js';
import { staleContainers } from '../../src/sandbox/cleanup.js';

const c = (name: string, created: string | undefined) => ({
  id: name,
  name,
  state: 'exited',
  labels: { [Label.Managed]: 'true', ...(created === undefined ? {} : { [Label.Created]: created }) },
});

describe('stale containers', () => {
  const now = 10_000 * 1000;
  test.each([
    ['created an hour ago, threshold 30 min', String(10_000 - 3600), 30 * 60_000, true],
    ['created a minute ago, threshold 30 min', String(10_000 - 60), 30 * 60_000, false],
    ['exactly at the threshold', String(10_000 - 1800), 30 * 60_000, false],
    ['no created label', undefined, 30 * 60_000, true],
    ['garbage created label', 'yesterday', 30 * 60_000, true],
  ])('%s → stale %s', (_n, created, maxAge, want) => {
    expect(staleContainers([c('x', created)], now, maxAge).length).toBe(want ? 1 : 0);
  });
});
