// Loading policies: files and preset names, `extends:` resolved depth-first,
// everything merged into one Policy with a digest over its canonical JSON.
// Bad YAML and schema violations become UserErrors with file:line:column.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { UserError } from '../errors.js';
import { assetPath } from '../paths.js';
import { positionOf } from './position.js';
import { PolicySchema, type Endpoint, type Policy } from './schema.js';

export interface LoadedPolicy {
  policy: Policy;
  /** `sha256:` of the canonical JSON of the merged policy. */
  digest: string;
  /** Files read, in merge order (presets as their shipped path). */
  sources: string[];
  warnings: string[];
}

export const PRESET_NAMES = [
  'github-read',
  'github-write',
  'npm',
  'pypi',
  'debian',
  'openai',
  'anthropic',
  'nvidia',
];

function presetPath(name: string): string | undefined {
  if (!/^[a-z0-9-]+$/.test(name)) return undefined;
  const p = assetPath('policies', `${name}.yaml`);
  return existsSync(p) ? p : undefined;
}

/** A reference is a preset name, or a path (relative to `base`). */
export function resolveRef(ref: string, base: string): string {
  const preset = presetPath(ref);
  const asFile = isAbsolute(ref) ? ref : resolve(base, ref);
  if (existsSync(asFile)) return asFile;
  if (preset) return preset;
  throw new UserError(`policy "${ref}" is neither a file nor a preset`, {
    where: asFile,
    fix: `give a policy file path, or one of the presets: ${PRESET_NAMES.join(', ')}`,
  });
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  return issue.message;
}

/** Parses and validates one file's text; `file` only labels errors. */
export function parsePolicyText(text: string, file: string): Policy {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false });
  const yamlErr = doc.errors[0];
  if (yamlErr) {
    const p = counter.linePos(yamlErr.pos[0]);
    throw new UserError(`invalid YAML: ${yamlErr.message.split('\n')[0]}`, {
      where: `${file}:${p.line}:${p.col}`,
      fix: 'fix the YAML syntax (indentation, quotes, colons)',
    });
  }
  const parsed = PolicySchema.safeParse(doc.toJS());
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const unknown = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
    const pos = positionOf(doc, counter, issue.path, unknown);
    const keyPath = [...issue.path, ...(unknown ? [unknown] : [])].map(String).join('.');
    return `${file}:${pos ? `${pos.line}:${pos.col}` : '1:1'}: ${keyPath ? `${keyPath}: ` : ''}${issueMessage(issue)}`;
  });
  const first = lines[0]!;
  const where = first.slice(0, first.indexOf(': '));
  throw new UserError(`invalid policy:\n${lines.join('\n')}`, {
    where,
    fix: 'see the policy format in policies/README.md (OpenShell-compatible)',
  });
}

function mergeInto(into: Policy, from: Policy): void {
  for (const [name, np] of Object.entries(from.network_policies ?? {})) {
    into.network_policies ??= {};
    const existing = into.network_policies[name];
    if (existing) {
      existing.endpoints.push(...np.endpoints);
      if (np.binaries) existing.binaries = [...(existing.binaries ?? []), ...np.binaries];
    } else {
      into.network_policies[name] = structuredClone(np);
    }
  }
  if (from.filesystem_policy) {
    const fs = (into.filesystem_policy ??= {});
    const add = (a: string[] | undefined, b: string[] | undefined) =>
      b ? [...new Set([...(a ?? []), ...b])] : a;
    const ro = add(fs.read_only, from.filesystem_policy.read_only);
    const rw = add(fs.read_write, from.filesystem_policy.read_write);
    if (ro) fs.read_only = ro;
    if (rw) fs.read_write = rw;
    if (from.filesystem_policy.include_workdir !== undefined)
      fs.include_workdir = from.filesystem_policy.include_workdir;
  }
  if (from.process) into.process = { ...into.process, ...from.process };
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Loads files and/or preset names, resolving `extends`, and merges them in order. */
export function loadPolicies(refs: readonly string[], cwd = process.cwd()): LoadedPolicy {
  const merged: Policy = { version: 1, network_policies: {} };
  const sources: string[] = [];
  const warnings: string[] = [];
  const visiting = new Set<string>();
  const visit = (file: string) => {
    if (sources.includes(file)) return;
    if (visiting.has(file)) {
      throw new UserError('policy extends itself (cycle)', {
        where: file,
        fix: 'remove the circular extends',
      });
    }
    visiting.add(file);
    const policy = parsePolicyText(readFileSync(file, 'utf8'), file);
    const parents = policy.extends === undefined ? [] : [policy.extends].flat();
    for (const parent of parents) visit(resolveRef(parent, dirname(file)));
    for (const [name, np] of Object.entries(policy.network_policies ?? {})) {
      if (np.binaries?.length) {
        warnings.push(
          `${file}: network_policies.${name}.binaries is advisory: the proxy cannot tell which program inside the sandbox opened a connection, so every program may use these endpoints`,
        );
      }
    }
    mergeInto(merged, policy);
    visiting.delete(file);
    sources.push(file);
  };
  for (const ref of refs) visit(resolveRef(ref, cwd));
  return {
    policy: merged,
    digest: `sha256:${createHash('sha256').update(canonicalJson(merged)).digest('hex')}`,
    sources,
    warnings,
  };
}

/**
 * The `allow-hosts` input: `host[:port]` entries (comma or whitespace separated)
 * become one extra L4 network policy named `allow-hosts`.
 */
export function allowHostsPolicy(list: string, where = 'input "allow-hosts"'): Policy | undefined {
  const entries = list.split(/[\s,]+/).filter(Boolean);
  if (entries.length === 0) return undefined;
  const endpoints: Endpoint[] = entries.map((entry) => {
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(entry);
    const port = m?.[2] === undefined ? 443 : Number(m[2]);
    if (!m || port < 1 || port > 65535) {
      throw new UserError(`"${entry}" is not host or host:port`, {
        where,
        fix: 'write e.g. example.com or example.com:8443',
      });
    }
    return { host: m[1]!, port };
  });
  const parsed = PolicySchema.safeParse({ version: 1, network_policies: { 'allow-hosts': { endpoints } } });
  if (!parsed.success) {
    throw new UserError(parsed.error.issues.map((i) => i.message).join('; '), {
      where,
      fix: 'list exact hosts (or "*.example.com"), as host or host:port',
    });
  }
  return parsed.data;
}

/** Adds an extra policy (e.g. from allow-hosts) to a loaded one, recomputing the digest. */
export function withExtraPolicy(loaded: LoadedPolicy, extra: Policy | undefined): LoadedPolicy {
  if (!extra) return loaded;
  const policy = structuredClone(loaded.policy);
  mergeInto(policy, extra);
  return {
    ...loaded,
    policy,
    digest: `sha256:${createHash('sha256').update(canonicalJson(policy)).digest('hex')}`,
    sources: [...loaded.sources, '(allow-hosts)'],
  };
}
