// The one logging interface the job code sees. The action maps it onto
// @actions/core (groups, annotations); the CLI onto a terminal; tests capture it.
export interface Annotation {
  title?: string;
  file?: string;
  startLine?: number;
}

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string, annotation?: Annotation): void;
  error(message: string, annotation?: Annotation): void;
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

export interface CapturedLine {
  level: 'debug' | 'info' | 'warn' | 'error' | 'group';
  message: string;
  annotation?: Annotation;
}

/** Keeps every line in memory; for tests and for building summaries. */
export class MemoryLogger implements Logger {
  readonly lines: CapturedLine[] = [];
  debug(message: string): void {
    this.lines.push({ level: 'debug', message });
  }
  info(message: string): void {
    this.lines.push({ level: 'info', message });
  }
  warn(message: string, annotation?: Annotation): void {
    this.lines.push({ level: 'warn', message, ...(annotation ? { annotation } : {}) });
  }
  error(message: string, annotation?: Annotation): void {
    this.lines.push({ level: 'error', message, ...(annotation ? { annotation } : {}) });
  }
  async group<T>(name: string, fn: () => Promise<T>): Promise<T> {
    this.lines.push({ level: 'group', message: name });
    return fn();
  }
}

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  group: (_name, fn) => fn(),
};
