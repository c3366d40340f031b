// OCSF-style event classes. Each stream is its own JSON Lines file so a reader
// (or `jq`) can take one concern at a time; class_uid follows OCSF 1.x.
export const AuditStream = {
  Egress: 'egress',
  Inference: 'inference',
  Lifecycle: 'lifecycle',
  Config: 'config',
} as const;
export type AuditStream = (typeof AuditStream)[keyof typeof AuditStream];

export const OcsfClass = {
  NetworkActivity: { class_uid: 4001, class_name: 'Network Activity' },
  HttpActivity: { class_uid: 4002, class_name: 'HTTP Activity' },
  ApiActivity: { class_uid: 6003, class_name: 'API Activity' },
  ProcessActivity: { class_uid: 1007, class_name: 'Process Activity' },
  DeviceConfigState: { class_uid: 5002, class_name: 'Device Config State' },
} as const;
export type OcsfClass = (typeof OcsfClass)[keyof typeof OcsfClass];

/** What every event carries; the writer adds `time`, `seq` and the hash chain. */
export interface AuditFields {
  class_uid: number;
  class_name: string;
  /** Short verb: `allow`, `deny`, `would_deny`, `call`, `phase`, `blueprint`, … */
  activity: string;
  message?: string;
  [field: string]: unknown;
}

export interface AuditRecord extends AuditFields {
  time: string;
  seq: number;
  /** sha256 of the previous line of this stream ("" for the first): edits or deletions show. */
  prev: string;
}

export interface AuditSink {
  emit(stream: AuditStream, event: AuditFields): void;
}

/** Discards everything; for unit tests of components that need a sink. */
export const nullAuditSink: AuditSink = { emit: () => undefined };

/** Keeps events in memory; for tests. */
export class MemoryAuditSink implements AuditSink {
  readonly events: Array<{ stream: AuditStream; event: AuditFields }> = [];
  emit(stream: AuditStream, event: AuditFields): void {
    this.events.push({ stream, event });
  }
  of(stream: AuditStream): AuditFields[] {
    return this.events.filter((e) => e.stream === stream).map((e) => e.event);
  }
}
