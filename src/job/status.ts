import { JobStatus } from '../constants.js';

export interface Outcome {
  /** The agent's exit code; null when it never reported one (killed, never started). */
  agentExitCode: number | null;
  /** The agent's own verdict from its JSON envelope. */
  agentOk: boolean;
  timedOut: boolean;
  cancelled: boolean;
  budgetExceeded: boolean;
  /** Requests the policy blocked (enforce) or would have blocked (audit). */
  denials: number;
  enforcement: 'enforce' | 'audit';
  /** An error outside the agent (blueprint, image, sandbox, …). */
  error: string | undefined;
}

/**
 * The job's status and the sentence that explains it. Order matters: what
 * ended the run wins over what happened during it, and a blocked request is
 * never hidden behind an otherwise successful run.
 */
export function decideStatus(o: Outcome): { status: JobStatus; reason: string } {
  const blocked = `${o.denials} request(s) to undeclared hosts ${o.enforcement === 'enforce' ? 'were blocked' : 'would have been blocked'}`;
  if (o.cancelled)
    return { status: JobStatus.Failure, reason: 'The job was cancelled; the sandbox was stopped.' };
  if (o.error) return { status: JobStatus.Failure, reason: o.error };
  if (o.timedOut || o.agentExitCode === 2) {
    return { status: JobStatus.Timeout, reason: 'The agent ran out of time and was stopped.' };
  }
  if (o.budgetExceeded) {
    return {
      status: JobStatus.BudgetExceeded,
      reason: 'The inference budget was used up; the gateway refused further calls.',
    };
  }
  if (o.denials > 0 && o.enforcement === 'enforce') {
    const how =
      o.agentExitCode === 0 && o.agentOk ? 'The agent finished, but' : 'The agent did not finish, and';
    return { status: JobStatus.PolicyViolation, reason: `${how} ${blocked}.` };
  }
  if (o.agentExitCode === 0 && o.agentOk) {
    return {
      status: JobStatus.Success,
      reason: o.denials > 0 ? `The agent finished; ${blocked} (audit mode).` : 'The agent finished the task.',
    };
  }
  return {
    status: JobStatus.Failure,
    reason:
      o.agentExitCode === null
        ? 'The agent did not report a result.'
        : `The agent failed (exit code ${o.agentExitCode}).`,
  };
}
