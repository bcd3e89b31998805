import { describe, expect, it } from 'vitest';
import { addCost, budgetStop, claimBlock, recordedCost, usageLimitUntil } from '../../src/queue/limits.js';
import type { ClaimBlock, LimitSettings } from '../../src/queue/limits.js';
import { decideReport, deferForUsageLimit } from '../../src/queue/outcome.js';
import type { ReportContext, RunOutcome } from '../../src/queue/outcome.js';
import type { AgentUsage, ClaimStop, QueueMeta, Task, UsageLimitNote } from '../../src/queue/types.js';
import { NOW, at, claimed, task } from '../helpers/task-fixtures.js';

const meta = (fields: Partial<QueueMeta> = {}): QueueMeta => ({ active: true, worker_count: 2, ...fields });

const note = (until: string): UsageLimitNote => ({
  agent: 'claude',
  message: "You've hit your limit",
  until,
  noticed_at: at(-1_000),
  worker_id: 3,
});

const stop: ClaimStop = { reason: 'usage-limit', at: at(-5_000), detail: 'claude hit its usage limit' };

describe('claimBlock', () => {
  it.each<[string, Partial<QueueMeta>, LimitSettings, ClaimBlock | undefined]>([
    ['no limits and nothing recorded', {}, {}, undefined],
    ['a recorded cost but no budget', { cost_usd: 1_000 }, {}, undefined],
    ['a cost below the budget', { cost_usd: 4.99 }, { maxCostUsd: 5 }, undefined],
    ['no cost recorded yet and a positive budget', {}, { maxCostUsd: 5 }, undefined],
    ['a cost above the budget', { cost_usd: 5.5 }, { maxCostUsd: 5 }, { kind: 'stopped', stop: budgetStop({ cost_usd: 5.5 }, 5, NOW) }],
    ['a cost exactly at the budget (reached counts)', { cost_usd: 5 }, { maxCostUsd: 5 }, { kind: 'stopped', stop: budgetStop({ cost_usd: 5 }, 5, NOW) }],
    ['a recorded stop', { stop }, {}, { kind: 'stopped', stop }],
    ['a recorded stop, with the cost over budget too (the stop wins)', { stop, cost_usd: 9 }, { maxCostUsd: 1 }, { kind: 'stopped', stop }],
    ['a recorded stop and a usage limit in force (the stop wins)', { stop, usage_limit: note(at(60_000)) }, {}, { kind: 'stopped', stop }],
    ['a usage limit in the future', { usage_limit: note(at(60_000)) }, {}, { kind: 'waiting', until: new Date(at(60_000)), note: note(at(60_000)) }],
    ['a usage limit that has passed', { usage_limit: note(at(-1)) }, {}, undefined],
    ['a usage limit ending exactly now', { usage_limit: note(NOW.toISOString()) }, {}, undefined],
    ['a usage limit with an unparsable until', { usage_limit: note('soon') }, {}, undefined],
    ['a usage limit with an empty until', { usage_limit: note('') }, {}, undefined],
    [
      'an estimated cost at the budget (estimates count)',
      { cost_usd: 5, cost_estimated: true },
      { maxCostUsd: 5 },
      { kind: 'stopped', stop: budgetStop({ cost_usd: 5, cost_estimated: true }, 5, NOW) },
    ],
    ['claiming paused by hand', { paused: { at: at(-1_000) } }, {}, { kind: 'paused', since: at(-1_000) }],
    [
      'paused, and a usage limit in force (paused shows)',
      { paused: { at: at(-1_000) }, usage_limit: note(at(60_000)) },
      {},
      { kind: 'paused', since: at(-1_000) },
    ],
    ['paused, and a recorded stop (the stop wins: it is for good)', { paused: { at: at(-1_000) }, stop }, {}, { kind: 'stopped', stop }],
    [
      'paused, and the budget reached (the budget wins)',
      { paused: { at: at(-1_000) }, cost_usd: 3 },
      { maxCostUsd: 2 },
      { kind: 'stopped', stop: budgetStop({ cost_usd: 3 }, 2, NOW) },
    ],
    ['a pause cleared (null)', { paused: null }, {}, undefined],
    ['runs whose cost is unknown (they do not count)', { cost_unknown: 40 }, { maxCostUsd: 0.01 }, undefined],
    [
      'a budget reached and a usage limit in force (the budget wins)',
      { cost_usd: 2, usage_limit: note(at(60_000)) },
      { maxCostUsd: 2 },
      { kind: 'stopped', stop: budgetStop({ cost_usd: 2 }, 2, NOW) },
    ],
  ])('%s', (_what, fields, settings, expected) => {
    expect(claimBlock(meta(fields), NOW, settings)).toEqual(expected);
  });

  it('gives the until of a usage limit as a Date', () => {
    const block = claimBlock(meta({ usage_limit: note(at(90_000)) }), NOW, {});
    expect(block?.kind).toBe('waiting');
    expect(block?.kind === 'waiting' && block.until).toBeInstanceOf(Date);
    expect(block?.kind === 'waiting' && block.until.toISOString()).toBe(at(90_000));
  });
});

describe('budgetStop', () => {
  it.each<[Partial<QueueMeta>, number, string]>([
    [{ cost_usd: 5 }, 5, 'recorded cost $5.0000 reached --max-cost-usd 5'],
    [{ cost_usd: 1.23456789 }, 1.2, 'recorded cost $1.2346 reached --max-cost-usd 1.2'],
    [{}, 0, 'recorded cost $0.0000 reached --max-cost-usd 0'],
    [{ cost_usd: 0.5, cost_estimated: true }, 0.5, 'recorded cost $0.5000 (estimated in part from tokens) reached --max-cost-usd 0.5'],
  ])('%j against %d says "%s"', (fields, max, detail) => {
    expect(budgetStop(fields, max, NOW)).toEqual({ reason: 'budget', at: NOW.toISOString(), detail });
  });
});

describe('usageLimitUntil', () => {
  const MARGIN = 60_000;
  const FALLBACK = 900_000;

  it.each<[string, string | undefined, string]>([
    ['a reset in the future: the reset plus the margin', at(3_600_000), at(3_600_000 + MARGIN)],
    ['a reset one millisecond ahead: the reset plus the margin', at(1), at(1 + MARGIN)],
    ['a reset given with an offset: read as that instant', '2024-05-01T14:30:00+02:00', at(1_800_000 + MARGIN)],
    ['a reset in the past: now plus the fallback', at(-3_600_000), at(FALLBACK)],
    // Clock times show minutes ("try again at 2:21 PM" at 2:21:40): a reset less than a minute past is now.
    ['a reset exactly now: now plus the margin', NOW.toISOString(), at(MARGIN)],
    ['a reset 59.999 s past: now plus the margin', at(-59_999), at(MARGIN)],
    ['a reset a minute past: now plus the fallback', at(-60_000), at(FALLBACK)],
    ['no reset: now plus the fallback', undefined, at(FALLBACK)],
    ['a garbage reset: now plus the fallback', 'after lunch', at(FALLBACK)],
    ['an empty reset: now plus the fallback', '', at(FALLBACK)],
  ])('%s', (_what, resetsAt, expected) => {
    expect(usageLimitUntil(resetsAt, NOW, MARGIN, FALLBACK).toISOString()).toBe(expected);
  });
});

describe('addCost', () => {
  it.each<[string, number | undefined, number | undefined, Partial<QueueMeta> | undefined]>([
    ['a first cost', undefined, 0.25, { cost_usd: 0.25 }],
    ['a cost on top of a total', 1.5, 0.25, { cost_usd: 1.75 }],
    ['0.1 + 0.2 (rounded, no float noise)', 0.1, 0.2, { cost_usd: 0.3 }],
    ['a sub-micro-dollar remainder (rounded to six decimals)', 0, 0.123456789, { cost_usd: 0.123457 }],
    ['an undefined cost', 2, undefined, undefined],
    ['a NaN cost', 2, NaN, undefined],
    ['an infinite cost', 2, Infinity, undefined],
    ['a zero cost', 2, 0, undefined],
  ])('%s', (_what, total, cost, expected) => {
    expect(addCost(meta(total === undefined ? {} : { cost_usd: total }), cost === undefined ? {} : { cost_usd: cost })).toEqual(expected);
  });

  it.each<[string, Partial<QueueMeta>, AgentUsage | undefined, Partial<QueueMeta> | undefined]>([
    ['no usage (a plain --agent-cmd)', { cost_usd: 1 }, undefined, undefined],
    [
      'an estimated cost: counted, and the total marked estimated',
      { cost_usd: 1 },
      { cost_usd: 0.5, cost_estimated: true, tokens: { input: 9 } },
      { cost_usd: 1.5, cost_estimated: true },
    ],
    ['an estimated cost on a total already marked', { cost_usd: 1, cost_estimated: true }, { cost_usd: 0.5, cost_estimated: true }, { cost_usd: 1.5 }],
    [
      'tokens without a cost: one more run whose cost is unknown',
      { cost_unknown: 2 },
      { agent: 'codex', tokens: { input: 10, output: 2 } },
      { cost_unknown: 3 },
    ],
    ['an empty token count without a cost (nothing was spent that is known)', {}, { agent: 'codex', tokens: {} }, undefined],
  ])('%s', (_what, fields, usage, expected) => {
    expect(addCost(meta(fields), usage)).toEqual(expected);
  });
});

describe('recordedCost (a run starts from the results)', () => {
  it.each<[string, AgentUsage[], ReturnType<typeof recordedCost>]>([
    ['no results', [], { cost_usd: 0, cost_estimated: false, cost_unknown: 0 }],
    ['reported costs', [{ cost_usd: 0.1 }, { cost_usd: 0.2 }], { cost_usd: 0.3, cost_estimated: false, cost_unknown: 0 }],
    [
      'a reported, an estimated and an unknown cost',
      [{ cost_usd: 0.1 }, { cost_usd: 0.2, cost_estimated: true }, { tokens: { output: 5 } }],
      { cost_usd: 0.3, cost_estimated: true, cost_unknown: 1 },
    ],
  ])('%s', (_what, records, expected) => {
    expect(recordedCost(records)).toEqual(expected);
  });
});

const usage: AgentUsage = {
  agent: 'claude',
  model: 'claude-sonnet-4',
  cost_usd: 0.042,
  tokens: { input: 1_200, output: 300, cache_read: 800 },
  session_id: 'sess-1',
};
const limited: RunOutcome = {
  ok: false,
  finding: '',
  exitCode: 1,
  signal: null,
  durationMs: 2_500,
  reason: 'usage-limit',
  error: "usage limit: You've hit your limit",
  usage,
};
const deferCtx = { token: 'tok-1', workerId: 3, now: NOW };

describe('deferForUsageLimit', () => {
  it.each<[string, number, number]>([
    ['gives back the attempt', 2, 1],
    ['gives back a first attempt', 1, 0],
    ['does not go below zero attempts', 0, 0],
  ])('%s', (_what, attempts, expected) => {
    expect(deferForUsageLimit(claimed('a', { attempts }), limited, deferCtx)?.task.attempts).toBe(expected);
  });

  it('puts the task back to pending without its claim, keeping its data', () => {
    const deferred = deferForUsageLimit(claimed('a', { attempts: 2, data: { x: 1 } }), limited, deferCtx)!;
    expect(deferred.task).toMatchObject({ id: 'a', status: 'pending', attempts: 1, data: { x: 1 } });
  });

  it.each(['claim_token', 'lease_expires_at', 'worker_pid', 'worker_host', 'claimed_at'])('clears %s', (field) => {
    expect(deferForUsageLimit(claimed('a'), limited, deferCtx)!.task).not.toHaveProperty(field);
  });

  it('records the issue with reason usage-limit, outcome deferred and the usage facts', () => {
    const deferred = deferForUsageLimit(claimed('a', { attempts: 2 }), limited, deferCtx)!;
    expect(deferred.issue).toEqual({
      task_id: 'a',
      worker_id: 3,
      error: "usage limit: You've hit your limit",
      reason: 'usage-limit',
      timestamp: NOW.toISOString(),
      attempt: 2,
      exit_code: 1,
      signal: null,
      duration_ms: 2_500,
      outcome: 'deferred',
      agent: 'claude',
      model: 'claude-sonnet-4',
      cost_usd: 0.042,
      tokens: { input: 1_200, output: 300, cache_read: 800 },
      session_id: 'sess-1',
    });
  });

  it.each<[string, Partial<RunOutcome>, Record<string, unknown>]>([
    ['no error message: a default one', { error: undefined }, { error: 'usage limit' }],
    ['no usage: no usage fields', { usage: undefined }, { agent: undefined, cost_usd: undefined, tokens: undefined }],
    ['only a cost', { usage: { cost_usd: 0.5 } }, { cost_usd: 0.5, agent: undefined }],
  ])('with %s', (_what, over, fields) => {
    const issue = deferForUsageLimit(claimed('a'), { ...limited, ...over }, deferCtx)!.issue;
    for (const [key, value] of Object.entries(fields)) expect(issue[key]).toEqual(value);
    expect(issue.reason).toBe('usage-limit');
  });

  it.each<[string, Task | undefined]>([
    ['another token holds the claim', claimed('a', { claim_token: 'tok-2' })],
    ['the task has no claim token', claimed('a', { claim_token: undefined })],
    ['the task is pending', task('a', { claim_token: 'tok-1' })],
    ['the task completed meanwhile', claimed('a', { status: 'completed' })],
    ['the task is gone', undefined],
  ])('refuses when %s', (_what, t) => {
    expect(deferForUsageLimit(t, limited, deferCtx)).toBeUndefined();
  });
});

describe('decideReport copies the agent usage', () => {
  const ctx = (over: Partial<ReportContext> = {}): ReportContext => ({ token: 'tok-1', workerId: 1, now: NOW, retries: 0, backoffMs: () => 1_000, ...over });
  const ok: RunOutcome = { ok: true, finding: 'done', exitCode: 0, signal: null, durationMs: 900, usage };
  const bad: RunOutcome = {
    ok: false,
    finding: '',
    exitCode: 1,
    signal: null,
    durationMs: 700,
    reason: 'agent-error',
    error: 'claude reported an error: overloaded',
    usage,
  };

  it.each(Object.entries(usage))('puts %s into the finding and the completed task', (key, value) => {
    const decision = decideReport(claimed('a'), ok, ctx());
    if (decision.kind !== 'completed') throw new Error(decision.kind);
    expect(decision.finding[key]).toEqual(value);
    expect(decision.task[key]).toEqual(value);
  });

  it.each<[string, number, 'failed' | 'requeued']>([
    ['a final failure', 0, 'failed'],
    ['a requeued failure', 1, 'requeued'],
  ])('puts the usage into the issue of %s', (_what, retries, kind) => {
    const decision = decideReport(claimed('a'), bad, ctx({ retries }));
    if (decision.kind !== kind) throw new Error(decision.kind);
    expect(decision.issue).toMatchObject({ ...usage, reason: 'agent-error', outcome: kind });
  });

  it('adds no usage fields when the outcome has none', () => {
    const decision = decideReport(claimed('a'), { ...ok, usage: undefined }, ctx());
    if (decision.kind !== 'completed') throw new Error(decision.kind);
    for (const key of Object.keys(usage)) {
      expect(decision.finding).not.toHaveProperty(key);
      expect(decision.task).not.toHaveProperty(key);
    }
  });
});
