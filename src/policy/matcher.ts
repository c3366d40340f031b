// The pure decision: (compiled policy, request) → allow/deny with the policy
// and rule that decided and a reason a person (or the agent) can act on.
// CONNECT-time calls carry no method: L4 endpoints decide there; `rest`
// endpoints answer `inspect: true` so the proxy terminates TLS and asks again
// per request with method/path/query.
import type { BlockList } from 'node:net';
import { classifyHost } from './host.js';
import { globToRegExp } from './glob.js';
import { ACCESS_METHODS, blockListOf, type Endpoint, type Policy, type RequestRule } from './schema.js';

export interface EgressRequest {
  host: string;
  port: number;
  /** Absent at CONNECT time (L4). */
  method?: string;
  path?: string;
  /** Raw query string without "?". */
  query?: string;
}

export type Enforcement = 'enforce' | 'audit';

export interface Decision {
  decision: 'allow' | 'deny';
  /** True when the policy denies but enforcement is audit: let through, record would_deny. */
  wouldDeny: boolean;
  enforcement: Enforcement;
  layer: 'l4' | 'l7';
  /** At CONNECT: the tunnel must be terminated and each request checked. */
  inspect: boolean;
  policy?: string;
  rule?: string;
  reason: string;
  /** Private ranges the matching endpoints allow the host to resolve to. */
  allowedIps?: BlockList;
}

interface CompiledRule {
  method: string | undefined;
  path: RegExp | undefined;
  query: Array<[string, RegExp[]]> | undefined;
  id: string;
}

interface CompiledEndpoint {
  policy: string;
  id: string;
  ports: Set<number>;
  l7: boolean;
  methods: Set<string> | undefined;
  rules: CompiledRule[];
  deny: CompiledRule[];
  enforcement: Enforcement | undefined;
  allowedIps: BlockList | undefined;
}

export interface MatcherOptions {
  /** Job-wide override (action input `enforcement`): audit lets every denial through as would_deny. */
  enforcement?: Enforcement;
}

export interface Matcher {
  match(req: EgressRequest): Decision;
}

function compileRule(r: RequestRule, id: string): CompiledRule {
  return {
    method: r.method === undefined || r.method === '*' ? undefined : r.method.toUpperCase(),
    path: r.path === undefined ? undefined : globToRegExp(r.path),
    query:
      r.query === undefined
        ? undefined
        : Object.entries(r.query).map(([k, v]) => [
            k,
            (Array.isArray(v) ? v : [v]).map((g) => globToRegExp(g, false)),
          ]),
    id,
  };
}

function compileEndpoint(policy: string, index: number, e: Endpoint): CompiledEndpoint {
  const id = `${policy}.endpoints[${index}]`;
  const methods =
    e.access === undefined || e.access === 'full' ? undefined : new Set<string>(ACCESS_METHODS[e.access]);
  return {
    policy,
    id,
    ports: new Set(e.ports ?? [e.port ?? 443]),
    l7: e.protocol === 'rest',
    methods: e.access === undefined ? new Set() : methods,
    rules: (e.rules ?? []).map((r, i) => compileRule(r.allow, `${id}.rules[${i}]`)),
    deny: (e.deny_rules ?? []).map((r, i) => compileRule(r, `${id}.deny_rules[${i}]`)),
    enforcement: e.enforcement,
    allowedIps: e.allowed_ips ? blockListOf(e.allowed_ips) : undefined,
  };
}

function ruleMatches(r: CompiledRule, method: string, path: string, query: URLSearchParams): boolean {
  if (r.method !== undefined && r.method !== method) return false;
  if (r.path !== undefined && !r.path.test(path)) return false;
  if (r.query !== undefined) {
    for (const [key, globs] of r.query) {
      const values = query.getAll(key);
      if (!values.some((v) => globs.some((g) => g.test(v)))) return false;
    }
  }
  return true;
}

/** Why a request path is not canonical (dot segments, encoded dots/slashes tricks), or undefined. */
export function pathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'request path must start with "/"';
  if (/[\0\\]/.test(path)) return 'request path contains NUL or backslash';
  let decoded: string;
  try {
    decoded = decodeURIComponent(path.replace(/%2f/gi, '%252F'));
  } catch {
    return 'request path has malformed percent-encoding';
  }
  if (decoded.split('/').some((s) => s === '.' || s === '..')) return 'request path contains dot segments';
  return undefined;
}

/** Percent-decodes unreserved characters so `/%61pi` and `/api` are the same path to a rule. */
function canonicalPath(path: string): string {
  return path.replace(/%([0-9a-fA-F]{2})/g, (m, hex: string) => {
    const c = String.fromCharCode(parseInt(hex, 16));
    return /[A-Za-z0-9\-._~]/.test(c) ? c : m.toUpperCase();
  });
}

export function compilePolicy(policy: Policy, options: MatcherOptions = {}): Matcher {
  const exact = new Map<string, CompiledEndpoint[]>();
  const wild = new Map<string, CompiledEndpoint[]>();
  for (const [name, np] of Object.entries(policy.network_policies ?? {})) {
    np.endpoints.forEach((e, i) => {
      const c = compileEndpoint(name, i, e);
      const h = e.host.toLowerCase().replace(/\.$/, '');
      const [map, key] = h.startsWith('*.') ? [wild, h.slice(2)] : [exact, h.replace(/^\[|\]$/g, '')];
      const list = map.get(key) ?? [];
      list.push(c);
      map.set(key, list);
    });
  }

  function finish(
    d: Omit<Decision, 'wouldDeny' | 'enforcement'>,
    endpointEnforcement?: Enforcement,
  ): Decision {
    const enforcement = options.enforcement === 'audit' ? 'audit' : (endpointEnforcement ?? 'enforce');
    if (d.decision === 'deny' && enforcement === 'audit') {
      return { ...d, decision: 'allow', wouldDeny: true, enforcement };
    }
    return { ...d, wouldDeny: false, enforcement };
  }

  function match(req: EgressRequest): Decision {
    const layer = req.method === undefined ? 'l4' : 'l7';
    const hk = classifyHost(req.host);
    if (hk.kind === 'invalid')
      return finish({ decision: 'deny', layer: 'l4', inspect: false, reason: hk.reason });
    if (hk.kind === 'ip' && !hk.canonical) {
      return finish({
        decision: 'deny',
        layer: 'l4',
        inspect: false,
        reason: `"${req.host}" is a non-canonical IP literal; no policy matches it`,
      });
    }
    const host = hk.host;
    const candidates: CompiledEndpoint[] = [];
    for (const c of exact.get(host) ?? []) if (c.ports.has(req.port)) candidates.push(c);
    const dot = host.indexOf('.');
    if (hk.kind === 'name' && dot > 0) {
      for (const c of wild.get(host.slice(dot + 1)) ?? []) if (c.ports.has(req.port)) candidates.push(c);
    }
    if (candidates.length === 0) {
      return finish({
        decision: 'deny',
        layer: 'l4',
        inspect: false,
        reason: `no policy allows ${host}:${req.port}`,
      });
    }
    const allowedIps = candidates.find((c) => c.allowedIps)?.allowedIps;
    const extra = allowedIps ? { allowedIps } : {};
    const l4 = candidates.find((c) => !c.l7);
    if (layer === 'l4') {
      if (l4)
        return finish({
          decision: 'allow',
          layer,
          inspect: false,
          policy: l4.policy,
          rule: l4.id,
          reason: 'L4 endpoint',
          ...extra,
        });
      const first = candidates[0]!;
      return finish({
        decision: 'allow',
        layer,
        inspect: true,
        policy: first.policy,
        rule: first.id,
        reason: 'protocol rest: each request is checked',
        ...extra,
      });
    }
    const method = req.method!.toUpperCase();
    const rawPath = req.path ?? '/';
    const problem = pathProblem(rawPath);
    if (problem)
      return finish({ decision: 'deny', layer, inspect: false, reason: problem }, candidates[0]!.enforcement);
    const path = canonicalPath(rawPath);
    const query = new URLSearchParams(req.query ?? '');
    // Deny wins across every endpoint that covers this host and port.
    for (const c of candidates) {
      const d = c.deny.find((r) => ruleMatches(r, method, path, query));
      if (d) {
        return finish(
          {
            decision: 'deny',
            layer,
            inspect: false,
            policy: c.policy,
            rule: d.id,
            reason: `${method} ${path} matches a deny rule`,
            ...extra,
          },
          c.enforcement,
        );
      }
    }
    if (l4)
      return finish({
        decision: 'allow',
        layer,
        inspect: false,
        policy: l4.policy,
        rule: l4.id,
        reason: 'L4 endpoint',
        ...extra,
      });
    for (const c of candidates) {
      if (c.methods === undefined || c.methods.has(method)) {
        return finish(
          {
            decision: 'allow',
            layer,
            inspect: false,
            policy: c.policy,
            rule: `${c.id}.access`,
            reason: 'access preset',
            ...extra,
          },
          c.enforcement,
        );
      }
      const r = c.rules.find((rule) => ruleMatches(rule, method, path, query));
      if (r)
        return finish(
          {
            decision: 'allow',
            layer,
            inspect: false,
            policy: c.policy,
            rule: r.id,
            reason: 'allow rule',
            ...extra,
          },
          c.enforcement,
        );
    }
    const first = candidates[0]!;
    return finish(
      {
        decision: 'deny',
        layer,
        inspect: false,
        policy: first.policy,
        rule: first.id,
        reason: `${method} ${path} on ${host}:${req.port} is not allowed by any rule`,
        ...extra,
      },
      first.enforcement,
    );
  }
  return { match };
}
