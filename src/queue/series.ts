import { costOf } from './limits.js';
import type { Finding, Issue, Task } from './types.js';

/**
 * Tasks finished and money spent, counted per bucket of time: what the dashboard's charts are drawn
 * from (report/history.ts). Pure; a database's queue counts the same in SQL (store/pg/reads.ts).
 */

/** When a task finished (completed or failed for good), if it did. */
export function finishedAt(task: Task): string | undefined {
  if (task.status === 'completed') return task.completed_at;
  if (task.status === 'failed') return task.failed_at;
  return undefined;
}

/** What finished and what was spent in one bucket of time, by the bucket's start (ms since the epoch). */
export interface SeriesBucket {
  t: number;
  finished: number;
  cost: number;
}

/** An ISO 8601 time with its zone as Ralph writes them; the same test in SQL (store/pg/reads.ts) leaves the rest out. */
export const ISO_TIME = String.raw`^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$`;
const ISO = new RegExp(ISO_TIME);

/** `text` as ms since the epoch when it is such a time, else NaN. */
export function timeOf(text: unknown): number {
  return typeof text === 'string' && ISO.test(text) ? Date.parse(text) : NaN;
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
    const bucket = buckets.get(t) ?? { t, finished: 0, cost: 0 };
    buckets.set(t, bucket);
    return bucket;
  };
  for (const task of tasks) {
    const t = bucketOf(timeOf(finishedAt(task)), from, bucketMs);
    if (t !== undefined) at(t).finished += 1;
  }
  for (const result of results) {
    const cost = costOf(result);
    const t = cost === undefined ? undefined : bucketOf(timeOf(result.timestamp), from, bucketMs);
    if (t !== undefined) at(t).cost += cost!;
  }
  return [...buckets.values()].sort((a, b) => a.t - b.t);
}
