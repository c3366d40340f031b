import { Output } from '../constants.js';
import { deniedHosts, type JobResult } from '../job/result.js';

/** The action's outputs, as strings, from the result. */
export function jobOutputs(result: JobResult): Record<Output, string> {
  return {
    [Output.Status]: result.status,
    [Output.FinalMessage]: result.finalMessage,
    [Output.Patch]: result.patchPath ?? '',
    [Output.ChangedFiles]: result.changedFiles.join('\n'),
    [Output.DeniedHosts]: deniedHosts(result).join('\n'),
    [Output.Requests]: String(result.inference.requests),
    [Output.Tokens]: String(result.inference.inputTokens + result.inference.outputTokens),
    [Output.CostUsd]: result.inference.costUsd.toFixed(6),
    [Output.AuditPath]: result.auditDir,
    [Output.CacheHit]: String(result.image?.cacheHit ?? false),
    [Output.ImageId]: result.image?.id ?? '',
    [Output.BlueprintDigest]: result.blueprint?.digest ?? '',
  };
}
