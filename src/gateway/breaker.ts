// A route that keeps failing is skipped for a while. Without it, every call of
// a job whose primary provider is down would first wait out its retries there
// before failing over. After the cool-down one call tries the route again; if
// that call fails too, the route is skipped for another cool-down.
export interface BreakerPolicy {
  /** Calls in a row that exhausted their attempts on the route. */
  failures: number;
  coolDownMs: number;
}

export const defaultBreakerPolicy: BreakerPolicy = { failures: 2, coolDownMs: 30_000 };

export class Breaker {
  private consecutive = 0;
  private openUntil = 0;

  constructor(private readonly policy: BreakerPolicy) {}

  /** Whether calls should go past this route now. */
  isOpen(now: number): boolean {
    return now < this.openUntil;
  }

  /** The route answered (any non-retryable status: it is up). */
  success(): void {
    this.consecutive = 0;
    this.openUntil = 0;
  }

  /** The call gave up on the route; returns true when that opened the breaker. */
  failure(now: number): boolean {
    this.consecutive += 1;
    if (this.consecutive < this.policy.failures) return false;
    this.openUntil = now + this.policy.coolDownMs;
    return true;
  }
}
