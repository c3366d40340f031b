import { GVISOR_RUNTIME_ARGS, runtimeProblem, withGvisorRuntime } from '../../src/sandbox/gvisor.js';

const good = { runsc: { args: GVISOR_RUNTIME_ARGS } };

describe('runtimeProblem', () => {
  test.each<[string, Parameters<typeof runtimeProblem>, RegExp | undefined]>([
    ['runc needs nothing', ['runc', {}], undefined],
    ['runsc registered as the sandbox needs', ['runsc', good], undefined],
    [
      'host-uds=all also reaches the socket',
      ['runsc', { runsc: { args: ['--network=none', '--host-uds=all'] } }],
      undefined,
    ],
    ['runsc missing', ['runsc', { runc: { args: [] } }], /no runtime "runsc"/],
    ['without host-uds', ['runsc', { runsc: { args: ['--network=none'] } }], /--host-uds=open/],
    [
      'host-uds=none',
      ['runsc', { runsc: { args: ['--network=none', '--host-uds=none'] } }],
      /--host-uds=open/,
    ],
    ['without network=none', ['runsc', { runsc: { args: ['--host-uds=open'] } }], /--network=none/],
    [
      'network=sandbox',
      ['runsc', { runsc: { args: ['--host-uds=open', '--network=sandbox'] } }],
      /--network=none/,
    ],
  ])('%s', (_name, args, problem) => {
    const got = runtimeProblem(...args);
    if (problem) expect(got).toMatch(problem);
    else expect(got).toBeUndefined();
  });
});

describe('withGvisorRuntime', () => {
  const wanted = { path: '/usr/bin/runsc', runtimeArgs: GVISOR_RUNTIME_ARGS };
  test.each<[string, Record<string, unknown>, Record<string, unknown>, boolean]>([
    ['empty daemon.json', {}, { runtimes: { runsc: wanted } }, true],
    [
      'other settings and runtimes are kept',
      { 'log-level': 'warn', runtimes: { kata: { path: '/k' } } },
      { 'log-level': 'warn', runtimes: { kata: { path: '/k' }, runsc: wanted } },
      true,
    ],
    [
      'an old runsc entry is replaced',
      { runtimes: { runsc: { path: '/usr/bin/runsc', runtimeArgs: ['--oci-seccomp'] } } },
      { runtimes: { runsc: wanted } },
      true,
    ],
    ['already right: unchanged', { runtimes: { runsc: wanted } }, { runtimes: { runsc: wanted } }, false],
  ])('%s', (_name, before, after, changed) => {
    expect(withGvisorRuntime(before, '/usr/bin/runsc')).toEqual({ config: after, changed });
  });
});
