import { decideStatus, type Outcome } from '../../src/job/status.js';

const ok: Outcome = {
  agentExitCode: 0,
  agentOk: true,
  timedOut: false,
  cancelled: false,
  budgetExceeded: false,
  denials: 0,
  enforcement: 'enforce',
  error: undefined,
};

describe('decideStatus', () => {
  it.each<[string, Partial<Outcome>, string, RegExp]>([
    ['clean run', {}, 'success', /finished the task/],
    ['agent error', { agentExitCode: 1, agentOk: false }, 'failure', /exit code 1/],
    ['agent says not ok', { agentOk: false }, 'failure', /exit code 0/],
    ['no result', { agentExitCode: null, agentOk: false }, 'failure', /did not report/],
    ['openclaw timeout code', { agentExitCode: 2, agentOk: false }, 'timeout', /out of time/],
    ['our timeout', { agentExitCode: null, timedOut: true }, 'timeout', /out of time/],
    ['budget', { agentExitCode: 1, agentOk: false, budgetExceeded: true }, 'budget-exceeded', /budget/],
    ['denial, enforce, agent ok', { denials: 1 }, 'policy-violation', /finished, but 1 request/],
    [
      'denial, enforce, agent failed',
      { denials: 2, agentExitCode: 1, agentOk: false },
      'policy-violation',
      /did not finish/,
    ],
    ['denial, audit mode', { denials: 1, enforcement: 'audit' }, 'success', /would have been blocked/],
    ['timeout beats budget', { timedOut: true, budgetExceeded: true }, 'timeout', /out of time/],
    ['budget beats denial', { budgetExceeded: true, denials: 3 }, 'budget-exceeded', /budget/],
    ['cancel beats everything', { cancelled: true, timedOut: true, denials: 1 }, 'failure', /cancelled/],
    [
      'infrastructure error',
      { error: 'Docker engine went away.', agentExitCode: null },
      'failure',
      /Docker engine/,
    ],
  ])('%s → %s', (_name, patch, status, reason) => {
    const r = decideStatus({ ...ok, ...patch });
    expect(r.status).toBe(status);
    expect(r.reason).toMatch(reason);
  });
});

describe('engineGone', () => {
  it.each<[string, unknown, boolean]>([
    [
      'socket missing',
      Object.assign(new Error('connect ENOENT /var/run/docker.sock'), { code: 'ENOENT', syscall: 'connect' }),
      true,
    ],
    ['engine refused', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), true],
    ['stream cut', new Error('socket hang up'), true],
    [
      'a missing file',
      Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT', syscall: 'open' }),
      false,
    ],
    [
      'an engine answer',
      Object.assign(new Error('(HTTP code 404) no such image'), { statusCode: 404 }),
      false,
    ],
    ['a user error', new Error('policy.yaml:3:5: bad host'), false],
  ])('%s → %s', async (_n, err, expected) => {
    const { engineGone } = await import('../../src/job/run.js');
    expect(engineGone(err)).toBe(expected);
  });
});
