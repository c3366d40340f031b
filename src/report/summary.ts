import { deniedHosts, type JobResult } from '../job/result.js';

// The job summary as Markdown: a pure function of the result, so it is
// tested by comparing text and the CLI can print the same facts.

const statusLine: Record<JobResult['status'], string> = {
  success: '✅ success',
  failure: '❌ failure',
  timeout: '⏱️ timeout',
  'budget-exceeded': '💸 budget exceeded',
  'policy-violation': '🛡️ policy violation',
};

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function table(head: string[], rows: string[][]): string {
  if (rows.length === 0) return '_none_\n';
  return (
    [
      `| ${head.join(' | ')} |`,
      `| ${head.map(() => '---').join(' | ')} |`,
      ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
    ].join('\n') + '\n'
  );
}

/** Longest run of backticks in `text`, plus one, so a fence can never be closed by the content. */
function fence(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  return '`'.repeat(longest + 1);
}

export function renderSummary(result: JobResult): string {
  const out: string[] = [];
  out.push(`## NemoClaw agent: ${statusLine[result.status]}\n`);
  out.push(`${result.reason}\n`);
  if (result.blueprint) {
    const image = result.image ? ` · image \`${result.image.id.slice(0, 19)}\` (${result.image.source})` : '';
    const runtime = result.sandboxRuntime === 'runsc' ? ' · sandbox under gVisor (runsc)' : '';
    out.push(
      `Blueprint \`${result.blueprint.name}@${result.blueprint.version}\` (\`${result.blueprint.digest.slice(0, 19)}…\`)${image}${runtime}\n`,
    );
  }

  out.push('### Agent\n');
  if (result.finalMessage) {
    const f = fence(result.finalMessage);
    out.push(`${f}text\n${result.finalMessage}\n${f}\n`);
  } else {
    out.push('_no final message_\n');
  }
  out.push(
    result.changedFiles.length > 0
      ? `Files changed (${result.changedFiles.length}): ${result.changedFiles.map((f) => `\`${f}\``).join(', ')}\n`
      : 'No files changed.\n',
  );

  out.push('### Egress\n');
  out.push(
    table(
      ['host', 'port', 'requests', 'decision', 'rule'],
      result.egress.hosts.map((h) => [h.host, String(h.port), String(h.count), h.decision, h.rule ?? '—']),
    ),
  );
  const denied = deniedHosts(result);
  if (denied.length > 0 && result.egress.suggestedPatch) {
    const verb = result.enforcement === 'enforce' ? 'were blocked' : 'would be blocked in enforce mode';
    out.push(
      `\n${denied.length} host(s) ${verb}: ${denied.map((d) => `\`${d}\``).join(', ')}. ` +
        `If the agent needs them, review and commit this addition to ${result.policyFiles.map((p) => `\`${p}\``).join(', ') || 'your policy'}:\n`,
    );
    out.push(`\`\`\`yaml\n${result.egress.suggestedPatch.trimEnd()}\n\`\`\`\n`);
  }

  out.push('### Inference\n');
  out.push(
    table(
      ['model', 'provider', 'requests', 'input tokens', 'output tokens', 'cost (USD)'],
      result.inference.byModel.map((m) => [
        m.model,
        m.provider,
        String(m.requests),
        String(m.inputTokens),
        String(m.outputTokens),
        m.costUsd.toFixed(4),
      ]),
    ),
  );

  out.push('### Timings\n');
  out.push(
    table(
      ['phase', 'seconds'],
      result.phases.map((p) => [p.name, (p.ms / 1000).toFixed(1)]),
    ),
  );
  out.push(`\nAudit log: \`${result.auditDir}\`\n`);
  return out.join('\n');
}
