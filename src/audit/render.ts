import type { AuditDir } from './read.js';
import type { AuditRecord } from './events.js';

// `nemoclaw audit show`: the audit directory for people — egress decisions,
// inference calls, and a timeline of lifecycle events. Pure: text in, text out.

const time = (r: AuditRecord) => r.time.slice(11, 23);

function egressLine(r: AuditRecord): string {
  const where = `${String(r.host)}:${String(r.port)}`;
  const what = r.method ? ` ${String(r.method)} ${String(r.path ?? '')}` : '';
  const why = r.reason ? ` — ${String(r.reason)}` : '';
  return `${time(r)}  ${String(r.activity).padEnd(10)} ${where}${what}${why}`;
}

function inferenceLine(r: AuditRecord): string {
  const tokens = `${Number(r.input_tokens ?? 0)}→${Number(r.output_tokens ?? 0)} tok`;
  return `${time(r)}  ${String(r.status ?? r.activity).padEnd(5)} ${String(r.provider ?? '')}/${String(r.model ?? '')}  ${tokens}  ${Number(r.latency_ms ?? 0)} ms`;
}

function lifecycleLine(r: AuditRecord): string {
  const extra = r.phase ? ` ${String(r.phase)}` : '';
  const dur = r.duration_ms !== undefined ? ` (${Number(r.duration_ms)} ms)` : '';
  const msg = r.message ? ` ${String(r.message)}` : '';
  return `${time(r)}  ${String(r.activity)}${extra}${dur}${msg}`;
}

export function renderAudit(audit: AuditDir): string {
  const out: string[] = [`Audit log ${audit.dir}${audit.manifest ? ` (job ${audit.manifest.job})` : ''}`];
  const section = (title: string, records: AuditRecord[] | undefined, line: (r: AuditRecord) => string) => {
    out.push('', `${title} (${records?.length ?? 0})`);
    for (const r of records ?? []) out.push('  ' + line(r));
  };
  section('Egress decisions', audit.streams.egress, egressLine);
  section('Inference calls', audit.streams.inference, inferenceLine);
  section('Timeline', audit.streams.lifecycle, lifecycleLine);
  return out.join('\n') + '\n';
}
