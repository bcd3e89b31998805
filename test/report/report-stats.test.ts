import { describe, expect, it } from 'vitest';
import { busyWithin, durationStats, finishedDuring, inWindow, runWindow, slowestTasks, statsByType } from '../../src/report/stats.js';
import { buildSummary } from '../../src/report/summary.js';
import { localAndUtc, localTime } from '../../src/report/time.js';
import { DIR, finding, issue, state } from '../helpers/report-fixtures.js';
import { NOW, at, task } from '../helpers/task-fixtures.js';

const window = { start: NOW.getTime() - 10_000, end: NOW.getTime() };

describe('the run window', () => {
  it.each<[string, Parameters<typeof runWindow>[0], ReturnType<typeof runWindow>]>([
    ['a finished run', { started_at: at(-10_000), ended_at: NOW.toISOString(), workers: 1 }, window],
    ['a run still going', { started_at: at(-10_000), workers: 1 }, { start: window.start, end: Infinity }],
    ['an unreadable start', { started_at: 'yesterday', workers: 1 }, undefined],
    ['no run', null, undefined],
  ])('of %s', (_what, run, expected) => {
    expect(runWindow(run)).toEqual(expected);
  });

  it.each<[string, unknown, boolean]>([
    ['a time inside', at(-5_000), true],
    ['the start itself', at(-10_000), true],
    ['a time before (an earlier run)', at(-10_001), false],
    ['a time after', at(1), false],
    ['no time', undefined, false],
    ['an unreadable time', 'soon', false],
  ])('holds %s: %s', (_what, iso, inside) => {
    expect(inWindow(iso, window)).toBe(inside);
  });

  it.each<[string, string, number | undefined, number]>([
    ['an agent run inside the window', at(-1_000), 2_000, 2_000],
    ['an agent run that began before the run (an inherited claim)', at(-8_000), 5_000, 2_000],
    ['an agent run of an earlier run', at(-20_000), 5_000, 0],
    ['a record without a duration', at(-1_000), undefined, 0],
  ])('counts as busy %s', (_what, iso, duration, busy) => {
    expect(busyWithin(iso, duration, window)).toBe(busy);
  });

  it('counts as finished in this run only the tasks that finished during it (and those that do not say when)', () => {
    const tasks = [
      task('earlier', { status: 'completed', completed_at: at(-60_000) }),
      task('now', { status: 'completed', completed_at: at(-1_000) }),
      task('failed now', { status: 'failed', failed_at: at(-2_000) }),
      task('unknown', { status: 'completed' }),
      task('pending'),
    ];
    expect(finishedDuring(tasks, window)).toBe(3);
    expect(finishedDuring(tasks, undefined)).toBe(4);
  });
});

describe('durationStats', () => {
  it.each<[string, number[], ReturnType<typeof durationStats>]>([
    ['no durations', [], null],
    ['one', [7], { count: 1, p50_ms: 7, p90_ms: 7, max_ms: 7 }],
    ['ten, nearest rank', [10, 1, 9, 2, 8, 3, 7, 4, 6, 5], { count: 10, p50_ms: 5, p90_ms: 9, max_ms: 10 }],
    ['a hundred', Array.from({ length: 100 }, (_, i) => i + 1), { count: 100, p50_ms: 50, p90_ms: 90, max_ms: 100 }],
    ['bad values left out', [NaN, -1, 3, Infinity], { count: 1, p50_ms: 3, p90_ms: 3, max_ms: 3 }],
  ])('of %s', (_what, durations, expected) => {
    expect(durationStats(durations)).toEqual(expected);
  });
});

describe('statsByType and slowestTasks', () => {
  const tasks = [
    task('a', { type: 'lint', status: 'completed', duration_ms: 100, cost_usd: 0.25 }),
    task('b', { type: 'lint', status: 'failed', duration_ms: 300, cost_usd: 0.5 }),
    task('c', { type: 'fix', status: 'completed', duration_ms: 200 }),
    task('d', { type: 'lint', status: 'claimed', duration_ms: 9_999 }),
    task('e', { type: 'review', status: 'completed', duration_ms: 50, cost_usd: 0.1, cost_estimated: true, tokens: { input: 9 } }),
    task('f', { type: 'review', status: 'completed', duration_ms: 50, tokens: { input: 9, output: 1 } }),
    task('g', { type: 'audit', status: 'failed', duration_ms: 50, tokens: { output: 1 } }),
  ];

  it('groups by type, most tasks first, with durations of finished tasks only', () => {
    expect(statsByType(tasks)).toEqual([
      { type: 'lint', tasks: 3, completed: 1, failed: 1, unfinished: 1, p50_ms: 100, max_ms: 300, cost_usd: 0.75, cost_estimated: false, runs_unknown_cost: 0 },
      // The last runs' costs: one estimated, one unknown.
      { type: 'review', tasks: 2, completed: 2, failed: 0, unfinished: 0, p50_ms: 50, max_ms: 50, cost_usd: 0.1, cost_estimated: true, runs_unknown_cost: 1 },
      { type: 'audit', tasks: 1, completed: 0, failed: 1, unfinished: 0, p50_ms: 50, max_ms: 50, cost_usd: null, cost_estimated: false, runs_unknown_cost: 1 },
      { type: 'fix', tasks: 1, completed: 1, failed: 0, unfinished: 0, p50_ms: 200, max_ms: 200, cost_usd: 0, cost_estimated: false, runs_unknown_cost: 0 },
    ]);
  });

  it('names the slowest finished tasks, slowest first', () => {
    expect(slowestTasks(tasks, 2).map((t) => t.id)).toEqual(['b', 'c']);
  });
});

describe('buildSummary after a resume', () => {
  const run = { started_at: at(-10_000), ended_at: NOW.toISOString(), workers: 1 };
  const st = state(
    [
      task('old', { status: 'completed', worker_id: 1, completed_at: at(-100_000), duration_ms: 60_000 }),
      task('new', { status: 'completed', worker_id: 1, completed_at: at(-1_000), duration_ms: 2_000 }),
    ],
    {
      meta: { active: false, worker_count: 1, run },
      findings: [
        { ...finding('old', 1, 60_000), timestamp: at(-100_000), cost_usd: 1 },
        { ...finding('new', 1, 2_000), timestamp: at(-1_000), cost_usd: 0.5 },
      ],
      issues: [{ ...issue('x', 1, 'requeued', 30_000), timestamp: at(-200_000) }],
    },
  );
  const summary = buildSummary(st, [], { dir: DIR, report: `${DIR}/R.md` });

  it("divides only this run's tasks by its duration", () => {
    expect([summary.finished_this_run, summary.tasks_per_second]).toEqual([1, 0.1]);
  });

  it("credits the workers with this run's work only: none is busier than the run was long", () => {
    expect(summary.workers).toEqual([expect.objectContaining({ worker_id: 1, completed: 1, requeued: 0, busy_ms: 2_000, cost_usd: 0.5 })]);
  });

  it("has this run's cost next to the recorded total", () => {
    expect([summary.run_usage.cost_usd, summary.usage.cost_usd]).toEqual([0.5, 1.5]);
  });

  it('lists every task for --json, with the cause of a failed one', () => {
    const failed = buildSummary(state([task('f', { status: 'failed', attempts: 1, error: 'auth failure — x\nlast output:\ny' })]), [], {
      dir: DIR,
      report: 'R.md',
    });
    expect(failed.tasks).toEqual([{ id: 'f', type: 'test', status: 'failed', worker_id: null, attempts: 1, duration_ms: null, cause: 'auth failure — x' }]);
    expect(summary.tasks.map((t) => [t.id, t.status, t.duration_ms])).toEqual([
      ['old', 'completed', 60_000],
      ['new', 'completed', 2_000],
    ]);
  });
});

describe('local time next to UTC', () => {
  it.each<[string, string, number, string, string]>([
    ['east of UTC', '2024-05-01T12:05:03.000Z', 120, '2024-05-01 14:05:03 +02:00', '2024-05-01 14:05:03 +02:00 (12:05:03 UTC)'],
    ['half an hour off', '2024-05-01T12:05:03.000Z', 330, '2024-05-01 17:35:03 +05:30', '2024-05-01 17:35:03 +05:30 (12:05:03 UTC)'],
    ['west of UTC, on the day before', '2024-05-01T02:00:00.000Z', -300, '2024-04-30 21:00:00 -05:00', '2024-04-30 21:00:00 -05:00 (2024-05-01 02:00:00 UTC)'],
    ['UTC itself', '2024-05-01T12:05:03.000Z', 0, '2024-05-01 12:05:03 +00:00', '2024-05-01 12:05:03 UTC'],
  ])('%s', (_what, iso, offset, local, both) => {
    expect(localTime(iso, offset)).toBe(local);
    expect(localAndUtc(iso, offset)).toBe(both);
  });

  it('says nothing of an unreadable time', () => {
    expect([localTime('soon'), localAndUtc('soon')]).toEqual([undefined, undefined]);
  });
});
