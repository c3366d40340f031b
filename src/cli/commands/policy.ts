// `nemoclaw policy lint FILE...` and `nemoclaw policy test FILE --request "METHOD URL"`:
// check a policy before a PR merges it, and ask what it would decide.
import type { Command } from 'commander';
import { describeError, UserError } from '../../errors.js';
import { parseAbsolute, splitQuery } from '../../egress/target.js';
import { loadPolicies } from '../../policy/load.js';
import { compilePolicy, type EgressRequest } from '../../policy/matcher.js';
import type { RegisterCommand } from './index.js';

/** "GET https://api.github.com/repos?x=1" or "CONNECT host:port" → a matcher request. */
export function parseRequestSpec(spec: string): EgressRequest {
  const m = /^\s*([A-Za-z]+)\s+(\S+)\s*$/.exec(spec);
  const fail = () =>
    new UserError(`cannot read request "${spec}"`, {
      where: 'option --request',
      fix: 'write "METHOD URL", e.g. "GET https://api.github.com/repos/o/r", or "CONNECT host:443"',
    });
  if (!m) throw fail();
  const method = m[1]!.toUpperCase();
  if (method === 'CONNECT') {
    const t = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(m[2]!);
    if (!t) throw fail();
    return { host: t[1]!.replace(/^\[|\]$/g, ''), port: Number(t[2]) };
  }
  const t = parseAbsolute(m[2]!);
  if (!t) throw fail();
  const { path, query } = splitQuery(t.pathAndQuery);
  return { host: t.host, port: t.port, method, path, ...(query === undefined ? {} : { query }) };
}

export const registerPolicy: RegisterCommand = (program: Command) => {
  const policy = program.command('policy').description('Check egress policy files and what they decide.');
  policy
    .command('lint')
    .argument('<files...>', 'policy files or preset names')
    .description('Validate policies (extends resolved); errors name file:line:column. Exit 1 on any error.')
    .action((files: string[]) => {
      let failed = 0;
      for (const file of files) {
        try {
          const loaded = loadPolicies([file]);
          for (const w of loaded.warnings) process.stderr.write(`warning: ${w}\n`);
          process.stdout.write(`${file}: ok (${loaded.digest})\n`);
        } catch (err) {
          failed++;
          process.stderr.write(`${describeError(err)}\n`);
        }
      }
      process.exitCode = failed === 0 ? 0 : 1;
    });
  policy
    .command('test')
    .argument('<files...>', 'policy files or preset names (merged)')
    .requiredOption(
      '--request <spec>',
      'request to decide: "METHOD URL" or "CONNECT host:port" (repeatable)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--enforcement <mode>', 'enforce | audit (job-wide override)')
    .description('Print one JSON decision per request.')
    .action((files: string[], flags: { request: string[]; enforcement?: string }) => {
      if (
        flags.enforcement !== undefined &&
        flags.enforcement !== 'enforce' &&
        flags.enforcement !== 'audit'
      ) {
        throw new UserError(`enforcement must be enforce or audit, got "${flags.enforcement}"`, {
          where: 'option --enforcement',
        });
      }
      const matcher = compilePolicy(
        loadPolicies(files).policy,
        flags.enforcement ? { enforcement: flags.enforcement as 'enforce' | 'audit' } : {},
      );
      for (const spec of flags.request) {
        const req = parseRequestSpec(spec);
        const { allowedIps: _ips, ...d } = matcher.match(req);
        process.stdout.write(`${JSON.stringify({ request: spec, ...d })}\n`);
      }
    });
};
