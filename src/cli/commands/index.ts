import type { Command } from 'commander';
import { registerAudit } from './audit.js';
import { registerBlueprint } from './blueprint.js';
import { registerExec } from './exec.js';
import { registerOnboard } from './onboard.js';
import { registerPolicy } from './policy.js';
import { registerReplay } from './replay.js';
import { registerRun } from './run.js';
import { registerStatus } from './status.js';

/** Each subcommand lives in its own file and registers itself on the program. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [
  registerRun,
  registerOnboard,
  registerBlueprint,
  registerExec,
  registerStatus,
  registerAudit,
  registerPolicy,
  registerReplay,
];
