import { bucketOf } from '../queue/series.js';
import type { SeriesBucket } from '../queue/series.js';

/**
 * The queue's history for the dashboard's charts: how many tasks were done (completed or failed for
 * good) and what had been spent, at each step of a window. Pure; the stores count the buckets
 * (queue/series.ts), this turns them into points.
 */

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

/**
 * The points from `from` to `end` (the run's end, or now while it runs), one at the end of each
 * bucket, and one at `now` after a run that ended: today's totals (`done`, `cost`) less what
 * finished or was spent after each. A history so made ends exactly where the live figures are,
 * whatever finished before the window or without saying when.
 */
export function historyPoints(
  buckets: readonly SeriesBucket[],
  totals: { done: number; cost: number },
  window: { from: number; end: number; now: number; bucketMs: number },
): HistoryPoint[] {
  const { from, end, now, bucketMs } = window;
  const byStart = new Map(buckets.map((b) => [b.t, b]));
  let done = totals.done;
  let cost = totals.cost;
  const points: HistoryPoint[] = now > end ? [{ t: now, done, cost }] : [];
  const last = bucketOf(Math.min(end, now), from, bucketMs) ?? from;
  // What came after the window (a worker after the run, by hand) is taken off first, by whole
  // buckets: what finished after the end but in its bucket counts at the end.
  for (const bucket of buckets) {
    if (bucket.t <= last) continue;
    done -= bucket.finished;
    cost -= bucket.cost;
  }
  const add = (t: number) => {
    if (points.at(-1)?.t !== t) points.push({ t, done: Math.max(0, done), cost: Math.max(0, cost) });
  };
  for (let start = last; start >= from; start -= bucketMs) {
    add(Math.min(end, now, start + bucketMs));
    const bucket = byStart.get(start);
    done -= bucket?.finished ?? 0;
    cost -= bucket?.cost ?? 0;
  }
  add(from);
  return points.reverse();
}
