import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditStream, OcsfClass } from '../../src/audit/events.js';
import { readAuditDir, verifyAuditDir } from '../../src/audit/read.js';
import { renderAudit } from '../../src/audit/render.js';
import { AuditWriter } from '../../src/audit/writer.js';

function sampleDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'audit-read-'));
  const w = new AuditWriter(dir, 'job-7', undefined, () => new Date('2026-11-28T10:00:00.000Z'));
  w.emit(AuditStream.Egress, {
    ...OcsfClass.NetworkActivity,
    activity: 'deny',
    host: 'evil.example',
    port: 443,
    reason: 'no rule',
  });
  w.emit(AuditStream.Egress, {
    ...OcsfClass.HttpActivity,
    activity: 'allow',
    host: 'api.github.com',
    port: 443,
    method: 'GET',
    path: '/repos',
  });
  w.emit(AuditStream.Inference, {
    ...OcsfClass.ApiActivity,
    activity: 'call',
    provider: 'replay',
    model: 'demo',
    status: 200,
    input_tokens: 10,
    output_tokens: 5,
    latency_ms: 3,
  });
  w.emit(AuditStream.Lifecycle, {
    ...OcsfClass.ProcessActivity,
    activity: 'phase_end',
    phase: 'agent',
    duration_ms: 1500,
  });
  w.finish();
  return dir;
}

describe('audit directory', () => {
  it('renders decisions, calls and the timeline', () => {
    const text = renderAudit(readAuditDir(sampleDir()));
    expect(text).toContain('(job job-7)');
    expect(text).toContain('Egress decisions (2)');
    expect(text).toContain('deny       evil.example:443 — no rule');
    expect(text).toContain('allow      api.github.com:443 GET /repos');
    expect(text).toContain('200   replay/demo  10→5 tok  3 ms');
    expect(text).toContain('phase_end agent (1500 ms)');
  });

  it('verifies an intact log', () => {
    expect(verifyAuditDir(sampleDir())).toEqual([]);
  });

  it('detects an edited line, a removed line and a changed file', () => {
    const dir = sampleDir();
    const file = join(dir, 'egress.jsonl');
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    writeFileSync(file, lines[0]!.replace('deny', 'allow') + '\n' + lines[1] + '\n');
    expect(verifyAuditDir(dir)).toEqual([
      'egress.jsonl:2: chain broken (line edited, removed or reordered)',
      'egress.jsonl: sha256 differs from manifest.json',
    ]);
    writeFileSync(file, lines[1] + '\n');
    expect(verifyAuditDir(dir)).toEqual(
      expect.arrayContaining(['egress.jsonl:1: chain broken (line edited, removed or reordered)']),
    );
  });
});
