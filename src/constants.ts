// Names shared by action.yml, main, post and the CLI. Enums, so a typo is a
// compile error rather than an empty input at run time.
export enum Input {
  Task = 'task',
  TaskFile = 'task-file',
  Blueprint = 'blueprint',
  BlueprintDigest = 'blueprint-digest',
  Policy = 'policy',
  AllowHosts = 'allow-hosts',
  Enforcement = 'enforcement',
  Provider = 'provider',
  Model = 'model',
  OpenaiApiKey = 'openai-api-key',
  AnthropicApiKey = 'anthropic-api-key',
  NvidiaApiKey = 'nvidia-api-key',
  BaseUrl = 'base-url',
  FallbackProvider = 'fallback-provider',
  FallbackModel = 'fallback-model',
  FallbackBaseUrl = 'fallback-base-url',
  MaxRequests = 'max-requests',
  MaxTokens = 'max-tokens',
  MaxCostUsd = 'max-cost-usd',
  TimeoutMinutes = 'timeout-minutes',
  Workspace = 'workspace',
  WorkspaceAccess = 'workspace-access',
  UploadAudit = 'upload-audit',
  AuditArtifactName = 'audit-artifact-name',
  ReplayScript = 'replay-script',
  RecordPrompts = 'record-prompts',
  SandboxRuntime = 'sandbox-runtime',
}

export enum Output {
  Status = 'status',
  FinalMessage = 'final-message',
  Patch = 'patch',
  ChangedFiles = 'changed-files',
  DeniedHosts = 'denied-hosts',
  Requests = 'requests',
  Tokens = 'tokens',
  CostUsd = 'cost-usd',
  AuditPath = 'audit-path',
  CacheHit = 'cache-hit',
  ImageId = 'image-id',
  BlueprintDigest = 'blueprint-digest',
}

export enum State {
  JobId = 'job-id',
  AuditDir = 'audit-dir',
  UploadAudit = 'upload-audit',
  AuditArtifactName = 'audit-artifact-name',
}

/** Docker labels on everything a job creates, so cleanup finds exactly that. */
export enum Label {
  Managed = 'io.nemoclaw.managed',
  Job = 'io.nemoclaw.job',
  Run = 'io.nemoclaw.run',
  Blueprint = 'io.nemoclaw.blueprint',
  Created = 'io.nemoclaw.created',
}

export const JobStatus = {
  Success: 'success',
  Failure: 'failure',
  Timeout: 'timeout',
  BudgetExceeded: 'budget-exceeded',
  PolicyViolation: 'policy-violation',
} as const;
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];

/** Inside the sandbox. */
export const SandboxPaths = {
  Home: '/sandbox',
  Workspace: '/sandbox/workspace',
  Tmp: '/tmp',
} as const;

export const SANDBOX_UID = 1000;
export const SANDBOX_GID = 1000;
