import type { SandboxRuntime } from '../sandbox/gvisor.js';
import type { JobStatus } from '../constants.js';

export interface PhaseTiming {
  name: string;
  ms: number;
}

export interface EgressHost {
  host: string;
  port: number;
  count: number;
  decision: 'allow' | 'deny' | 'would_deny';
  rule: string | undefined;
}

export interface ModelUsage {
  model: string;
  provider: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** Everything the job learned; outputs, the summary and the CLI report are pure functions of it. */
export interface JobResult {
  jobId: string;
  status: JobStatus;
  /** One sentence on why the status is what it is. */
  reason: string;
  finalMessage: string;
  changedFiles: string[];
  patchPath: string | undefined;
  egress: { hosts: EgressHost[]; suggestedPatch: string | undefined };
  inference: {
    requests: number;
    inputTokens: number;
    outputTokens: number;
    costUsd: number;
    byModel: ModelUsage[];
  };
  phases: PhaseTiming[];
  blueprint: { name: string; version: string; digest: string } | undefined;
  image: { id: string; source: string; cacheHit: boolean } | undefined;
  policyFiles: string[];
  enforcement: 'enforce' | 'audit';
  /** runc, or runsc when the sandbox ran under gVisor. */
  sandboxRuntime: SandboxRuntime;
  auditDir: string;
}

export function deniedHosts(result: Pick<JobResult, 'egress'>): string[] {
  const names = result.egress.hosts
    .filter((h) => h.decision !== 'allow')
    .map((h) => (h.port === 443 || h.port === 80 ? h.host : `${h.host}:${h.port}`));
  return [...new Set(names)].sort();
}
