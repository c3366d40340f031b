// The sandbox's environment is built, never inherited: nothing of the host's
// env reaches it. Callers may add only names from an allow-list; the proxy, CA
// and identity variables are fixed here and cannot be overridden.
import { UserError } from '../errors.js';
import { SandboxPaths } from '../constants.js';

export const PROXY_PORT = 3128;
export const PROXY_URL = `http://127.0.0.1:${PROXY_PORT}`;
/** Loopback inside the sandbox is the sandbox's own; everything else goes through the proxy. */
export const NO_PROXY = 'localhost,127.0.0.1,::1';

/** Where the per-job CA files appear inside the sandbox. */
export const CA_DIR_IN_SANDBOX = '/etc/nemoclaw/ca';
/** Only the proxy's job CA (for NODE_EXTRA_CA_CERTS, which adds to Node's own store). */
export const CA_FILE = 'job-ca.pem';
/** System roots plus the job CA (for clients whose variable replaces their store). */
export const CA_BUNDLE_FILE = 'bundle.pem';

const EXTRA_NAMES = new Set([
  'TERM',
  'LC_ALL',
  'CI',
  'GIT_AUTHOR_NAME',
  'GIT_AUTHOR_EMAIL',
  'GIT_COMMITTER_NAME',
  'GIT_COMMITTER_EMAIL',
  'NODE_OPTIONS',
]);
// Agent settings and the job-scoped gateway token (useless outside this job's gateway).
const EXTRA_PREFIXES = /^(NEMOCLAW|OPENCLAW)_[A-Z0-9_]+$/;

export function isAllowedExtraEnv(name: string): boolean {
  return EXTRA_NAMES.has(name) || EXTRA_PREFIXES.test(name);
}

export interface SandboxEnvInput {
  /** Whether a per-job CA is mounted at CA_DIR_IN_SANDBOX. */
  withCa: boolean;
  tz?: string;
  extra?: Record<string, string>;
}

function fixedEnv(withCa: boolean, tz = 'UTC'): Record<string, string> {
  const fixed: Record<string, string> = {
    HOME: SandboxPaths.Home,
    PATH: '/usr/local/bin:/usr/bin:/bin',
    LANG: 'C.UTF-8',
    TZ: tz,
    // curl reads only the lower-case http_proxy; others read either: set both.
    HTTP_PROXY: PROXY_URL,
    HTTPS_PROXY: PROXY_URL,
    http_proxy: PROXY_URL,
    https_proxy: PROXY_URL,
    NO_PROXY,
    no_proxy: NO_PROXY,
    NODE_USE_ENV_PROXY: '1',
  };
  if (withCa) {
    const bundle = `${CA_DIR_IN_SANDBOX}/${CA_BUNDLE_FILE}`;
    fixed.NODE_EXTRA_CA_CERTS = `${CA_DIR_IN_SANDBOX}/${CA_FILE}`;
    fixed.SSL_CERT_FILE = bundle;
    fixed.GIT_SSL_CAINFO = bundle;
    fixed.REQUESTS_CA_BUNDLE = bundle;
    fixed.CURL_CA_BUNDLE = bundle;
  }
  return fixed;
}

/** Refuses names outside the allow-list and any that would override a fixed variable (with or without CA). */
export function checkExtraEnv(extra: Record<string, string>): void {
  const fixed = fixedEnv(true);
  for (const [name, value] of Object.entries(extra)) {
    if (name in fixed || !isAllowedExtraEnv(name)) {
      throw new UserError(`environment variable ${name} may not be passed into the sandbox`, {
        where: `sandbox env "${name}"`,
        fix: `only ${[...EXTRA_NAMES].join(', ')} and NEMOCLAW_*/OPENCLAW_* names may be added; proxy, CA, HOME and PATH are fixed`,
      });
    }
    if (value.includes('\0')) {
      throw new UserError(`environment variable ${name} contains a NUL byte`, {
        where: `sandbox env "${name}"`,
      });
    }
  }
}

export function buildSandboxEnv(input: SandboxEnvInput): string[] {
  const extra = input.extra ?? {};
  checkExtraEnv(extra);
  return Object.entries({ ...fixedEnv(input.withCa, input.tz), ...extra }).map(([k, v]) => `${k}=${v}`);
}
