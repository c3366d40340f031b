// Reading blueprint.yaml and blueprints/index.yaml through their schemas, so a
// bad file becomes one message naming the file, the field and the fix.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { z } from 'zod';
import { UserError } from '../errors.js';
import { BlueprintIndex, BlueprintSpec } from './schema.js';

export const BLUEPRINT_FILE = 'blueprint.yaml';
export const INDEX_FILE = 'index.yaml';

function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`)
    .join('; ');
}

export function parseYamlFile<S extends z.ZodType>(path: string, schema: S, fix: string): z.infer<S> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read ${path}: ${(err as Error).message}`, { where: path, fix, cause: err });
  }
  let data: unknown;
  try {
    data = parse(text);
  } catch (err) {
    throw new UserError(`not valid YAML: ${(err as Error).message}`, { where: path, fix, cause: err });
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    // NemoClaw's blueprint.yaml has `components:`; say so instead of listing a dozen unknown keys.
    const nemoclaw = typeof data === 'object' && data !== null && 'components' in data;
    throw new UserError(
      nemoclaw
        ? 'this is a NemoClaw blueprint.yaml; it has no name, exact agent version, image ID or policy digest to verify'
        : `invalid: ${formatIssues(parsed.error)}`,
      {
        where: path,
        fix: nemoclaw ? 'convert it as described in docs/blueprints.md ("Coming from NemoClaw")' : fix,
      },
    );
  }
  return parsed.data as z.infer<S>;
}

export function loadBlueprintSpec(dir: string): BlueprintSpec {
  return parseYamlFile(
    join(dir, BLUEPRINT_FILE),
    BlueprintSpec,
    'correct the field named above (see docs/blueprints.md)',
  );
}

export function loadIndex(blueprintsDir: string): BlueprintIndex {
  return parseYamlFile(
    join(blueprintsDir, INDEX_FILE),
    BlueprintIndex,
    'regenerate it with `node scripts/check-blueprints-immutable.mjs --publish NAME@VERSION`',
  );
}
