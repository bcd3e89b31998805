import { describe, expect, it } from 'vitest';
import { renderReport } from '../../src/report/markdown.js';
import { buildSummary } from '../../src/report/summary.js';
import type { StopReason, TokenTotals, Usage } from '../../src/report/summary.js';
import type { AgentUsage, Finding, Issue, QueueState, Task } from '../../src/queue/types.js';
import { DIR, finding, issue, session, state } from '../helpers/report-fixtures.js';
import { NOW, at, task } from '../helpers/task-fixtures.js';
import { cells, section } from '../helpers/markdown.js';
import { localAndUtc } from '../../src/report/time.js';

const where = { dir: DIR, report: `${DIR}/ORCHESTRATOR-REPORT.md` };
const ZERO: TokenTotals = { input: 0, output: 0, cache_read: 0, cache_write: 0 };
/** A Usage with nothing estimated and nothing unknown, but for `fields`. */
const usageOf = (fields: Partial<Usage>): Usage => ({
  cost_usd: 0,
  tokens: ZERO,
  runs_with_cost: 0,
  cost_estimated: false,
  runs_estimated: 0,
  runs_unknown_cost: 0,
  unpriced_models: [],
  ...fields,
});

const paidFinding = (id: string, worker: number, usage: AgentUsage): Finding => ({ ...finding(id, worker, 1_000), ...usage });
const paidIssue = (id: string, worker: number, outcome: Issue['outcome'], usage: AgentUsage): Issue => ({ ...issue(id, worker, outcome, 500), ...usage });

const done = (id: string, worker: number, fields: Partial<Task> = {}) =>
  task(id, { status: 'completed', worker_id: worker, attempts: 1, duration_ms: 1_000, finding: `found ${id}`, ...fields });

/** Two workers: worker 1 completed a; worker 2 completed b and failed c. */
function pricedState(extra: Partial<QueueState> = {}): QueueState {
  return state(
    [
      done('a', 1, { agent: 'claude', cost_usd: 0.1234 }),
      done('b', 2, { agent: 'claude', cost_usd: 0.2 }),
      task('c', { status: 'failed', worker_id: 2, attempts: 1, error: 'claude reported an error' }),
      task('d'),
    ],
    {
      findings: [
        paidFinding('a', 1, { agent: 'claude', cost_usd: 0.1234, tokens: { input: 1_000, output: 200, cache_read: 50 } }),
        paidFinding('b', 2, { agent: 'claude', cost_usd: 0.2, tokens: { input: 500, output: 100, cache_write: 30, reasoning: 7, total: 637 } }),
      ],
      issues: [paidIssue('c', 2, 'failed', { agent: 'claude', cost_usd: 0.0001, tokens: { input: 10, output: 5 } })],
      ...extra,
    },
  );
}

/** The same shape with no agent usage at all (a plain --agent-cmd run). */
function unpricedState(): QueueState {
  return state([done('a', 1), done('b', 2), task('c', { status: 'failed', worker_id: 2, attempts: 1, error: 'exit 1' })], {
    findings: [finding('a', 1, 1_000), finding('b', 2, 1_000)],
    issues: [issue('c', 2, 'failed', 500)],
  });
}

describe('buildSummary usage', () => {
  it('sums cost and tokens over findings and issues', () => {
    expect(buildSummary(pricedState(), [], where).usage).toEqual(
      usageOf({
        cost_usd: 0.3235,
        tokens: { input: 1_510, output: 305, cache_read: 50, cache_write: 30 },
        runs_with_cost: 3,
      }),
    );
  });

  it.each<[number, number, Partial<{ cost_usd: number; tokens: TokenTotals }>]>([
    [1, 0.1234, { cost_usd: 0.1234, tokens: { input: 1_000, output: 200, cache_read: 50, cache_write: 0 } }],
    [2, 0.2001, { cost_usd: 0.2001, tokens: { input: 510, output: 105, cache_read: 0, cache_write: 30 } }],
  ])('gives worker %i its own cost ($%s) and tokens', (worker, _cost, expected) => {
    expect(buildSummary(pricedState(), [], where).workers.find((w) => w.worker_id === worker)).toMatchObject(expected);
  });

  it.each<[string, AgentUsage[], Partial<Usage>]>([
    ['no usage at all', [{}, {}], {}],
    ['0.1 + 0.2 (rounded, no float noise)', [{ cost_usd: 0.1 }, { cost_usd: 0.2 }], { cost_usd: 0.3, runs_with_cost: 2 }],
    ['a zero cost (still a run with a cost)', [{ cost_usd: 0 }, {}], { cost_usd: 0, runs_with_cost: 1 }],
    ['a NaN cost (ignored)', [{ cost_usd: NaN }, { cost_usd: 1 }], { cost_usd: 1, runs_with_cost: 1 }],
    // Tokens spent, and no cost reported or estimated: unknown (null), never 0.
    [
      'tokens without cost',
      [{ tokens: { input: 3, output: 4 } }, { tokens: { cache_read: 9 } }],
      { cost_usd: null, tokens: { input: 3, output: 4, cache_read: 9, cache_write: 0 }, runs_unknown_cost: 1, unpriced_models: [''] },
    ],
    ['reasoning and total tokens (not summed)', [{ tokens: { reasoning: 5, total: 10 } }], {}],
    [
      'an estimated cost and a reported one',
      [{ cost_usd: 0.1, cost_estimated: true, tokens: { input: 1 } }, { cost_usd: 0.2 }],
      { cost_usd: 0.3, cost_estimated: true, tokens: { ...ZERO, input: 1 }, runs_with_cost: 2, runs_estimated: 1 },
    ],
    [
      'a known cost and models without a price (the known part is summed)',
      [
        { cost_usd: 0.25 },
        { model: 'mystery-1', tokens: { output: 5 } },
        { model: 'mystery-1', tokens: { output: 5 } },
        { tokens: { input: 2 } },
        { model: 'b-model', tokens: { input: 1 } },
      ],
      { cost_usd: 0.25, tokens: { ...ZERO, input: 3, output: 10 }, runs_with_cost: 1, runs_unknown_cost: 4, unpriced_models: ['', 'b-model', 'mystery-1'] },
    ],
  ])('with %s', (_what, usages, expected) => {
    const st = state([], { findings: usages.map((u, i) => paidFinding(`t${i}`, 1, u)) });
    expect(buildSummary(st, [], where).usage).toEqual(usageOf(expected));
  });

  it('counts the usage of deferred (usage-limit) issues too', () => {
    const st = state([], { issues: [paidIssue('a', 1, 'deferred', { cost_usd: 0.05, tokens: { input: 7, output: 0 } })] });
    expect(buildSummary(st, [], where).usage).toEqual(usageOf({ cost_usd: 0.05, tokens: { ...ZERO, input: 7 }, runs_with_cost: 1 }));
  });

  it('gives zeros for a run without any cost', () => {
    const s = buildSummary(unpricedState(), [], where);
    expect(s.usage).toEqual(usageOf({}));
    expect(s.workers.map((w) => [w.cost_usd, w.tokens])).toEqual([
      [0, ZERO],
      [0, ZERO],
    ]);
  });
});

const tableLines = (text: string, name: string) => section(text, name).filter((l) => l.startsWith('| ') && !l.startsWith('| ---'));

function report(st: QueueState, stoppedBy?: StopReason): string {
  return renderReport(st, buildSummary(st, [session(1, 'idle', NOW.toISOString())], { ...where, ...(stoppedBy ? { stoppedBy } : {}) }));
}

describe('renderReport without any cost', () => {
  const text = report(unpricedState());

  it('has no Cost line', () => {
    expect(text).not.toContain('- Cost:');
  });

  it.each<[string, string[]]>([
    ['Tasks', ['id', 'type', 'status', 'worker', 'attempts', 'duration', 'finding or cause']],
    ['Workers', ['worker', 'completed', 'failed', 'requeued', 'busy', 'status', 'last heartbeat', 'log']],
  ])('has no cost column in %s', (name, header) => {
    expect(cells(tableLines(text, name)[0]!)).toEqual(header);
  });

  it('has no total row in Workers', () => {
    expect(section(text, 'Workers').some((l) => l.includes('**total**'))).toBe(false);
  });
});

describe('renderReport with costs', () => {
  const text = report(pricedState());
  const tokenText = '1510 in, 305 out, 50 cache read, 30 cache write';

  it('shows the cost and tokens in the header', () => {
    expect(text.split('\n')).toContain(`- Cost: $0.32; tokens: ${tokenText}`);
  });

  it('names the budget when there was one', () => {
    const st = pricedState({
      meta: { active: false, worker_count: 2, run: { started_at: at(-10_000), ended_at: NOW.toISOString(), workers: 2, max_cost_usd: 5 } },
    });
    expect(report(st).split('\n')).toContain(`- Cost: $0.32 of a $5.00 budget; tokens: ${tokenText}`);
  });

  it('says the cost is unknown (never $0.00) for a run that counted tokens but has no cost, and why, once', () => {
    const st = state([done('a', 1, { agent: 'codex', model: 'gpt-9', tokens: { input: 3, output: 4 } })], {
      findings: [paidFinding('a', 1, { agent: 'codex', model: 'gpt-9', tokens: { input: 3, output: 4 } })],
    });
    const text = report(st);
    expect(text.split('\n')).toContain(
      '- Cost: unknown; tokens: 3 in, 4 out (not counted toward --max-cost-usd: model `gpt-9` not in the price table (add it under "prices" in ralph.config.json))',
    );
    expect(text).not.toContain('$0.00');
    expect(text.match(/price table/g)).toHaveLength(1);
    expect(tableLines(text, 'Tasks').map(cells)).toContainEqual(['a', 'test', 'completed', '1', '1', '1s', 'unknown', 'found a']);
    expect(tableLines(text, 'Workers').map(cells)[1]).toContain('unknown');
  });

  it('marks an estimated cost with ~ and says it is estimated; an unknown part with "+ unknown"', () => {
    const estimated = { agent: 'codex', model: 'gpt-5', cost_usd: 0.12, cost_estimated: true, tokens: { input: 1_000, output: 10 } };
    const st = state([done('a', 1, estimated), done('b', 1, { agent: 'codex', tokens: { input: 5, output: 1 } })], {
      findings: [paidFinding('a', 1, estimated), paidFinding('b', 1, { agent: 'codex', tokens: { input: 5, output: 1 } })],
    });
    const text = report(st);
    expect(text.split('\n')).toContain(
      '- Cost: ~$0.12 + unknown; tokens: 1005 in, 11 out (estimated from tokens at list prices for 1 of 2 runs; unknown for 1 run(s), not counted toward --max-cost-usd: no model named (give --model))',
    );
    expect(tableLines(text, 'Tasks').map(cells)).toContainEqual(['a', 'test', 'completed', '1', '1', '1s', '~$0.12', 'found a']);
    expect(tableLines(text, 'Tasks').map(cells)).toContainEqual(['b', 'test', 'completed', '1', '1', '1s', 'unknown', 'found b']);
    expect(tableLines(text, 'Workers').map(cells)[1]![5]).toBe('~$0.12 + unknown');
  });

  it.each<[string, string[]]>([
    ['the header', ['id', 'type', 'status', 'worker', 'attempts', 'duration', 'cost (last run)', 'finding or cause']],
    ['a completed task with a cost', ['a', 'test', 'completed', '1', '1', '1s', '$0.12', 'found a']],
    ['a completed task with another cost', ['b', 'test', 'completed', '2', '1', '1s', '$0.20', 'found b']],
    ['a failed task without a cost', ['c', 'test', 'failed', '2', '1', '', '', 'claude reported an error']],
    ['a pending task', ['d', 'test', 'pending', '', '0', '', '', '']],
  ])('has a cost column in Tasks: %s', (_what, row) => {
    expect(tableLines(text, 'Tasks').map(cells)).toContainEqual(row);
  });

  it('shows a cost below a cent with four decimals', () => {
    const st = state([done('a', 1, { cost_usd: 0.0042 })], { findings: [paidFinding('a', 1, { cost_usd: 0.0042 })] });
    expect(tableLines(report(st), 'Tasks').map(cells)).toContainEqual(['a', 'test', 'completed', '1', '1', '1s', '$0.0042', 'found a']);
  });

  it('has cost and tokens columns in Workers, and a total row', () => {
    expect(tableLines(text, 'Workers').map(cells)).toEqual([
      ['worker', 'completed', 'failed', 'requeued', 'busy', 'cost', 'tokens', 'status', 'last heartbeat', 'log'],
      ['1', '1', '0', '0', '1s', '$0.12', '1000 in, 200 out, 50 cache read', 'idle', NOW.toISOString(), `\`${DIR}/worker-1.log\``],
      ['2', '1', '1', '0', '2s', '$0.20', '510 in, 105 out, 30 cache write', 'unknown', '', `\`${DIR}/worker-2.log\``],
      ['**total**', '', '', '', '', '$0.32', tokenText, '', '', ''],
    ]);
  });
});

describe('renderReport stop reason', () => {
  const budgetStop = { reason: 'budget' as const, at: at(-1_000), detail: 'recorded cost $5.0100 reached --max-cost-usd 5' };
  const withStop = (stopped_by?: string) =>
    pricedState({
      meta: {
        active: false,
        worker_count: 2,
        cost_usd: 5.01,
        stop: budgetStop,
        run: { started_at: at(-10_000), ended_at: NOW.toISOString(), workers: 2, max_cost_usd: 5, ...(stopped_by ? { stopped_by } : {}) },
      },
    });
  const budgetLine = '- Stopped because: the budget was reached: $5.0100 of $5 (--max-cost-usd); the tasks in flight finished, no new task was claimed';

  it.each<[string, QueueState, StopReason | undefined, string]>([
    ['a budget stop given to the summary', withStop(), 'budget', budgetLine],
    ['a budget stop recorded in the run', withStop('budget'), undefined, budgetLine],
    [
      'a usage-limit stop',
      pricedState({ meta: { active: false, worker_count: 2, stop: { reason: 'usage-limit', at: at(-1), detail: 'claude: out of usage' } } }),
      'usage-limit',
      '- Stopped because: claude hit its usage limit (--on-usage-limit stop): out of usage',
    ],
    [
      'a usage-limit stop with a reset time',
      pricedState({
        meta: {
          active: false,
          worker_count: 2,
          stop: { reason: 'usage-limit', at: at(-1), detail: 'claude: out of usage', resets_at: '2024-05-01T14:00:00.000Z' },
        },
      }),
      'usage-limit',
      `- Stopped because: claude hit its usage limit (--on-usage-limit stop) until ${localAndUtc('2024-05-01T14:00:00.000Z')}: out of usage`,
    ],
    ['a completed run without a stop', pricedState(), undefined, '- Stopped because: no task left to run; 1 failed'],
  ])('explains %s', (_what, st, stoppedBy, line) => {
    expect(report(st, stoppedBy).split('\n')).toContain(line);
  });
});
