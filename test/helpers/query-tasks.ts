// Tasks of every kind a list can select and order (test/queue/task-query.test.ts; the database's
// queue is checked against the same ones in test/store/pg-store.test.ts).
import type { Finding, Issue, Task } from '../../src/queue/types.js';
import { at, task } from './task-fixtures.js';

export const QUERY_TASKS: Task[] = [
  task('b-build', { type: 'build' }),
  task('a-test', { type: 'test', status: 'completed', attempts: 1, worker_id: 1, duration_ms: 500, completed_at: at(-3_000), finding: 'All GREEN' }),
  task('c-test', { type: 'test', status: 'failed', attempts: 3, worker_id: 2, duration_ms: 2_000, failed_at: at(-1_000), error: 'Timed out on green light' }),
  task('d-build', { type: 'build', status: 'claimed', attempts: 2, worker_id: 1 }),
  task('e-docs', { type: 'docs', status: 'pending', attempts: 1, last_error: 'flaky network' }),
  task('f-test', { type: 'test', status: 'completed', attempts: 1, worker_id: 2, duration_ms: 500, completed_at: at(-2_000), finding: 'ok' }),
  task('g-merge', {
    type: 'build',
    status: 'failed',
    attempts: 1,
    worker_id: 1,
    failed_at: at(-500),
    error: 'merge conflict',
    branch: 'ralph/g-merge',
    merge: 'conflict',
  }),
];

/** Queries whose answers the two stores must agree on: each filter alone and together, each order. */
export const QUERIES = [
  {},
  { status: 'completed' },
  { type: 'test' },
  { worker: 2 },
  { text: 'green' },
  { text: 'NETWORK' },
  { text: 'b-' },
  { type: 'test', worker: 2, status: 'failed' },
  { sort: 'id' },
  { sort: 'attempts' },
  { sort: 'duration' },
  { sort: 'finished' },
  { type: 'test', sort: 'finished', offset: 1, limit: 1 },
  { merge: 'conflict' },
] as const;

/**
 * Tasks and results whose history (queue/series.ts) the two stores must agree on, 10 s from
 * `NOW - 10 s` in buckets of 2 s: finishes at 0 (the window's first instant), 4 (a bucket's first),
 * 6.5, 8.2 and 9 s; costs at 6.5 (0.5) and 8.2 (0.25) s; and what both leave out: a finish before
 * the window, a pending task, times that are not ISO times with a zone, a cost that is not a number.
 */
export const HISTORY_TASKS: Task[] = [
  task('h1', { status: 'completed', completed_at: at(-3_500) }),
  task('h2', { status: 'failed', failed_at: at(-1_800) }),
  task('h3', { status: 'completed', completed_at: at(-1_000) }),
  task('h4', { status: 'completed', completed_at: at(-60_000) }),
  task('h5', { status: 'pending', completed_at: at(-1_000) }),
  task('h6', { status: 'completed', completed_at: at(-10_000) }),
  task('h7', { status: 'failed', failed_at: at(-6_000) }),
  task('h8', { status: 'completed', completed_at: 'yesterday' }),
  task('h9', { status: 'completed', completed_at: '2024-13-01T00:00:00Z' }),
  task('h10', { status: 'completed', completed_at: at(-1_000).replace('Z', '') }),
];

export const HISTORY_RESULTS: Array<Finding | Issue> = [
  { task_id: 'h1', worker_id: 1, finding: 'ok', timestamp: at(-3_500), duration_ms: 1, exit_code: 0, attempt: 1, cost_usd: 0.5 },
  {
    task_id: 'h2',
    worker_id: 1,
    error: 'boom',
    reason: 'exit',
    timestamp: at(-1_800),
    attempt: 1,
    exit_code: 1,
    signal: null,
    duration_ms: 1,
    outcome: 'failed',
    cost_usd: 0.25,
  },
  { task_id: 'h3', worker_id: 1, finding: 'ok', timestamp: at(-1_000), duration_ms: 1, exit_code: 0, attempt: 1 },
  { task_id: 'h4', worker_id: 1, finding: 'ok', timestamp: at(-60_000), duration_ms: 1, exit_code: 0, attempt: 1, cost_usd: 4 },
  { task_id: 'h6', worker_id: 1, finding: 'ok', timestamp: at(-10_000), duration_ms: 1, exit_code: 0, attempt: 1, cost_usd: '0.5' as unknown as number },
  { task_id: 'h8', worker_id: 1, finding: 'ok', timestamp: 'yesterday', duration_ms: 1, exit_code: 0, attempt: 1, cost_usd: 2 },
];
