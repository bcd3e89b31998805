import { costOf, costUnknown } from '../queue/limits.js';
import type { AgentUsage } from '../queue/types.js';

/** Token counts summed over runs (only what the agents reported). */
export interface TokenTotals {
  input: number;
  output: number;
  cache_read: number;
  cache_write: number;
}

/**
 * Costs summed over agent runs: the known ones (reported by the agent, or estimated by Ralph from the
 * tokens and its price table), and how many runs' cost is unknown. A cost that is not known is never
 * shown as $0.00.
 */
export interface CostTotals {
  /** The known costs summed (USD); null when runs counted tokens and none of their costs is known. */
  cost_usd: number | null;
  /** Part of cost_usd is Ralph's estimate from tokens (the agent reported no cost). */
  cost_estimated: boolean;
  /** Runs that counted tokens but whose cost is unknown: not in cost_usd, nor in the budget. */
  runs_unknown_cost: number;
}

export interface Usage extends CostTotals {
  tokens: TokenTotals;
  /** Runs with a known cost, reported or estimated. */
  runs_with_cost: number;
  /** Of those, the runs whose cost Ralph estimated. */
  runs_estimated: number;
  /** The models of the runs whose cost is unknown ('' where no model was named), sorted. */
  unpriced_models: string[];
}

/** Sums runs' costs and tokens as they are added. */
export class UsageTally {
  private known = 0;
  private withCost = 0;
  private estimated = 0;
  private unknown = 0;
  private readonly models = new Set<string>();
  readonly tokens: TokenTotals = { input: 0, output: 0, cache_read: 0, cache_write: 0 };

  add(usage: AgentUsage): void {
    const t = usage.tokens;
    if (t) {
      this.tokens.input += t.input ?? 0;
      this.tokens.output += t.output ?? 0;
      this.tokens.cache_read += t.cache_read ?? 0;
      this.tokens.cache_write += t.cache_write ?? 0;
    }
    const cost = costOf(usage);
    if (cost !== undefined) {
      this.known = roundUsd(this.known + cost);
      this.withCost += 1;
      if (usage.cost_estimated) this.estimated += 1;
    } else if (costUnknown(usage)) {
      this.unknown += 1;
      this.models.add(usage.model ?? '');
    }
  }

  costs(): CostTotals {
    return { cost_usd: this.withCost === 0 && this.unknown > 0 ? null : this.known, cost_estimated: this.estimated > 0, runs_unknown_cost: this.unknown };
  }

  usage(): Usage {
    return {
      ...this.costs(),
      tokens: { ...this.tokens },
      runs_with_cost: this.withCost,
      runs_estimated: this.estimated,
      unpriced_models: [...this.models].sort(),
    };
  }
}

/** Costs and tokens summed over `records`. */
export function totalUsage(records: Iterable<AgentUsage>): Usage {
  const tally = new UsageTally();
  for (const record of records) tally.add(record);
  return tally.usage();
}

function roundUsd(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
