import { costOf } from '../queue/limits.js';
import type { Finding, Issue, Task } from '../queue/types.js';
import { finishedAt } from './stats.js';

/**
 * The queue's history for the dashboard's charts: how many tasks were done (completed or failed for
 * good) and what had been spent, at each step of a window. Pure; the stores count the buckets (the
 * file store with `countSeries`, a database in SQL), this turns them into points.
 */

/** What finished and what was spent in one bucket of time, by the bucket's start (ms since the epoch). */
export interface SeriesBucket {
  t: number;
  finished: number;
  cost: number;
}

/** A point of the history: at `t`, `done` tasks done and `cost` spent so far (the queue's totals, not the window's). */
export interface HistoryPoint {
  t: number;
  done: number;
  cost: number;
}

/** The most points a history has: the window is cut in at most this many buckets. */
export const HISTORY_BUCKETS = 240;

/** The window's buckets: from `from` to `now`, at least 2 s each, at most HISTORY_BUCKETS of them. */
export function bucketSize(from: number, now: number): number {
  return Math.max(2000, Math.ceil(Math.max(0, now - from) / HISTORY_BUCKETS / 1000) * 1000);
}

/** The start of the bucket `at` falls in, or undefined when it is before the window. */
export function bucketOf(at: number, from: number, bucketMs: number): number | undefined {
  if (!Number.isFinite(at) || at < from) return undefined;
  return from + Math.floor((at - from) / bucketMs) * bucketMs;
}

/** The buckets of tasks finished and of money spent (every attempt's cost, by when it was recorded) since `from`. */
export function countSeries(tasks: readonly Task[], results: ReadonlyArray<Finding | Issue>, from: number, bucketMs: number): SeriesBucket[] {
  const buckets = new Map<number, SeriesBucket>();
  const at = (t: number) => {
    let bucket = buckets.get(t);
    if (!bucket) buckets.set(t, (bucket = { t, finished: 0, cost: 0 }));
    return bucket;
  };
  for (const task of tasks) {
    const t = bucketOf(Date.parse(finishedAt(task) ?? ''), from, bucketMs);
    if (t !== undefined) at(t).finished += 1;
  }
  for (const result of results) {
    const cost = costOf(result);
    const t = cost === undefined ? undefined : bucketOf(Date.parse(result.timestamp), from, bucketMs);
    if (t !== undefined) at(t).cost += cost!;
  }
  return [...buckets.values()].sort((a, b) => a.t - b.t);
}

/**
 * The points from `from` to `now`, one at the end of each bucket: today's totals (`done`, `cost`)
 * less what finished or was spent after it. A history so made ends exactly where the live figures
 * are, whatever finished before the window or without saying when.
 */
export function historyPoints(
  buckets: readonly SeriesBucket[],
  totals: { done: number; cost: number },
  from: number,
  now: number,
  bucketMs: number,
): HistoryPoint[] {
  const byStart = new Map(buckets.map((b) => [b.t, b]));
  const points: HistoryPoint[] = [];
  let done = totals.done;
  let cost = totals.cost;
  for (let start = bucketOf(now, from, bucketMs) ?? from; start >= from; start -= bucketMs) {
    points.push({ t: Math.min(now, start + bucketMs), done, cost: Math.max(0, cost) });
    const bucket = byStart.get(start);
    done -= bucket?.finished ?? 0;
    cost -= bucket?.cost ?? 0;
  }
  points.push({ t: from, done: Math.max(0, done), cost: Math.max(0, cost) });
  return points.reverse();
}
