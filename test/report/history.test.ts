import { describe, expect, it } from 'vitest';
import { bucketSize, historyPoints } from '../../src/report/history.js';
import { bucketOf, countSeries } from '../../src/queue/series.js';
import type { Finding } from '../../src/queue/types.js';
import { HISTORY_RESULTS, HISTORY_TASKS } from '../helpers/query-tasks.js';
import { NOW, at, task } from '../helpers/task-fixtures.js';

const from = NOW.getTime() - 10_000;

describe("the dashboard charts' history", () => {
  it.each([
    [0, 60_000, 2000],
    [0, 240_000, 2000],
    [0, 3_600_000, 15_000],
    [0, 7 * 86_400_000, 2_520_000],
  ])('cuts %d..%d ms into buckets of %d ms (at least 2 s, at most 240 of them)', (start, end, size) => {
    expect(bucketSize(start, end)).toBe(size);
    expect(Math.ceil((end - start) / size)).toBeLessThanOrEqual(240);
  });

  it.each([
    [from - 1, undefined],
    [from, from],
    [from + 1999, from],
    [from + 2000, from + 2000],
    [Number.NaN, undefined],
  ])('puts %d in the bucket starting at %s', (t, start) => {
    expect(bucketOf(t, from, 2000)).toBe(start);
  });

  it("counts finished tasks by when they finished, and every attempt's cost by when it was recorded", () => {
    const buckets = countSeries(HISTORY_TASKS, HISTORY_RESULTS, from, 2000);
    expect(buckets).toEqual([
      { t: from, finished: 1, cost: 0 },
      { t: from + 4000, finished: 1, cost: 0 },
      { t: from + 6000, finished: 1, cost: 0.5 },
      { t: from + 8000, finished: 2, cost: 0.25 },
    ]);
  });

  it('leaves out what finished before the window or does not say when', () => {
    const tasks = [task('a', { status: 'completed', completed_at: at(-60_000) }), task('b', { status: 'failed', failed_at: 'yesterday' }), task('c')];
    const results = [{ task_id: 'a', timestamp: at(-60_000), cost_usd: 1 } as unknown as Finding];
    expect(countSeries(tasks, results, from, 2000)).toEqual([]);
  });

  it("walks back from today's totals, so the history ends where the live figures are", () => {
    const buckets = [
      { t: from + 2000, finished: 2, cost: 0.5 },
      { t: from + 6000, finished: 1, cost: 0.25 },
    ];
    expect(historyPoints(buckets, { done: 10, cost: 2 }, { from, end: from + 7000, now: from + 7000, bucketMs: 2000 })).toEqual([
      { t: from, done: 7, cost: 1.25 },
      { t: from + 2000, done: 7, cost: 1.25 },
      { t: from + 4000, done: 9, cost: 1.75 },
      { t: from + 6000, done: 9, cost: 1.75 },
      { t: from + 7000, done: 10, cost: 2 },
    ]);
  });

  it("ends at the end of a run that ended, and then at now, with what came after taken off the run's points", () => {
    const buckets = [
      { t: from, finished: 1, cost: 0 },
      { t: from + 2000, finished: 2, cost: 1 },
      { t: from + 60_000, finished: 4, cost: 0 },
    ];
    expect(historyPoints(buckets, { done: 7, cost: 1 }, { from, end: from + 3000, now: from + 3_600_000, bucketMs: 2000 })).toEqual([
      { t: from, done: 0, cost: 0 },
      { t: from + 2000, done: 1, cost: 0 },
      { t: from + 3000, done: 3, cost: 1 },
      { t: from + 3_600_000, done: 7, cost: 1 },
    ]);
  });

  it('never gives two points at one time (a window of whole buckets, a run that ended as it began)', () => {
    const times = (points: Array<{ t: number }>) => points.map((p) => p.t - from);
    expect(times(historyPoints([], { done: 0, cost: 0 }, { from, end: from + 4000, now: from + 4000, bucketMs: 2000 }))).toEqual([0, 2000, 4000]);
    expect(times(historyPoints([], { done: 0, cost: 0 }, { from, end: from, now: from + 5000, bucketMs: 2000 }))).toEqual([0, 5000]);
  });

  it('gives a flat line for a quiet window, and never goes below nothing', () => {
    expect(historyPoints([], { done: 3, cost: 0 }, { from, end: from + 3000, now: from + 3000, bucketMs: 2000 })).toEqual([
      { t: from, done: 3, cost: 0 },
      { t: from + 2000, done: 3, cost: 0 },
      { t: from + 3000, done: 3, cost: 0 },
    ]);
    expect(historyPoints([{ t: from, finished: 5, cost: 9 }], { done: 1, cost: 1 }, { from, end: from + 1000, now: from + 1000, bucketMs: 2000 })[0]).toEqual({
      t: from,
      done: 0,
      cost: 0,
    });
  });
});
