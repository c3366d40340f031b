import { Command, CommanderError } from 'commander';
import { describeError } from '../errors.js';
import { commands } from './commands/index.js';

declare const NEMOCLAW_VERSION: string | undefined;

export function buildProgram(): Command {
  const program = new Command('nemoclaw')
    .description(
      'Run the OpenClaw agent in a locked-down sandbox: verified blueprints, pinned egress, audited inference.',
    )
    .version(typeof NEMOCLAW_VERSION === 'string' ? NEMOCLAW_VERSION : 'dev')
    .showHelpAfterError()
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}

/** Runs the CLI and returns the process exit code; errors become one readable message. */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    process.stderr.write(`nemoclaw: ${describeError(err)}\n`);
    return 1;
  }
}
