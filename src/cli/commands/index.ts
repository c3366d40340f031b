import type { Command } from 'commander';
import { registerExec } from './exec.js';

/** Each subcommand lives in its own file and registers itself on the program. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [registerExec];
