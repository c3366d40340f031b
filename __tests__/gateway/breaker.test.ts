import { Breaker } from '../../src/gateway/breaker.js';

type Step = ['fail' | 'ok', number] | ['open?', number, boolean];

describe('Breaker', () => {
  test.each<[string, Step[]]>([
    [
      'one failure does not open it',
      [
        ['fail', 0],
        ['open?', 1, false],
      ],
    ],
    [
      'two in a row open it for the cool-down',
      [
        ['fail', 0],
        ['fail', 10],
        ['open?', 11, true],
        ['open?', 10_009, true],
        ['open?', 10_010, false],
      ],
    ],
    [
      'a success in between resets the count',
      [
        ['fail', 0],
        ['ok', 1],
        ['fail', 2],
        ['open?', 3, false],
      ],
    ],
    [
      'a failure after the cool-down opens it again at once',
      [
        ['fail', 0],
        ['fail', 0],
        ['open?', 10_000, false],
        ['fail', 10_000],
        ['open?', 10_001, true],
      ],
    ],
    [
      'a success after the cool-down closes it',
      [
        ['fail', 0],
        ['fail', 0],
        ['ok', 10_000],
        ['fail', 10_001],
        ['open?', 10_002, false],
      ],
    ],
  ])('%s', (_name, steps) => {
    const b = new Breaker({ failures: 2, coolDownMs: 10_000 });
    for (const step of steps) {
      if (step[0] === 'fail') b.failure(step[1]);
      else if (step[0] === 'ok') b.success();
      else expect([step[1], b.isOpen(step[1])]).toEqual([step[1], step[2]]);
    }
  });
});
