import type { Command } from 'commander';
import { Label } from '../../constants.js';
import { UserError } from '../../errors.js';
import { cleanupJob } from '../../sandbox/cleanup.js';
import { DockerodeEngine } from '../../sandbox/docker.js';
import { terminalLogger } from '../logger.js';

function age(createdSeconds: string | undefined, nowMs: number): string {
  const s = Math.max(0, Math.round(nowMs / 1000 - Number(createdSeconds)));
  if (!Number.isFinite(s)) return '?';
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`;
}

/** `nemoclaw status` and `nemoclaw stop [JOB] [--all]`: this host's sandboxes, found by label. */
export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('List the sandboxes on this host (by label).')
    .action(async () => {
      const engine = new DockerodeEngine();
      const list = await engine.list({ [Label.Managed]: 'true' });
      if (list.length === 0) {
        process.stdout.write('No nemoclaw sandboxes on this host.\n');
        return;
      }
      const now = Date.now();
      process.stdout.write('JOB                 STATE      AGE    BLUEPRINT\n');
      for (const c of list) {
        const l = c.labels;
        process.stdout.write(
          `${(l[Label.Job] ?? '?').padEnd(19)} ${c.state.padEnd(10)} ${age(l[Label.Created], now).padEnd(6)} ${l[Label.Blueprint] ?? ''}\n`,
        );
      }
    });
  program
    .command('stop')
    .argument('[job]', 'the job id shown by `nemoclaw status`')
    .option('--all', 'stop and remove every nemoclaw sandbox on this host')
    .description("Stop and remove a job's sandbox (or all of them).")
    .action(async (job: string | undefined, flags: { all?: boolean }) => {
      const engine = new DockerodeEngine();
      const logger = terminalLogger();
      if (!job && !flags.all) {
        throw new UserError('say which sandbox to stop.', {
          where: 'nemoclaw stop',
          fix: 'pass a job id from `nemoclaw status`, or --all.',
        });
      }
      const ids = flags.all
        ? (await engine.list({ [Label.Managed]: 'true' })).map((c) => c.labels[Label.Job] ?? '')
        : [job!];
      let removed = 0;
      for (const id of [...new Set(ids)].filter(Boolean))
        removed += (await cleanupJob(engine, id, logger)).length;
      process.stdout.write(`Removed ${removed} sandbox(es).\n`);
    });
}
