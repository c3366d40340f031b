import { AuditStream, OcsfClass, type AuditSink } from '../audit/events.js';
import type { Logger } from '../log.js';
import type { PhaseTiming } from './result.js';

/**
 * Runs the job's phases in order, each in a log group, timing it into the
 * audit log (`phase_start` / `phase_end` with outcome) and into the summary.
 */
export class Phases {
  readonly timings: PhaseTiming[] = [];
  /** The phase running now (or the last one started), for error messages. */
  current: string | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly audit: AuditSink,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  async run<T>(name: string, title: string, fn: () => Promise<T>): Promise<T> {
    const started = this.clock();
    this.current = name;
    this.audit.emit(AuditStream.Lifecycle, {
      ...OcsfClass.ProcessActivity,
      activity: 'phase_start',
      phase: name,
    });
    let outcome = 'ok';
    try {
      return await this.logger.group(title, fn);
    } catch (err) {
      outcome = 'error';
      throw err;
    } finally {
      const ms = Math.round(this.clock() - started);
      this.timings.push({ name, ms });
      this.audit.emit(AuditStream.Lifecycle, {
        ...OcsfClass.ProcessActivity,
        activity: 'phase_end',
        phase: name,
        outcome,
        duration_ms: ms,
      });
    }
  }
}
