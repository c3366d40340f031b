// Errors a user can act on. The message says what is wrong, where (input,
// file, field) and how to fix it; the entry points print it without a stack.
export interface UserErrorDetails {
  /** The input, file or field at fault, e.g. `input "max-cost-usd"` or `policy.yaml:12:5`. */
  where?: string;
  /** What to change so it works. */
  fix?: string;
  cause?: unknown;
}

export class UserError extends Error {
  readonly where: string | undefined;
  readonly fix: string | undefined;

  constructor(what: string, details: UserErrorDetails = {}) {
    super(what, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'UserError';
    this.where = details.where;
    this.fix = details.fix;
  }
}

/** One paragraph for people: user errors in full, anything else by message only. */
export function describeError(err: unknown): string {
  if (err instanceof UserError) {
    const parts = [err.where ? `${err.where}: ${err.message}` : err.message];
    if (err.fix) parts.push(`Fix: ${err.fix}`);
    return parts.join('\n');
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
