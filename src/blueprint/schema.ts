// blueprint.yaml: what a job runs (agent, image, resources, default policy and
// inference). Parsed once here; everything downstream takes the typed value.
// Field names follow NemoClaw's blueprint where one exists (inference profiles:
// provider, model, endpoint, credential_env, timeout_secs).
import { z } from 'zod';

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
export const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;
/** A size such as `512m`, `4g`, `20G` or a byte count. */
const SIZE = /^\d+(\.\d+)?\s*([kmgt]i?b?)?$/i;

export const Platform = z.enum(['linux/amd64', 'linux/arm64']).describe('OS/architecture in Docker notation');
export type Platform = z.infer<typeof Platform>;

const size = (what: string) =>
  z
    .union([z.number().int().positive(), z.string().regex(SIZE, 'a size like 512m, 4g or a byte count')])
    .describe(what);

export const Digest = z.string().regex(SHA256_DIGEST, 'sha256:<64 lower-case hex digits>');

export const InferenceProfile = z
  .object({
    provider: z
      .string()
      .min(1)
      .describe('provider type: openai, anthropic, nvidia, ollama, vllm, openai-compatible, replay'),
    model: z.string().min(1).describe('model name sent to the provider'),
    endpoint: z.url().optional().describe('base URL of the provider API (default: the provider’s own)'),
    credential_env: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/)
      .optional()
      .describe('host env var holding the provider key (never enters the sandbox)'),
    timeout_secs: z.number().int().positive().optional().describe('per-request timeout'),
  })
  .strict()
  .describe('one inference route');

export const BlueprintSpec = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes')
      .describe('blueprint name, as in name@version'),
    version: z
      .string()
      .regex(SEMVER, 'a semantic version like 1.2.3')
      .describe('immutable version of this blueprint'),
    description: z.string().optional().describe('one line for `nemoclaw blueprint list`'),
    agent: z
      .object({
        package: z.string().min(1).describe('npm package of the agent'),
        version: z.string().regex(SEMVER, 'an exact version (no ranges)').describe('exact agent version'),
      })
      .strict()
      .describe('the agent installed in the image'),
    image: z
      .object({
        reference: z
          .string()
          .regex(/^[^@\s]+@sha256:[0-9a-f]{64}$/, 'a reference pinned by digest: registry/repo@sha256:…')
          .optional()
          .describe('registry image pinned by manifest digest; pulled when the cache misses'),
        id: Digest.optional().describe('expected image ID (config digest) after pull or load'),
        platforms: z.array(Platform).min(1).describe('platforms the image supports'),
      })
      .strict()
      .describe('the sandbox image'),
    build: z
      .object({
        recipe: z
          .literal('debootstrap')
          .describe('scripts/build-image.sh: debootstrap + Node + agent from a lockfile'),
        dir: z.string().default('image').describe('recipe inputs, relative to the blueprint directory'),
        variant: z
          .enum(['sandbox', 'test'])
          .default('sandbox')
          .describe('sandbox = with the agent; test = base + Node only'),
      })
      .strict()
      .optional()
      .describe('local build when no pinned image is available (inputs are covered by the blueprint digest)'),
    resources: z
      .object({
        cpus: z.number().positive().describe('CPU limit of the sandbox'),
        memory: size('memory limit'),
        pids: z.number().int().positive().describe('max processes in the sandbox'),
        tmp_size: size('size of the /tmp tmpfs'),
        disk: size('disk the job needs on the runner (image + workspace)').optional(),
      })
      .strict()
      .describe('sandbox limits'),
    requirements: z
      .object({
        min_cpus: z.number().positive().optional().describe('CPUs the runner needs'),
        min_memory: size('memory the runner needs').optional(),
        min_disk: size('free disk the runner needs under the Docker root').optional(),
        docker: z
          .object({
            min_version: z
              .string()
              .regex(/^\d+\.\d+(\.\d+)?$/, 'a version like 20.10')
              .describe('oldest Docker engine that works'),
          })
          .strict()
          .optional(),
        on_unmet: z
          .enum(['warn', 'fail'])
          .default('warn')
          .describe('what to do when the runner is below a minimum'),
      })
      .strict()
      .default({ on_unmet: 'warn' })
      .describe('minimum runner'),
    policy: z
      .object({
        path: z.string().min(1).describe('default egress policy, relative to the blueprint directory'),
        digest: Digest.describe('sha256 of the policy file'),
      })
      .strict()
      .describe('default egress policy'),
    inference: z
      .object({
        default_profile: z.string().min(1).describe('profile used unless the job overrides provider/model'),
        profiles: z.record(z.string(), InferenceProfile).describe('named inference routes'),
      })
      .strict()
      .refine((v) => v.default_profile in v.profiles, {
        message: 'default_profile must name one of profiles',
        path: ['default_profile'],
      })
      .describe('inference routes'),
  })
  .strict()
  .refine((v) => v.image.reference !== undefined || v.build !== undefined, {
    message: 'set image.reference (a pinned registry image) or build (a local recipe)',
    path: ['image'],
  })
  .refine((v) => v.image.reference === undefined || v.image.id !== undefined, {
    message: 'a pinned image.reference needs image.id too, so a cache restore can be verified',
    path: ['image', 'id'],
  })
  .describe('blueprint.yaml');

export type BlueprintSpec = z.infer<typeof BlueprintSpec>;
export type InferenceProfile = z.infer<typeof InferenceProfile>;

/** `blueprints/index.yaml`: every published version with its digest and per-file hashes. */
export const BlueprintIndex = z
  .object({
    blueprints: z.record(
      z.string(),
      z
        .object({
          latest: z.string().regex(SEMVER).describe('version `name@latest` resolves to'),
          versions: z.record(
            z.string().regex(SEMVER),
            z
              .object({
                digest: Digest.describe('canonical digest of the version directory'),
                files: z
                  .record(z.string(), z.string().regex(/^[0-9a-f]{64}$/))
                  .describe('relative path → sha256 hex'),
              })
              .strict(),
          ),
        })
        .strict(),
    ),
  })
  .strict()
  .describe('blueprints/index.yaml');
export type BlueprintIndex = z.infer<typeof BlueprintIndex>;

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** `512m` → bytes (binary units; `b`/`i` suffixes accepted and ignored). */
export function parseSize(value: number | string): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)/i.exec(value.trim());
  if (!m) throw new Error(`not a size: ${value}`);
  return Math.round(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!);
}
