// The blueprint's image, in the cheapest verified way:
//   present (expected ID, or a local build labelled with this blueprint digest)
//   → cache restore (load, verify) → pull by digest (verify) → build (verify),
// saving to the cache after a pull or build. A bad cache entry is a warning and
// a fallback; a verification failure after load, pull or build is a hard error.
import type Docker from 'dockerode';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { AuditStream, OcsfClass, type AuditSink } from '../audit/events.js';
import type { ResolvedBlueprint } from '../blueprint/resolve.js';
import { UserError } from '../errors.js';
import type { Logger } from '../log.js';
import { buildImage } from './build.js';
import type { ImageCache } from './cache.js';
import { BLUEPRINT_DIGEST_LABEL, imageCacheKey, localImageTag, throughput } from './key.js';
import { pullByDigest, verifyPulled } from './pull.js';
import { loadImageFromFile, saveImageToFile } from './stream.js';

export type ImageSource = 'present' | 'cache' | 'pull' | 'build';

export interface EnsuredImage {
  imageId: string;
  /** Local name to create containers from. */
  tag: string;
  source: ImageSource;
  cacheHit: boolean;
  cacheKey: string;
}

export interface EnsureImageOptions {
  blueprint: ResolvedBlueprint;
  docker: Docker;
  cache: ImageCache;
  logger: Logger;
  audit: AuditSink;
  /** Override of scripts/build-image.sh (tests). */
  buildScript?: string;
}

interface Inspected {
  Id: string;
  Size?: number;
  RepoDigests?: string[];
  Config?: { Labels?: Record<string, string> | null };
}

async function inspect(docker: Docker, ref: string): Promise<Inspected | undefined> {
  try {
    return (await docker.getImage(ref).inspect()) as Inspected;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
}

/** Whether an image is the blueprint's: its ID when one is pinned, else the build label. Pure. */
export function imageMatches(img: Inspected, bp: Pick<ResolvedBlueprint, 'digest' | 'spec'>): boolean {
  if (bp.spec.image.id) return img.Id === bp.spec.image.id;
  return img.Config?.Labels?.[BLUEPRINT_DIGEST_LABEL] === bp.digest;
}

function verificationError(how: string, img: Inspected, bp: ResolvedBlueprint): UserError {
  const expected = bp.spec.image.id
    ? `image ID ${bp.spec.image.id}, actual ${img.Id}`
    : `label ${BLUEPRINT_DIGEST_LABEL}=${bp.digest}, actual ${img.Config?.Labels?.[BLUEPRINT_DIGEST_LABEL] ?? 'none'} (image ${img.Id})`;
  return new UserError(`image verification failed after ${how}: expected ${expected}`, {
    where: `blueprint ${bp.name}@${bp.version} image`,
    fix: 'the bytes are not the blueprint’s; nothing was run. Clear the cache entry or check the registry/recipe',
  });
}

/**
 * What a locally built image must match: the blueprint digest covers the recipe's
 * inputs (image/), and the recipe script itself is mixed in, so a changed build
 * script never reuses an image or cache entry built by the old one.
 */
export function buildIdentity(blueprintDigest: string, recipeScript: string): string {
  return `sha256:${createHash('sha256').update(`${blueprintDigest}\n`).update(recipeScript).digest('hex')}`;
}

export async function ensureImage(opts: EnsureImageOptions): Promise<EnsuredImage> {
  const { blueprint: declared, docker, cache, logger, audit } = opts;
  const script = opts.buildScript ?? (await import('../paths.js')).assetPath('scripts', 'build-image.sh');
  const bp: ResolvedBlueprint =
    declared.spec.build && !declared.spec.image.id && existsSync(script)
      ? { ...declared, digest: buildIdentity(declared.digest, readFileSync(script, 'utf8')) }
      : declared;
  const key = imageCacheKey(bp);
  const tag = localImageTag(bp);
  const done = (img: Inspected, source: ImageSource): EnsuredImage => {
    audit.emit(AuditStream.Config, {
      ...OcsfClass.DeviceConfigState,
      activity: 'image',
      message: `sandbox image from ${source}`,
      source,
      image_id: img.Id,
      tag,
      cache_key: key,
      cache_kind: cache.kind,
      blueprint: `${bp.name}@${bp.version}`,
      blueprint_digest: declared.digest,
      build_identity: bp.digest === declared.digest ? null : bp.digest,
      reference: bp.spec.image.reference ?? null,
    });
    logger.info(`Sandbox image ${tag} = ${img.Id} (${source})`);
    return { imageId: img.Id, tag, source, cacheHit: source === 'cache', cacheKey: key };
  };
  const tagAs = async (id: string) => {
    const [repo, t] = tag.split(':') as [string, string];
    await docker.getImage(id).tag({ repo, tag: t });
  };

  // 1. Already here.
  const present = await inspect(docker, bp.spec.image.id ?? tag);
  if (present && imageMatches(present, bp)) {
    if (bp.spec.image.id) await tagAs(present.Id);
    return done(present, 'present');
  }

  // 2. Cache.
  const restored = await logger.group(`Image: restore ${key} from the ${cache.kind} cache`, async () => {
    const started = performance.now();
    const file = await cache.restore(key);
    if (!file) {
      logger.info('Cache miss.');
      return undefined;
    }
    let loaded: { ids: string[]; tags: string[] };
    try {
      const size = statSync(file).size;
      loaded = await loadImageFromFile(docker, file);
      logger.info(`Loaded ${throughput(size, performance.now() - started)} (compressed)`);
    } catch (err) {
      logger.warn(
        `Image cache entry ${key} is corrupt or truncated (${(err as Error).message}); discarding it and falling back.`,
      );
      await cache.discard(key, file);
      return undefined;
    }
    if (cache.kind !== 'local') rmSync(file, { force: true });
    const img = await inspect(docker, loaded.ids[0] ?? loaded.tags[0]!);
    if (!img || !imageMatches(img, bp)) throw verificationError('cache restore', img ?? { Id: 'none' }, bp);
    await tagAs(img.Id);
    return img;
  });
  if (restored) return done(restored, 'cache');

  // 3. Pull by digest.
  let fresh: { img: Inspected; source: ImageSource } | undefined;
  const { reference, id } = bp.spec.image;
  if (reference && id) {
    fresh = await logger.group(`Image: pull ${reference}`, async () => {
      const started = performance.now();
      try {
        await pullByDigest(docker, reference);
      } catch (err) {
        if (!bp.spec.build) {
          throw new UserError(`cannot pull ${reference}: ${(err as Error).message}`, {
            where: 'blueprint.yaml image.reference',
            fix: 'make the registry reachable from the runner, or use a blueprint with a build recipe',
            cause: err,
          });
        }
        logger.warn(`Pull of ${reference} failed (${(err as Error).message}); building locally instead.`);
        return undefined;
      }
      const img = (await inspect(docker, reference))!;
      verifyPulled(img, reference, id);
      logger.info(`Pulled in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      await tagAs(img.Id);
      return { img, source: 'pull' as const };
    });
  }

  // 4. Build.
  if (!fresh && bp.spec.build) {
    fresh = await logger.group(`Image: build ${tag} from the blueprint's recipe`, async () => {
      const builtId = await buildImage({
        blueprint: bp,
        tag,
        logger,
        script,
      });
      const img = await inspect(docker, tag);
      if (!img || img.Id !== builtId || !imageMatches(img, bp))
        throw verificationError('build', img ?? { Id: builtId }, bp);
      return { img, source: 'build' as const };
    });
  }
  if (!fresh) {
    throw new UserError('the blueprint gives no way to obtain its image', {
      where: `blueprint ${bp.name}@${bp.version}`,
      fix: 'add image.reference + image.id, or a build recipe',
    });
  }

  await logger.group(`Image: save to the ${cache.kind} cache as ${key}`, async () => {
    const started = performance.now();
    const file = cache.pathFor(key);
    try {
      const size = await saveImageToFile(docker, tag, file);
      const image = fresh.img.Size ?? size;
      logger.info(
        `Compressed the ${(image / 1e6).toFixed(1)} MB image to ${(size / 1e6).toFixed(1)} MB: ${throughput(image, performance.now() - started)}`,
      );
      if (await cache.save(key, file)) logger.info('Saved.');
    } catch (err) {
      rmSync(file, { force: true });
      logger.warn(`Could not save the image to the cache: ${(err as Error).message}`);
    }
  });
  return done(fresh.img, fresh.source);
}
