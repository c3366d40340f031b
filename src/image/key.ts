// Cache keys and local tags for a blueprint's image. Pure.
import type { ResolvedBlueprint } from '../blueprint/resolve.js';

/** Bumped when the cache entry's format changes (docker save | zstd, one file). */
const FORMAT = 'v1';

const hex = (digest: string) => digest.replace(/^sha256:/, '');

/**
 * A pinned image is keyed by its image ID (what the bytes must hash to); a locally
 * built one by the blueprint digest, which covers every input of the recipe.
 */
export function imageCacheKey(bp: Pick<ResolvedBlueprint, 'digest' | 'platform' | 'spec'>): string {
  const what =
    bp.spec.image.reference && bp.spec.image.id ? `id-${hex(bp.spec.image.id)}` : `bp-${hex(bp.digest)}`;
  return `nemoclaw-image-${FORMAT}-${bp.platform.replace('/', '-')}-${what}`;
}

/** The local tag of a blueprint's image: `nemoclaw/openclaw:0.1.0-<12 hex of the blueprint digest>`. */
export function localImageTag(bp: Pick<ResolvedBlueprint, 'name' | 'version' | 'digest'>): string {
  return `nemoclaw/${bp.name}:${bp.version}-${hex(bp.digest).slice(0, 12)}`;
}

export const BLUEPRINT_DIGEST_LABEL = 'io.nemoclaw.blueprint-digest';

/** `1.5 GB in 12.0 s (125 MB/s)` for progress lines. */
export function throughput(bytes: number, ms: number): string {
  const mb = bytes / 1e6;
  const s = Math.max(ms, 1) / 1000;
  return `${mb.toFixed(1)} MB in ${s.toFixed(1)} s (${(mb / s).toFixed(0)} MB/s)`;
}
