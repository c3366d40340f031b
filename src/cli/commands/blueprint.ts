// `nemoclaw blueprint verify [REF]`, `nemoclaw blueprint list` and
// `nemoclaw image prepare [REF]`: the same resolution and image code as a job.
import Docker from 'dockerode';
import { Option, type Command } from 'commander';
import { nullAuditSink } from '../../audit/events.js';
import { loadIndex } from '../../blueprint/load.js';
import { DEFAULT_BLUEPRINT_REF } from '../../blueprint/ref.js';
import { localRunnerFacts } from '../../blueprint/requirements.js';
import { resolveBlueprint } from '../../blueprint/resolve.js';
import { LocalImageCache, defaultLocalCacheDir } from '../../image/cache.js';
import { ensureImage } from '../../image/ensure.js';
import { assetPath } from '../../paths.js';
import { terminalLogger } from '../logger.js';
import type { RegisterCommand } from './index.js';

interface RefFlags {
  digest?: string;
  blueprints?: string;
}

const refOptions = (cmd: Command) =>
  cmd
    .argument(
      '[ref]',
      'NAME@VERSION, NAME@latest, a directory, or an https URL to a .tar.gz',
      DEFAULT_BLUEPRINT_REF,
    )
    .addOption(new Option('--digest <sha256>', 'expected blueprint digest (required for URLs)'))
    .addOption(
      new Option('--blueprints <dir>', 'directory of published blueprints and index.yaml').hideHelp(),
    );

export const registerBlueprint: RegisterCommand = (program: Command) => {
  const bp = program.command('blueprint').description('Verify and list blueprints');
  refOptions(bp.command('verify'))
    .description(
      'Resolve and verify a blueprint (digest, policy digest, platform); exit 1 with the reason if it fails',
    )
    .action(async (ref: string, flags: RefFlags) => {
      const resolved = await resolveBlueprint({
        ref,
        ...(flags.digest ? { digest: flags.digest } : {}),
        ...(flags.blueprints ? { blueprintsDir: flags.blueprints } : {}),
        logger: terminalLogger(),
      });
      process.stdout.write(
        `${JSON.stringify({ name: resolved.name, version: resolved.version, digest: resolved.digest, dir: resolved.dir, platform: resolved.platform, files: Object.keys(resolved.files).length })}\n`,
      );
    });
  bp.command('list')
    .description('List published blueprints and their digests')
    .addOption(new Option('--blueprints <dir>', 'directory of published blueprints').hideHelp())
    .action((flags: { blueprints?: string }) => {
      const index = loadIndex(flags.blueprints ?? assetPath('blueprints'));
      for (const [name, entry] of Object.entries(index.blueprints)) {
        for (const [version, v] of Object.entries(entry.versions)) {
          process.stdout.write(
            `${name}@${version}${version === entry.latest ? ' (latest)' : ''}  ${v.digest}\n`,
          );
        }
      }
    });

  const image = program.command('image').description('The sandbox image of a blueprint');
  refOptions(image.command('prepare'))
    .description(
      `Make the blueprint's image present: local cache (${defaultLocalCacheDir()}), pull by digest, or build`,
    )
    .action(async (ref: string, flags: RefFlags) => {
      const logger = terminalLogger();
      const docker = new Docker();
      const info = (await docker.info()) as { ServerVersion?: string; DockerRootDir?: string };
      const blueprint = await resolveBlueprint({
        ref,
        ...(flags.digest ? { digest: flags.digest } : {}),
        ...(flags.blueprints ? { blueprintsDir: flags.blueprints } : {}),
        logger,
        runner: localRunnerFacts({
          ...(info.ServerVersion ? { version: info.ServerVersion } : {}),
          ...(info.DockerRootDir ? { rootDir: info.DockerRootDir } : {}),
        }),
      });
      const got = await ensureImage({
        blueprint,
        docker,
        cache: new LocalImageCache(),
        logger,
        audit: nullAuditSink,
      });
      process.stdout.write(`${JSON.stringify({ ...got, blueprintDigest: blueprint.digest })}\n`);
    });
};
