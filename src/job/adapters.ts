import { buildAgentCommand, parseAgentEnvelope } from '../agent/command.js';
import { buildAgentConfig, SANDBOX_GATEWAY_URL } from '../agent/config.js';
import { startEgressProxy, type Resolver } from '../egress/proxy.js';
import { UserError } from '../errors.js';
import { startGateway } from '../gateway/server.js';
import { buildRoutes, DEFAULT_MODEL_ALIAS, type BlueprintProfile } from '../gateway/routes.js';
import { allowHostsPolicy, loadPolicies, withExtraPolicy } from '../policy/load.js';
import type { Policy } from '../policy/schema.js';
import { AGENT_CONFIG_DIR_IN_SANDBOX } from '../sandbox/spec.js';
import type { JobPorts } from './ports.js';
import type { ModelUsage } from './result.js';

/** Only for tests: where the egress proxy resolves names and which extra CAs it trusts upstream. */
export interface PortOptions {
  resolver?: Resolver;
  upstreamCa?: string | string[];
}

const AGENT_CONFIG_FILE = 'openclaw.json';
const WORKSPACE_PATHS = ['/sandbox/workspace', '/sandbox'];

/** The job's ports bound to the real policy, egress, gateway and agent code. */
export function createPorts(opts: PortOptions = {}): JobPorts {
  return {
    async loadPolicy(inputs, blueprint) {
      // The blueprint's default policy first, then the job's files and presets, then allow-hosts.
      const loaded = withExtraPolicy(
        loadPolicies([blueprint.policyPath, ...inputs.policy], inputs.workspace),
        allowHostsPolicy(inputs.allowHosts.join('\n')),
      );
      const fs = loaded.policy.filesystem_policy;
      const warnings = [...loaded.warnings];
      const extraPaths = [...(fs?.read_only ?? []), ...(fs?.read_write ?? [])].filter(
        (p) => !WORKSPACE_PATHS.includes(p.replace(/\/+$/, '')),
      );
      if (extraPaths.length > 0) {
        warnings.push(
          `filesystem_policy paths other than /sandbox/workspace (${extraPaths.join(', ')}) are not mounted: the sandbox sees only the workspace, /sandbox and /tmp.`,
        );
      }
      if (loaded.policy.process?.run_as_user && loaded.policy.process.run_as_user !== 'sandbox') {
        warnings.push(
          `process.run_as_user "${loaded.policy.process.run_as_user}" is ignored: the agent always runs as the workspace's owner (never root).`,
        );
      }
      return {
        policy: loaded.policy,
        enforcement: inputs.enforcement,
        workspaceReadOnly: (fs?.read_only ?? []).some((p) => WORKSPACE_PATHS.includes(p.replace(/\/+$/, ''))),
        digest: loaded.digest,
        sources: loaded.sources.filter((s) => s !== blueprint.policyPath),
        warnings,
      };
    },

    async startGateway(inputs, blueprint, deps) {
      const inference = blueprint.spec.inference;
      const profile: BlueprintProfile | undefined = inference
        ? inference.profiles[inference.default_profile]
        : undefined;
      if (!inputs.provider && !inputs.replayScript && profile?.provider === 'replay') {
        throw new UserError(
          `blueprint ${blueprint.name}@${blueprint.version} defaults to the offline replay model, which needs a script.`,
          {
            where: 'input "provider"',
            fix: 'set provider and model (and the provider key from a secret), or replay-script for an offline run.',
          },
        );
      }
      const routes = buildRoutes(
        profile,
        {
          ...(inputs.provider ? { provider: inputs.provider } : {}),
          ...(inputs.model ? { model: inputs.model } : {}),
          ...(inputs.baseUrl ? { baseUrl: inputs.baseUrl } : {}),
          ...(inputs.keys.openai ? { openaiApiKey: inputs.keys.openai } : {}),
          ...(inputs.keys.anthropic ? { anthropicApiKey: inputs.keys.anthropic } : {}),
          ...(inputs.keys.nvidia ? { nvidiaApiKey: inputs.keys.nvidia } : {}),
          ...(inputs.fallback ? { fallback: inputs.fallback } : {}),
        },
        inputs.replayScript,
      );
      const gateway = await startGateway({
        routes,
        host: '127.0.0.1',
        port: 0,
        budget: inputs.budgets,
        recordPrompts: inputs.recordPrompts,
        audit: deps.audit,
        logger: deps.logger,
        redactor: deps.redactor,
      });
      return {
        port: gateway.port!,
        token: gateway.token,
        agentModel: DEFAULT_MODEL_ALIAS,
        usage: () => {
          const u = gateway.usage();
          const byModel: ModelUsage[] = Object.entries(u.byModel).map(([model, m]) => ({
            model,
            provider: routes.routes.find((r) => r.model === model)?.provider ?? '',
            ...m,
          }));
          return {
            requests: u.requests,
            inputTokens: u.inputTokens,
            outputTokens: u.outputTokens,
            costUsd: u.costUsd,
            byModel,
          };
        },
        budgetExceeded: () => gateway.budgetExceeded,
        close: () => gateway.close(),
      };
    },

    async startEgress(socketPath, policy, gateway, deps) {
      const proxy = await startEgressProxy({
        policy: policy.policy as Policy,
        enforcement: policy.enforcement,
        socketPath,
        audit: deps.audit,
        logger: deps.logger,
        // The agent reaches the gateway as http://inference.local through the proxy.
        localRoutes: { 'inference.local': { host: '127.0.0.1', port: gateway.port } },
        ...(opts.resolver ? { resolver: opts.resolver } : {}),
        ...(opts.upstreamCa ? { upstreamCa: opts.upstreamCa } : {}),
      });
      return {
        caCertPem: proxy.caCertPem,
        report: () => {
          const s = proxy.summary();
          const hosts = s.hosts.filter((h) => !h.internal);
          return {
            hosts: hosts.map((h) => ({
              host: h.host,
              port: h.port,
              count: h.count,
              decision: h.decision,
              rule: h.rule,
            })),
            denials: hosts.reduce((n, h) => n + h.denied, 0),
            suggestedPatch: s.suggestedPatch,
          };
        },
        close: () => proxy.close(),
      };
    },

    agentConfigFiles(gateway) {
      const config = buildAgentConfig({
        baseUrl: SANDBOX_GATEWAY_URL,
        token: gateway.token,
        model: gateway.agentModel,
      });
      return { [AGENT_CONFIG_FILE]: JSON.stringify(config, null, 2) + '\n' };
    },

    agentCommand(task, gateway, timeoutSeconds) {
      return buildAgentCommand({
        task,
        model: gateway.agentModel,
        timeoutSeconds,
        configPath: `${AGENT_CONFIG_DIR_IN_SANDBOX}/${AGENT_CONFIG_FILE}`,
      });
    },

    parseEnvelope(stdout) {
      const e = parseAgentEnvelope(stdout);
      if (!e) return undefined;
      return { ok: e.ok, status: e.status, final: e.final ?? '', error: e.error?.message };
    },
  };
}
