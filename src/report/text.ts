import { deniedHosts, type JobResult } from '../job/result.js';

// The CLI's closing report: the same facts as the job summary, for a terminal.

const mark: Record<JobResult['status'], string> = {
  success: 'SUCCESS',
  failure: 'FAILURE',
  timeout: 'TIMEOUT',
  'budget-exceeded': 'BUDGET EXCEEDED',
  'policy-violation': 'POLICY VIOLATION',
};

export function renderText(r: JobResult): string {
  const lines: string[] = [];
  lines.push('', `${mark[r.status]}: ${r.reason}`);
  if (r.finalMessage) lines.push('', 'Agent:', ...r.finalMessage.split('\n').map((l) => `  ${l}`));
  lines.push('', r.changedFiles.length > 0 ? `Changed: ${r.changedFiles.join(', ')}` : 'Changed: nothing');
  if (r.patchPath) lines.push(`Patch:   ${r.patchPath}`);
  lines.push('', 'Egress:');
  if (r.egress.hosts.length === 0) lines.push('  (no requests)');
  for (const h of r.egress.hosts) {
    lines.push(
      `  ${h.decision.padEnd(10)} ${`${h.host}:${h.port}`.padEnd(36)} ×${h.count}  ${h.rule ?? ''}`.trimEnd(),
    );
  }
  const denied = deniedHosts(r);
  if (denied.length > 0 && r.egress.suggestedPatch) {
    lines.push(
      '',
      `Suggested policy addition for ${denied.join(', ')} (review, then commit it to your policy file):`,
    );
    lines.push(
      ...r.egress.suggestedPatch
        .trimEnd()
        .split('\n')
        .map((l) => `  ${l}`),
    );
  }
  const inf = r.inference;
  lines.push(
    '',
    `Inference: ${inf.requests} request(s), ${inf.inputTokens} in / ${inf.outputTokens} out tokens, $${inf.costUsd.toFixed(4)}`,
  );
  lines.push(`Timings:   ${r.phases.map((p) => `${p.name} ${(p.ms / 1000).toFixed(1)}s`).join(', ')}`);
  lines.push(`Audit:     ${r.auditDir}  (nemoclaw audit show ${r.auditDir})`, '');
  return lines.join('\n');
}
