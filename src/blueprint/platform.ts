// The runner's OS/arch in Docker's notation, and whether a blueprint supports it.
import { UserError } from '../errors.js';
import type { BlueprintSpec, Platform } from './schema.js';

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64' };

/** `linux/amd64` for Node's `linux`/`x64`; undefined parts stay visible (`darwin/x64`). */
export function dockerPlatform(os: string, arch: string): string {
  return `${os}/${ARCH[arch] ?? arch}`;
}

/** Refuses a runner the blueprint does not support, naming both sides. Pure. */
export function checkPlatform(spec: BlueprintSpec, os: string, arch: string): Platform {
  const want = dockerPlatform(os, arch);
  const hit = spec.image.platforms.find((p) => p === want);
  if (!hit) {
    throw new UserError(
      `blueprint ${spec.name}@${spec.version} does not support this runner (${want}); it supports ${spec.image.platforms.join(', ')}`,
      {
        where: 'blueprint.yaml image.platforms',
        fix: `run the job on a ${spec.image.platforms.join(' or ')} runner (e.g. runs-on: ubuntu-latest)`,
      },
    );
  }
  return hit;
}
