// Tasks of every kind a list can select and order (test/queue/task-query.test.ts; the database's
// queue is checked against the same ones in test/store/pg-store.test.ts).
import type { Task } from '../../src/queue/types.js';
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
