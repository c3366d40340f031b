import type { Command } from 'commander';
import { UserError } from '../../errors.js';
import { loadReplayScript } from '../../replay/script.js';
import { startReplayServer } from '../../replay/server.js';

/** `nemoclaw replay check SCRIPT` and `nemoclaw replay serve SCRIPT`. */
export function registerReplay(program: Command): void {
  const replay = program
    .command('replay')
    .description('The scripted replay model: check a script, or serve it as an OpenAI-compatible endpoint.');
  replay
    .command('check')
    .argument('<script>', 'replay script (YAML)')
    .description('Validate a script and list its turns.')
    .action((path: string) => {
      const script = loadReplayScript(path);
      const lines = script.turns.map((t, i) => {
        const what =
          'final' in t
            ? `final: ${JSON.stringify(t.final.slice(0, 60))}`
            : t.tool_calls.map((c) => c.name).join(', ');
        return `  ${i + 1}. ${what}${t.expect ? `  (expects ${Object.keys(t.expect).join(', ')})` : ''}`;
      });
      process.stdout.write(`${script.name}: ${script.turns.length} turns\n${lines.join('\n')}\n`);
    });
  replay
    .command('serve')
    .argument('<script>', 'replay script (YAML)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port (0 = any free one)', '0')
    .description('Serve /v1/chat/completions and /v1/models from the script until interrupted.')
    .action(async (path: string, opts: { host: string; port: string }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new UserError(`bad port "${opts.port}"`, { where: 'option --port', fix: 'Use 0–65535.' });
      }
      const server = await startReplayServer({ scriptPath: path, host: opts.host, port });
      process.stdout.write(`replay model for ${path} at ${server.url}/v1 (Ctrl-C to stop)\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.close();
    });
}
