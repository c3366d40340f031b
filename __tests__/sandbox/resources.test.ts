import { resourcesFromBlueprint } from '../../src/sandbox/resources.js';

describe('blueprint resources → sandbox limits', () => {
  test.each([
    [
      { cpus: 2, memory: '4g', pids: 512, tmp_size: '512m' },
      { cpus: 2, memoryMb: 4096, pids: 512, tmpMb: 512, homeMb: 256 },
    ],
    [
      { cpus: 0.5, memory: '512m', pids: 64, tmp_size: '64m' },
      { cpus: 0.5, memoryMb: 512, pids: 64, tmpMb: 64, homeMb: 64 },
    ],
    [
      { cpus: 1, memory: 268435456, pids: 100, tmp_size: 16777216 },
      { cpus: 1, memoryMb: 256, pids: 100, tmpMb: 16, homeMb: 32 },
    ],
  ])('%j', (input, want) => {
    expect(resourcesFromBlueprint(input)).toMatchObject({ ...want, nofile: 16384 });
  });
});
