// Local build from the blueprint's recipe (scripts/build-image.sh). Every input
// is verified before it is used: the recipe dir is covered by the blueprint
// digest, npm ci checks each tarball's integrity, apt checks signed indexes.
import { spawn } from 'node:child_process';
import type { ResolvedBlueprint } from '../blueprint/resolve.js';
import type { Logger } from '../log.js';

export interface BuildRequest {
  blueprint: Pick<ResolvedBlueprint, 'buildDir' | 'digest' | 'spec'>;
  tag: string;
  logger: Logger;
  /** Default: the shipped scripts/build-image.sh. */
  script?: string;
}

/** Runs the recipe; resolves with the image ID it printed. Its progress lines go to the logger. */
export async function buildImage(req: BuildRequest): Promise<string> {
  const { buildDir, digest, spec } = req.blueprint;
  if (!buildDir || !spec.build) throw new Error('blueprint has no build recipe');
  // Loaded on demand: finding the package root needs the shipped tree, which a
  // bundled benchmark running from a temp dir does not have (and never builds).
  const script = req.script ?? (await import('../paths.js')).assetPath('scripts', 'build-image.sh');
  const child = spawn('bash', [script, buildDir, spec.build.variant, req.tag], {
    env: { ...process.env, NEMOCLAW_BLUEPRINT_DIGEST: digest },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let tail = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => {
    const text = c.toString();
    tail = (tail + text).slice(-4000);
    for (const line of text.split('\n')) if (line.trim()) req.logger.info(line.trim());
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const id = out.trim().split('\n').at(-1) ?? '';
      if (code === 0 && /^sha256:[0-9a-f]{64}$/.test(id)) resolve(id);
      else
        reject(
          new Error(`image build failed (exit ${code}): ${tail.trim().split('\n').slice(-5).join(' | ')}`),
        );
    });
  });
}
