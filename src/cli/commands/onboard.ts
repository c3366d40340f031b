import type { Command } from 'commander';
import Docker from 'dockerode';
import { nullAuditSink } from '../../audit/events.js';
import { DEFAULT_BLUEPRINT_REF } from '../../blueprint/ref.js';
import { unmetRequirements } from '../../blueprint/requirements.js';
import { resolveBlueprint } from '../../blueprint/resolve.js';
import { describeError } from '../../errors.js';
import { defaultLocalCacheDir, LocalImageCache } from '../../image/cache.js';
import { ensureImage } from '../../image/ensure.js';
import { runnerFacts } from '../../job/context.js';
import { DockerodeEngine } from '../../sandbox/docker.js';
import { runtimeProblem } from '../../sandbox/gvisor.js';
import { DAEMON_JSON, registerGvisor } from '../../sandbox/gvisor-host.js';
import { terminalLogger } from '../logger.js';

interface Check {
  ok: boolean;
  what: string;
  fix?: string;
}

const line = (c: Check) => `${c.ok ? '✓' : '✗'} ${c.what}${c.ok || !c.fix ? '' : `\n    fix: ${c.fix}`}`;

/**
 * `nemoclaw onboard [REF]`: checks this host against the blueprint (engine,
 * version, CPU, memory, disk, architecture), prepares the image, and says
 * exactly what to fix. Exit 0 when the host is ready.
 */
export function registerOnboard(program: Command): void {
  program
    .command('onboard')
    .argument('[ref]', 'blueprint to check against', DEFAULT_BLUEPRINT_REF)
    .description('Check this host (Docker, CPU, memory, disk, architecture) and prepare the sandbox image.')
    .option(
      '--register-gvisor',
      `register gVisor (runsc) in ${DAEMON_JSON} for sandbox-runtime: runsc (root)`,
    )
    .action(async (ref: string, opts: { registerGvisor?: boolean }) => {
      const logger = terminalLogger();
      const checks: Check[] = [];
      const report = () => process.stdout.write(checks.map(line).join('\n') + '\n');
      const docker = new Docker();
      let version: string;
      try {
        version = (await docker.version()).Version;
        checks.push({ ok: true, what: `Docker engine answers (version ${version})` });
      } catch (err) {
        checks.push({
          ok: false,
          what: `no Docker engine answers (${describeError(err)})`,
          fix: 'install and start it: `apt-get install -y docker.io iptables && dockerd &` (scripts/setup-host.sh does this), or set DOCKER_HOST.',
        });
        report();
        process.exitCode = 1;
        return;
      }
      if (opts.registerGvisor) {
        try {
          const changed = registerGvisor();
          checks.push({
            ok: true,
            what: changed
              ? `gVisor registered in ${DAEMON_JSON}; the engine reloaded it`
              : `gVisor already registered in ${DAEMON_JSON}`,
          });
        } catch (err) {
          checks.push({ ok: false, what: describeError(err) });
        }
      }
      // Optional: only jobs with sandbox-runtime: runsc need it, so it never fails onboarding.
      const gvisor = runtimeProblem('runsc', await new DockerodeEngine(docker).runtimes());
      checks.push({
        ok: true,
        what: gvisor
          ? `gVisor not available (${gvisor}): sandbox-runtime runsc needs \`nemoclaw onboard --register-gvisor\``
          : 'gVisor (runsc) registered: sandbox-runtime runsc is available',
      });
      const facts = await runnerFacts(docker);
      try {
        const bp = await resolveBlueprint({ ref, logger });
        checks.push({
          ok: true,
          what: `blueprint ${bp.name}@${bp.version} verified (${bp.digest}), platform ${bp.platform}`,
        });
        const unmet = unmetRequirements(bp.spec.requirements, facts);
        for (const u of unmet)
          checks.push({
            ok: false,
            what: u,
            fix: 'use a larger machine, or a blueprint with smaller requirements.',
          });
        if (unmet.length === 0)
          checks.push({ ok: true, what: 'CPU, memory, disk and Docker version meet the blueprint' });
        const image = await ensureImage({
          blueprint: bp,
          docker,
          cache: new LocalImageCache(defaultLocalCacheDir()),
          logger,
          audit: nullAuditSink,
        });
        checks.push({ ok: true, what: `sandbox image ${image.tag} ready (${image.source})` });
      } catch (err) {
        checks.push({ ok: false, what: describeError(err) });
      }
      report();
      process.exitCode = checks.every((c) => c.ok) ? 0 : 1;
    });
}
