// End-of-job view of egress: one row per host:port, and a policy patch that
// would allow what was denied, as narrowly as the events allow (exact host and
// port; for requests seen at L7, the methods and paths actually used). The
// patch is a suggestion for a maintainer's pull request, never applied here.
import { stringify } from 'yaml';
import { classifyHost, hostPatternProblem } from '../policy/host.js';
import type { EgressEvent, EgressOutcome } from './events.js';

export interface HostSummary {
  host: string;
  port: number;
  count: number;
  allowed: number;
  denied: number;
  /** The strictest outcome seen: deny > would_deny > allow. */
  decision: EgressOutcome;
  rule?: string;
  internal?: boolean;
}

export interface EgressSummary {
  hosts: HostSummary[];
  deniedHosts: string[];
  /** YAML to add to the job's policy, or undefined when nothing was denied. */
  suggestedPatch?: string;
}

const RANK: Record<EgressOutcome, number> = { allow: 0, would_deny: 1, deny: 2 };
const MAX_EXACT_PATHS = 5;

/** Exact paths when few, else the longest common directory prefix plus `/**`. */
export function narrowPaths(paths: readonly string[]): string[] {
  const unique = [...new Set(paths)].sort();
  if (unique.length <= MAX_EXACT_PATHS) return unique;
  const split = unique.map((p) => p.split('/'));
  const common: string[] = [];
  for (let i = 0; ; i++) {
    const seg = split[0]![i];
    if (seg === undefined || !split.every((s) => s[i] === seg && i < s.length - 1)) break;
    common.push(seg);
  }
  return [`${common.join('/')}/**`.replace(/^\/?/, '/')];
}

function escapeGlob(path: string): string {
  // A literal `*` in a seen path would widen the rule; `?` likewise.
  return path.replace(/[*?]/g, '?');
}

export function summarizeEgress(events: readonly EgressEvent[]): EgressSummary {
  const rows = new Map<string, HostSummary>();
  const deniedL7 = new Map<string, Map<string, string[]>>();
  const deniedL4 = new Set<string>();
  for (const e of events) {
    // An inspected tunnel's requests carry the decisions; its CONNECT event would double count.
    if (e.inspected) continue;
    const key = `${e.host}:${e.port}`;
    const row = rows.get(key) ?? {
      host: e.host,
      port: e.port,
      count: 0,
      allowed: 0,
      denied: 0,
      decision: 'allow' as EgressOutcome,
    };
    row.count++;
    if (e.decision === 'allow') row.allowed++;
    else row.denied++;
    if (RANK[e.decision] > RANK[row.decision] || (row.rule === undefined && e.rule)) {
      if (RANK[e.decision] >= RANK[row.decision]) row.decision = e.decision;
      if (e.rule) row.rule = e.rule;
    }
    if (e.internal) row.internal = true;
    rows.set(key, row);
    if (e.decision === 'allow' || e.layer === 'ssrf' || e.internal) continue;
    const h = classifyHost(e.host);
    if (
      h.kind === 'invalid' ||
      (h.kind === 'ip' && !h.canonical) ||
      e.port === 0 ||
      hostPatternProblem(h.host)
    )
      continue;
    const norm = `${h.host}:${e.port}`;
    if (e.method === undefined) deniedL4.add(norm);
    else {
      const byMethod = deniedL7.get(norm) ?? new Map<string, string[]>();
      const list = byMethod.get(e.method) ?? [];
      list.push(escapeGlob(e.path ?? '/'));
      byMethod.set(e.method, list);
      deniedL7.set(norm, byMethod);
    }
  }
  const hosts = [...rows.values()].sort(
    (a, b) => RANK[b.decision] - RANK[a.decision] || b.count - a.count || a.host.localeCompare(b.host),
  );
  const deniedHosts = [
    ...new Set(hosts.filter((h) => h.decision !== 'allow').map((h) => `${h.host}:${h.port}`)),
  ];
  const endpoints: Record<string, unknown>[] = [];
  const split = (k: string) => {
    const i = k.lastIndexOf(':');
    return { host: k.slice(0, i), port: Number(k.slice(i + 1)) };
  };
  for (const k of [...deniedL4].sort()) {
    if (deniedL7.has(k)) continue;
    endpoints.push(split(k));
  }
  for (const [k, byMethod] of [...deniedL7].sort(([a], [b]) => a.localeCompare(b))) {
    const rules = [...byMethod]
      .sort(([a], [b]) => a.localeCompare(b))
      .flatMap(([method, paths]) => narrowPaths(paths).map((path) => ({ allow: { method, path } })));
    endpoints.push({ ...split(k), protocol: 'rest', rules });
  }
  if (endpoints.length === 0) return { hosts, deniedHosts };
  const yaml = stringify(
    { version: 1, network_policies: { 'suggested-by-nemoclaw': { endpoints } } },
    { lineWidth: 0 },
  );
  return {
    hosts,
    deniedHosts,
    suggestedPatch: `# Requests this job was denied. Review, then add to the job's policy by pull request.\n${yaml}`,
  };
}
