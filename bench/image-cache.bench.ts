// Image cache: warm restore (cache file → loaded, verified, tagged image via
// ensureImage) as a ratio to `zstd -dc file | docker load` of the same file,
// and this process's peak RSS while saving and restoring a ≥ 2 GB image.
// Targets: ratio ≤ 1.15; RSS flat, ≤ 200 MB.
//   node bench/run.mjs image-cache [SIZE_MB=2048] [ROUNDS=2]
// Builds a throwaway image from incompressible random data and removes it after.
import Docker from 'dockerode';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nullAuditSink } from '../src/audit/events.js';
import type { ResolvedBlueprint } from '../src/blueprint/resolve.js';
import { LocalImageCache } from '../src/image/cache.js';
import { ensureImage } from '../src/image/ensure.js';
import { imageCacheKey } from '../src/image/key.js';
import { saveImageToFile } from '../src/image/stream.js';
import { silentLogger } from '../src/log.js';

const sizeMb = Number(process.argv[2] ?? 2048);
const rounds = Number(process.argv[3] ?? 2);
const TAG = 'nemoclaw-bench/big:latest';
const docker = new Docker();
const sh = (cmd: string) =>
  execFileSync('sh', ['-c', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
const rmi = () =>
  sh(
    `docker rmi -f ${TAG} >/dev/null 2>&1; docker image prune -f --filter label=io.nemoclaw.bench=image-cache >/dev/null 2>&1; true`,
  );

/** Peak RSS while `fn` runs, sampled every 20 ms (maxRSS is the whole process's lifetime). */
async function peakRss<T>(fn: () => Promise<T>): Promise<{ value: T; peakMb: number; ms: number }> {
  global.gc?.();
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  const started = performance.now();
  try {
    const value = await fn();
    return {
      value,
      peakMb: Math.round(Math.max(peak, process.memoryUsage.rss()) / 2 ** 20),
      ms: performance.now() - started,
    };
  } finally {
    clearInterval(timer);
  }
}

global.gc?.();
const rssBeforeMb = Math.round(process.memoryUsage.rss() / 2 ** 20);
const tmp = mkdtempSync(join(tmpdir(), 'nemoclaw-bench-cache-'));
try {
  // A ≥ 2 GB image of random bytes: nothing compresses, nothing is shared with other images.
  mkdirSync(join(tmp, 'root'));
  sh(`head -c ${sizeMb}M /dev/urandom > ${tmp}/root/blob && echo x > ${tmp}/root/marker`);
  const id = sh(`tar -C ${tmp}/root -c . | docker import -c 'LABEL io.nemoclaw.bench=image-cache' - ${TAG}`);
  rmSync(join(tmp, 'root'), { recursive: true });
  const imageBytes = ((await docker.getImage(TAG).inspect()) as { Size: number }).Size;

  const blueprint = {
    name: 'bench',
    version: '0.0.0',
    digest: `sha256:${'0'.repeat(64)}`,
    platform: 'linux/amd64',
    spec: {
      image: { reference: `nemoclaw-bench/big@sha256:${'1'.repeat(64)}`, id, platforms: ['linux/amd64'] },
    },
  } as unknown as ResolvedBlueprint;
  const cache = new LocalImageCache(join(tmp, 'cache'));
  const key = imageCacheKey(blueprint);
  const partial = cache.pathFor(key);
  const save = await peakRss(() => saveImageToFile(docker, TAG, partial));
  await cache.save(key, partial);
  const file = (await cache.restore(key))!;

  const baseline: number[] = [];
  const ours: number[] = [];
  let restorePeak = 0;
  for (let i = 0; i < rounds; i++) {
    rmi();
    let t = performance.now();
    sh(`zstd -dc -q ${file} | docker load -q >/dev/null`);
    baseline.push(performance.now() - t);
    rmi();
    t = performance.now();
    const r = await peakRss(() =>
      ensureImage({ blueprint, docker, cache, logger: silentLogger, audit: nullAuditSink }),
    );
    ours.push(performance.now() - t);
    if (r.value.source !== 'cache' || r.value.imageId !== id)
      throw new Error(`restore went wrong: ${JSON.stringify(r.value)}`);
    restorePeak = Math.max(restorePeak, r.peakMb);
    sh(`docker rmi -f ${r.value.tag} >/dev/null 2>&1 || true`);
  }
  const best = (xs: number[]) => Math.min(...xs);
  console.log(
    JSON.stringify({
      image_bytes: imageBytes,
      cache_file_bytes: statSync(file).size,
      rounds,
      restore_ratio: +(best(ours) / best(baseline)).toFixed(3),
      restore_ms: Math.round(best(ours)),
      baseline_zstd_docker_load_ms: Math.round(best(baseline)),
      save_ms: Math.round(save.ms),
      save_mb_per_s: Math.round(imageBytes / 1e6 / (save.ms / 1000)),
      rss_idle_mb: rssBeforeMb,
      peak_rss_save_mb: save.peakMb,
      peak_rss_restore_mb: restorePeak,
      max_rss_process_mb: Math.round(process.resourceUsage().maxRSS / 1024),
      targets: { restore_ratio: 1.15, peak_rss_mb: 200 },
    }),
  );
} finally {
  rmi();
  rmSync(tmp, { recursive: true, force: true });
}
