import * as core from '@actions/core';
import { describeError } from '../errors.js';

/** The action's main step. Filled in by the job runner; every failure ends as one clear message. */
export async function runMain(): Promise<void> {
  try {
    core.info('nemoclaw-action: main');
  } catch (err) {
    core.setFailed(describeError(err));
  }
}
