import type { Redactor } from '../audit/redact.js';
import type { Annotation, Logger } from '../log.js';

const useColor = (stream: NodeJS.WriteStream) => stream.isTTY && !process.env.NO_COLOR;
const paint = (on: boolean, code: string, s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);

/** Logger for people at a terminal: phases with timings, colours on a TTY, quiet debug unless asked. */
export function terminalLogger(
  opts: { verbose?: boolean; redactor?: Redactor; stream?: NodeJS.WriteStream } = {},
): Logger {
  const stream = opts.stream ?? process.stderr;
  const color = useColor(stream);
  const r = (m: string) => (opts.redactor ? opts.redactor.redact(m) : m);
  const where = (a?: Annotation) => (a?.file ? ` (${a.file}${a.startLine ? `:${a.startLine}` : ''})` : '');
  const write = (line: string) => stream.write(line + '\n');
  return {
    debug: (m) => {
      if (opts.verbose) write(paint(color, '2', r(m)));
    },
    info: (m) => write(r(m)),
    warn: (m, a) => write(paint(color, '33', `warning: ${r(m)}${where(a)}`)),
    error: (m, a) => write(paint(color, '31', `error: ${r(m)}${where(a)}`)),
    group: async (name, fn) => {
      write(paint(color, '1', `▸ ${name}`));
      const started = performance.now();
      try {
        const value = await fn();
        write(paint(color, '2', `  ✓ ${name} (${((performance.now() - started) / 1000).toFixed(1)}s)`));
        return value;
      } catch (err) {
        write(paint(color, '31', `  ✗ ${name} (${((performance.now() - started) / 1000).toFixed(1)}s)`));
        throw err;
      }
    },
  };
}
