// Spending limits for one job. The gateway asks before each call and records
// after it; a call is refused when the budget is already spent or when its
// input alone would overrun the token limit.
export interface BudgetLimits {
  maxRequests?: number;
  maxTokens?: number;
  maxCostUsd?: number;
}

export interface ModelUsage {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export interface GatewayUsage extends ModelUsage {
  byModel: Record<string, ModelUsage>;
}

export interface BudgetRefusal {
  budget: 'requests' | 'tokens' | 'cost_usd';
  limit: number;
  used: number;
  message: string;
}

const zero = (): ModelUsage => ({ requests: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 });

export class Budget {
  private readonly total = zero();
  private readonly byModel = new Map<string, ModelUsage>();
  exceeded = false;

  constructor(readonly limits: BudgetLimits) {}

  /** Undefined when the call may go ahead. */
  check(estimatedInputTokens: number): BudgetRefusal | undefined {
    const { maxRequests, maxTokens, maxCostUsd } = this.limits;
    const t = this.total;
    let r: BudgetRefusal | undefined;
    if (maxRequests !== undefined && t.requests >= maxRequests) {
      r = {
        budget: 'requests',
        limit: maxRequests,
        used: t.requests,
        message: `request budget of ${maxRequests} spent`,
      };
    } else if (maxTokens !== undefined && t.inputTokens + t.outputTokens + estimatedInputTokens > maxTokens) {
      const used = t.inputTokens + t.outputTokens;
      r = {
        budget: 'tokens',
        limit: maxTokens,
        used,
        message: `token budget of ${maxTokens} would be exceeded (${used} used, this request needs about ${estimatedInputTokens} more)`,
      };
    } else if (maxCostUsd !== undefined && t.costUsd >= maxCostUsd) {
      r = {
        budget: 'cost_usd',
        limit: maxCostUsd,
        used: round(t.costUsd),
        message: `cost budget of $${maxCostUsd} spent`,
      };
    }
    if (r) this.exceeded = true;
    return r;
  }

  record(model: string, input: number, output: number, costUsd: number): void {
    const m = this.byModel.get(model) ?? zero();
    this.byModel.set(model, m);
    for (const u of [m, this.total]) {
      u.requests += 1;
      u.inputTokens += input;
      u.outputTokens += output;
      u.costUsd += costUsd;
    }
  }

  usage(): GatewayUsage {
    const byModel: Record<string, ModelUsage> = {};
    for (const [k, v] of this.byModel) byModel[k] = { ...v, costUsd: round(v.costUsd) };
    return { ...this.total, costUsd: round(this.total.costUsd), byModel };
  }
}

const round = (usd: number) => Math.round(usd * 1e6) / 1e6;
