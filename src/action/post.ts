import * as core from '@actions/core';
import { describeError } from '../errors.js';

/** The post step: always runs; cleans up and uploads the audit log. Only warns. */
export async function runPost(): Promise<void> {
  try {
    core.info('nemoclaw-action: post');
  } catch (err) {
    core.warning(describeError(err));
  }
}
