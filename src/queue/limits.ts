import type { AgentUsage, ClaimStop, QueueMeta, UsageLimitNote } from './types.js';

/** What `--on-usage-limit` says to do when an agent reports a usage limit. */
export type UsageLimitPolicy = 'wait' | 'stop' | 'fail';

export interface LimitSettings {
  /** `--max-cost-usd`: no new claims once the recorded total reaches it. */
  maxCostUsd?: number;
}

/** Why a worker may not claim now: a budget or usage-limit stop (for good), claiming paused by hand, or a limit to wait out. */
export type ClaimBlock = { kind: 'stopped'; stop: ClaimStop } | { kind: 'paused'; since: string } | { kind: 'waiting'; until: Date; note: UsageLimitNote };

/** Whether claiming is blocked by the run's budget, a stop, or a usage limit still in force. Pure. */
export function claimBlock(meta: Readonly<QueueMeta>, now: Date, settings: LimitSettings): ClaimBlock | undefined {
  if (meta.stop) return { kind: 'stopped', stop: meta.stop };
  if (settings.maxCostUsd !== undefined && (meta.cost_usd ?? 0) >= settings.maxCostUsd) {
    return { kind: 'stopped', stop: budgetStop(meta, settings.maxCostUsd, now) };
  }
  if (meta.paused) return { kind: 'paused', since: meta.paused.at };
  const note = meta.usage_limit;
  if (note) {
    const until = new Date(note.until);
    if (Number.isFinite(until.getTime()) && until > now) return { kind: 'waiting', until, note };
  }
  return undefined;
}

/** The stop once the recorded cost (`meta.cost_usd`, estimates counted) reached the budget. */
export function budgetStop(meta: Pick<QueueMeta, 'cost_usd' | 'cost_estimated'>, max: number, now: Date): ClaimStop {
  const total = meta.cost_usd ?? 0;
  const estimated = meta.cost_estimated ? ' (estimated in part from tokens)' : '';
  return { reason: 'budget', at: now.toISOString(), detail: `recorded cost $${total.toFixed(4)}${estimated} reached --max-cost-usd ${max}` };
}

/** A reset less than this far past is taken for now: clock times show minutes ("try again at 2:21 PM" said at 2:21:40). */
const RESET_SLOP_MS = 60_000;

/**
 * When claiming may start again after a usage limit: the reset time (now, if it is less than a
 * minute past) plus a margin, or, when the agent gave no time (or one longer past), now plus the
 * fallback wait. Pure.
 */
export function usageLimitUntil(resetsAt: string | undefined, now: Date, marginMs: number, fallbackMs: number): Date {
  const reset = resetsAt === undefined ? NaN : Date.parse(resetsAt);
  if (Number.isFinite(reset) && reset + RESET_SLOP_MS > now.getTime()) return new Date(Math.max(reset, now.getTime()) + marginMs);
  return new Date(now.getTime() + fallbackMs);
}

/** One run's cost, reported or estimated; undefined when not known. */
export function costOf(usage: AgentUsage | undefined): number | undefined {
  const cost = usage?.cost_usd;
  return typeof cost === 'number' && Number.isFinite(cost) ? cost : undefined;
}

/** A run whose cost is unknown: it counted tokens, and no cost was reported or could be estimated. */
export function costUnknown(usage: AgentUsage | undefined): boolean {
  const t = usage?.tokens;
  return t !== undefined && (t.input !== undefined || t.output !== undefined) && costOf(usage) === undefined;
}

/**
 * Adds one run to the recorded total (`cost_usd`, what --max-cost-usd counts, estimates included),
 * notes an estimate in it (`cost_estimated`) and counts a run whose cost is unknown (`cost_unknown`).
 * Undefined when nothing changes.
 */
export function addCost(meta: Readonly<QueueMeta>, usage: AgentUsage | undefined): Partial<QueueMeta> | undefined {
  const cost = costOf(usage);
  const patch: Partial<QueueMeta> = {};
  if (cost !== undefined && cost !== 0) patch.cost_usd = Math.round(((meta.cost_usd ?? 0) + cost) * 1e6) / 1e6;
  if (cost !== undefined && usage?.cost_estimated && !meta.cost_estimated) patch.cost_estimated = true;
  if (costUnknown(usage)) patch.cost_unknown = (meta.cost_unknown ?? 0) + 1;
  return Object.keys(patch).length > 0 ? patch : undefined;
}

/** The recorded cost as the results hold it (a run starts from it): addCost over every record. */
export function recordedCost(records: readonly AgentUsage[]): Required<Pick<QueueMeta, 'cost_usd' | 'cost_estimated' | 'cost_unknown'>> {
  let meta: QueueMeta = { active: false, worker_count: 0 };
  for (const record of records) meta = { ...meta, ...addCost(meta, record) };
  return { cost_usd: meta.cost_usd ?? 0, cost_estimated: meta.cost_estimated ?? false, cost_unknown: meta.cost_unknown ?? 0 };
}
