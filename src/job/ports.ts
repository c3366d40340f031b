import type { AuditSink } from '../audit/events.js';
import type { Redactor } from '../audit/redact.js';
import type { ResolvedBlueprint } from '../blueprint/resolve.js';
import type { JobInputs } from '../inputs.js';
import type { Logger } from '../log.js';
import type { EgressHost, ModelUsage } from './result.js';

// What the job needs from the policy, egress, gateway and agent modules, as
// small interfaces: the runner reads as a sequence of phases, and tests can
// see exactly which seams exist. src/job/adapters.ts binds them to the real code.

export interface LoadedJobPolicy {
  /** The merged policy, handed to startEgress (opaque to the runner). */
  policy: unknown;
  enforcement: 'enforce' | 'audit';
  /** filesystem_policy lists the workspace as read-only: a review job, whatever the input says. */
  workspaceReadOnly: boolean;
  digest: string;
  /** Files (and presets) it came from, for annotations and the summary. */
  sources: string[];
  warnings: string[];
}

export interface EgressService {
  /** PEM of the per-job CA when the proxy terminates TLS (the sandbox trusts it). */
  caCertPem: string | undefined;
  /** Per-host decisions and the suggested policy patch, from this job's requests. */
  report(): EgressReport;
  close(): Promise<void>;
}

export interface GatewayUsage {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  byModel: ModelUsage[];
}

export interface GatewayService {
  /** Loopback port the egress proxy forwards `inference.local` to. */
  port: number;
  /** The job token the agent uses as its API key. Not a provider key. */
  token: string;
  /** The model name the agent asks for; the gateway routes it. */
  agentModel: string;
  usage(): GatewayUsage;
  budgetExceeded(): boolean;
  close(): Promise<void>;
}

export interface AgentEnvelope {
  ok: boolean;
  status: string | undefined;
  final: string;
  error: string | undefined;
}

export interface EgressReport {
  hosts: EgressHost[];
  denials: number;
  suggestedPatch: string | undefined;
}

export interface JobPorts {
  loadPolicy(inputs: JobInputs, blueprint: ResolvedBlueprint, logger: Logger): Promise<LoadedJobPolicy>;
  startGateway(
    inputs: JobInputs,
    blueprint: ResolvedBlueprint,
    deps: { audit: AuditSink; redactor: Redactor; logger: Logger },
  ): Promise<GatewayService>;
  startEgress(
    socketPath: string,
    policy: LoadedJobPolicy,
    gateway: GatewayService,
    deps: { audit: AuditSink; logger: Logger },
  ): Promise<EgressService>;
  /** Files to place in the agent's read-only config directory (name → content). */
  agentConfigFiles(gateway: GatewayService, inputs: JobInputs): Record<string, string>;
  /** argv of the headless agent run inside the sandbox. */
  agentCommand(task: string, gateway: GatewayService, timeoutSeconds: number): string[];
  parseEnvelope(stdout: string): AgentEnvelope | undefined;
}
