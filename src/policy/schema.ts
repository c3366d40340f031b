// The egress policy file, compatible with NVIDIA OpenShell's sandbox policy
// (version, network_policies, filesystem_policy, process) plus `extends:` for
// composing presets. Strict objects: an unknown key is a mistake worth an error.
import { BlockList, isIP } from 'node:net';
import { z } from 'zod';
import { hostPatternProblem } from './host.js';

export const ACCESS_METHODS = {
  'read-only': ['GET', 'HEAD', 'OPTIONS'],
  'read-write': ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH'],
  full: ['*'],
} as const;

const port = z.number().int().min(1).max(65535);

const hostPattern = z
  .string()
  .min(1)
  .superRefine((h, ctx) => {
    const problem = hostPatternProblem(h);
    if (problem) ctx.addIssue({ code: 'custom', message: `host "${h}": ${problem}` });
  })
  .describe('Exact host name, an IP address, or "*." plus a domain (one label of wildcard)');

const method = z
  .string()
  .regex(/^([A-Za-z]+|\*)$/, 'an HTTP method such as GET, or "*"')
  .describe('HTTP method, or "*" for any');

const pathGlob = z
  .string()
  .regex(/^(\/|\*)/, 'paths start with "/" (or are "*" / "**")')
  .describe('Path glob: "*" matches within one segment, "**" across segments');

const queryMatch = z
  .record(z.string(), z.union([z.string(), z.array(z.string())]))
  .describe('Query parameters that must be present, each with a value glob (or a list of globs)');

export const RequestRuleSchema = z
  .strictObject({
    method: method.optional(),
    path: pathGlob.optional(),
    query: queryMatch.optional(),
  })
  .describe('One request pattern; omitted fields match anything');

const cidr = z
  .string()
  .refine(
    (s) => {
      const [addr, bits, extra] = s.split('/');
      if (extra !== undefined || !addr || !isIP(addr)) return false;
      if (bits === undefined) return true;
      const n = Number(bits);
      return Number.isInteger(n) && n >= 0 && n <= (isIP(addr) === 4 ? 32 : 128);
    },
    { message: 'an IP address or CIDR range such as 10.0.0.0/8' },
  )
  .describe('Address or CIDR range the host may resolve to even though it is private/loopback');

export const EndpointSchema = z
  .strictObject({
    host: hostPattern,
    port: port.optional().describe('TCP port (default 443 when neither port nor ports is given)'),
    ports: z.array(port).min(1).optional().describe('Several TCP ports'),
    protocol: z
      .enum(['rest', 'tcp'])
      .optional()
      .describe('Omitted or "tcp": L4 tunnel, decided at CONNECT; "rest": every HTTP request is checked'),
    access: z
      .enum(['read-only', 'read-write', 'full'])
      .optional()
      .describe('Method preset: read-only = GET/HEAD/OPTIONS, read-write adds POST/PUT/PATCH, full = any'),
    rules: z
      .array(z.strictObject({ allow: RequestRuleSchema }))
      .optional()
      .describe('Requests to allow (protocol: rest)'),
    deny_rules: z
      .array(RequestRuleSchema)
      .optional()
      .describe('Requests to deny even when access/rules allow them; deny wins'),
    enforcement: z
      .enum(['enforce', 'audit'])
      .optional()
      .describe('"audit" lets denied requests through and records them as would_deny'),
    tls: z
      .enum(['terminate', 'passthrough', 'skip'])
      .optional()
      .describe('terminate (default for rest): inspect HTTPS with the job CA; passthrough/skip: tunnel only'),
    allowed_ips: z.array(cidr).optional().describe('Private/loopback ranges this host may resolve to'),
  })
  .superRefine((e, ctx) => {
    const l7 = e.access !== undefined || e.rules !== undefined || e.deny_rules !== undefined;
    if (l7 && e.protocol !== 'rest') {
      ctx.addIssue({
        code: 'custom',
        path: ['protocol'],
        message: 'access, rules and deny_rules need protocol: rest (requests are only visible at L7)',
      });
    }
    if (e.protocol === 'rest' && e.access === undefined && e.rules === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['access'],
        message: 'a protocol: rest endpoint needs access (read-only|read-write|full) or rules',
      });
    }
    if (e.protocol === 'rest' && (e.tls === 'passthrough' || e.tls === 'skip')) {
      ctx.addIssue({
        code: 'custom',
        path: ['tls'],
        message: 'protocol: rest needs tls: terminate; a passthrough tunnel cannot be checked per request',
      });
    }
    if (e.port !== undefined && e.ports !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['ports'], message: 'give port or ports, not both' });
    }
  })
  .describe('One host (or wildcard) and how it may be used');

export const NetworkPolicySchema = z
  .strictObject({
    name: z.string().optional().describe('Display name (OpenShell); the map key is the id'),
    endpoints: z.array(EndpointSchema).describe('Hosts this policy allows'),
    binaries: z
      .array(z.strictObject({ path: z.string() }).or(z.string()))
      .optional()
      .describe(
        'OpenShell: executables allowed to use the policy. Advisory here (not enforceable over the socket)',
      ),
  })
  .describe('A named group of endpoints');

export const PolicySchema = z
  .strictObject({
    version: z.literal(1).describe('Policy format version; 1'),
    extends: z
      .union([z.string(), z.array(z.string())])
      .optional()
      .describe('Presets (github-read, npm, …) or relative files this policy builds on'),
    preset: z
      .strictObject({ name: z.string(), description: z.string().optional() })
      .optional()
      .describe('Preset metadata (NemoClaw preset files)'),
    network_policies: z
      .record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . -'), NetworkPolicySchema)
      .optional()
      .describe('Named network policies; a request is allowed when any of them allows it'),
    filesystem_policy: z
      .strictObject({
        include_workdir: z.boolean().optional(),
        read_only: z.array(z.string()).optional(),
        read_write: z.array(z.string()).optional(),
      })
      .optional()
      .describe('Paths the sandbox may read / write (mapped onto the sandbox mounts)'),
    landlock: z
      .strictObject({ compatibility: z.string().optional() })
      .optional()
      .describe('OpenShell; ignored'),
    process: z
      .strictObject({ run_as_user: z.string().optional(), run_as_group: z.string().optional() })
      .optional()
      .describe('User the agent runs as inside the sandbox'),
  })
  .describe('nemoclaw / OpenShell egress policy');

export type Policy = z.infer<typeof PolicySchema>;
export type Endpoint = z.infer<typeof EndpointSchema>;
export type NetworkPolicy = z.infer<typeof NetworkPolicySchema>;
export type RequestRule = z.infer<typeof RequestRuleSchema>;

/** A BlockList of the given CIDRs/addresses (validated by the schema). */
export function blockListOf(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const c of cidrs) {
    const [addr, bits] = c.split('/') as [string, string | undefined];
    const family = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(addr, family);
    else list.addSubnet(addr, Number(bits), family);
  }
  return list;
}
