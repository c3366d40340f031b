import type { Command } from 'commander';
import { readAuditDir, verifyAuditDir } from '../../audit/read.js';
import { renderAudit } from '../../audit/render.js';

/** `nemoclaw audit show DIR` and `nemoclaw audit verify DIR`. */
export function registerAudit(program: Command): void {
  const audit = program
    .command('audit')
    .description('Read an audit directory (from `nemoclaw run` or an artifact).');
  audit
    .command('show')
    .argument('<dir>', 'audit directory')
    .description('Egress decisions, inference calls and the timeline, for people.')
    .action((dir: string) => {
      process.stdout.write(renderAudit(readAuditDir(dir)));
    });
  audit
    .command('verify')
    .argument('<dir>', 'audit directory')
    .description("Check every stream's hash chain and the manifest's file hashes.")
    .action((dir: string) => {
      const problems = verifyAuditDir(dir);
      for (const p of problems) process.stderr.write(`${p}\n`);
      process.stdout.write(
        problems.length === 0 ? `${dir}: intact\n` : `${dir}: ${problems.length} problem(s)\n`,
      );
      process.exitCode = problems.length === 0 ? 0 : 1;
    });
}
