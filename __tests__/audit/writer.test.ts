import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditStream, OcsfClass } from '../../src/audit/events.js';
import { Redactor } from '../../src/audit/redact.js';
import { AuditWriter, sha256 } from '../../src/audit/writer.js';

const event = { ...OcsfClass.NetworkActivity, activity: 'deny', host: 'evil.example' };

describe('AuditWriter', () => {
  it('appends JSON lines chained by hash and writes a manifest', () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-'));
    const w = new AuditWriter(dir, 'job-1');
    w.emit(AuditStream.Egress, event);
    w.emit(AuditStream.Egress, { ...event, activity: 'allow' });
    w.emit(AuditStream.Lifecycle, { ...OcsfClass.ProcessActivity, activity: 'phase' });
    const manifest = w.finish();

    const lines = readFileSync(join(dir, 'egress.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    const [a, b] = lines.map((l) => JSON.parse(l));
    expect(a).toMatchObject({ seq: 0, prev: '', activity: 'deny', class_uid: 4001 });
    expect(b).toMatchObject({ seq: 1, prev: sha256(lines[0]!) });
    expect(manifest.files.map((f) => f.file)).toEqual(['egress.jsonl', 'lifecycle.jsonl']);
    const egress = manifest.files[0]!;
    expect(egress.sha256).toBe(sha256(readFileSync(join(dir, 'egress.jsonl'))));
    expect(egress.head).toBe(sha256(lines[1]!));
    expect(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'))).toEqual(manifest);
  });

  it('continues the numbering and chain when a second writer (the post step) appends', () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-'));
    const first = new AuditWriter(dir, 'job-1');
    first.emit(AuditStream.Lifecycle, { ...OcsfClass.ProcessActivity, activity: 'start' });
    first.finish();
    const second = new AuditWriter(dir, 'job-1');
    second.emit(AuditStream.Lifecycle, { ...OcsfClass.ProcessActivity, activity: 'cleanup' });
    const manifest = second.finish();
    const lines = readFileSync(join(dir, 'lifecycle.jsonl'), 'utf8').trim().split('\n');
    expect(JSON.parse(lines[1]!)).toMatchObject({ seq: 1, prev: sha256(lines[0]!) });
    expect(manifest.files[0]!.events).toBe(2);
  });

  it('redacts registered secrets from every line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-'));
    const redactor = new Redactor();
    redactor.add('sk-canary-123456');
    const w = new AuditWriter(dir, 'job-1', redactor);
    w.emit(AuditStream.Inference, {
      ...OcsfClass.ApiActivity,
      activity: 'call',
      note: 'key sk-canary-123456',
    });
    w.finish();
    const text = readFileSync(join(dir, 'inference.jsonl'), 'utf8');
    expect(text).not.toContain('sk-canary-123456');
    expect(text).toContain('key ***');
  });
});
