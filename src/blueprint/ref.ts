// The `blueprint` input's forms, told apart without touching the disk. Pure.
import { UserError } from '../errors.js';
import { SHA256_DIGEST } from './schema.js';

export type BlueprintRef =
  | { kind: 'index'; name: string; version: string | 'latest' }
  | { kind: 'path'; path: string }
  | { kind: 'url'; url: string };

export const DEFAULT_BLUEPRINT_REF = 'openclaw@latest';

const WHERE = 'input "blueprint"';
const FIX =
  'use NAME@VERSION (e.g. openclaw@0.1.0), NAME@latest, a directory path, or an https URL to a .tar.gz';

export function parseBlueprintRef(input: string): BlueprintRef {
  const ref = input.trim() || DEFAULT_BLUEPRINT_REF;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(ref)) {
    const u = new URL(ref);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') {
      throw new UserError(`unsupported URL scheme ${u.protocol} in "${ref}"`, { where: WHERE, fix: FIX });
    }
    if (u.username || u.password) {
      throw new UserError('blueprint URL must not carry credentials', {
        where: WHERE,
        fix: 'remove user:password@ from the URL',
      });
    }
    return { kind: 'url', url: ref };
  }
  const m = /^([a-z0-9][a-z0-9-]*)@(latest|\d+\.\d+\.\d+[0-9A-Za-z.+-]*)$/.exec(ref);
  if (m) return { kind: 'index', name: m[1]!, version: m[2]! };
  if (ref.includes('@') && !ref.includes('/')) {
    throw new UserError(`"${ref}" is not NAME@VERSION`, { where: WHERE, fix: FIX });
  }
  return { kind: 'path', path: ref };
}

/** The `blueprint-digest` input: empty = no pin. */
export function parseDigestPin(input: string | undefined): string | undefined {
  const v = input?.trim();
  if (!v) return undefined;
  if (!SHA256_DIGEST.test(v)) {
    throw new UserError(`"${v}" is not a blueprint digest`, {
      where: 'input "blueprint-digest"',
      fix: 'pass sha256:<64 lower-case hex digits>, as printed by `nemoclaw blueprint verify`',
    });
  }
  return v;
}
