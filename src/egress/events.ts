// Egress audit events: one per decision (CONNECT, or each request inside an
// inspected tunnel or forwarded absolute-URI). Paths are recorded without the
// query string; headers, cookies and credentials are never recorded.
import { OcsfClass, type AuditFields } from '../audit/events.js';

export type EgressOutcome = 'allow' | 'deny' | 'would_deny';

export interface EgressEvent {
  layer: 'l4' | 'l7' | 'ssrf';
  host: string;
  port: number;
  method?: string;
  /** Path only (no query, no fragment). */
  path?: string;
  decision: EgressOutcome;
  policy?: string;
  rule?: string;
  reason: string;
  /** Forwarded to a job service (localRoutes) without DNS/SSRF checks. */
  internal?: boolean;
  /** A CONNECT whose requests were inspected (each has its own L7 event). */
  inspected?: boolean;
  status?: number;
  bytes_up: number;
  bytes_down: number;
  duration_ms: number;
}

export function pathOnly(target: string): string {
  const cut = target.search(/[?#]/);
  return cut === -1 ? target : target.slice(0, cut);
}

export function toAuditFields(e: EgressEvent): AuditFields {
  const cls = e.method === undefined ? OcsfClass.NetworkActivity : OcsfClass.HttpActivity;
  return {
    ...cls,
    activity: e.decision,
    message: `${e.decision} ${e.method ? `${e.method} ` : ''}${e.host}:${e.port}${e.path ?? ''}`,
    ...e,
  };
}
