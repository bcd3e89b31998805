import { describe, expect, it } from 'vitest';
import { buildSummary, exitCodeFor } from '../../src/report/summary.js';
import type { StatusCounts } from '../../src/queue/types.js';
import { DIR, finding, issue, session, state } from '../helpers/report-fixtures.js';
import { NOW, at, claimed, task } from '../helpers/task-fixtures.js';

const where = { dir: DIR, report: `${DIR}/ORCHESTRATOR-REPORT.md` };

describe('exitCodeFor', () => {
  it.each<[string, StatusCounts, number]>([
    ['an empty queue', { pending: 0, claimed: 0, completed: 0, failed: 0 }, 0],
    ['every task completed', { pending: 0, claimed: 0, completed: 4, failed: 0 }, 0],
    ['a failed task', { pending: 0, claimed: 0, completed: 4, failed: 1 }, 1],
    ['a pending task', { pending: 1, claimed: 0, completed: 4, failed: 0 }, 1],
    ['a claimed task', { pending: 0, claimed: 1, completed: 4, failed: 0 }, 1],
  ])('gives %s exit code %d', (_what, counts, code) => {
    expect(exitCodeFor(counts)).toBe(code);
  });
});

const ZERO = { input: 0, output: 0, cache_read: 0, cache_write: 0 };

describe('buildSummary', () => {
  it('summarises a fully completed run', () => {
    const s = buildSummary(state([task('a', { status: 'completed' }), task('b', { status: 'completed' })]), [], where);
    expect(s).toMatchObject({
      ok: true,
      exit_code: 0,
      state_dir: DIR,
      report: where.report,
      total: 2,
      duration_ms: 10_000,
      stopped_by: 'completed',
      counts: { pending: 0, claimed: 0, completed: 2, failed: 0 },
      tasks_per_second: 0.2,
      failures: [],
      unfinished: [],
    });
  });

  it.each<[string, Parameters<typeof state>[1], number | null, number | null]>([
    ['a run without run info', { meta: { active: false, worker_count: 0 } }, null, null],
    ['a run that has not ended', { meta: { active: true, worker_count: 1, run: { started_at: at(-5_000), workers: 1 } } }, null, null],
    [
      'a run of zero length',
      { meta: { active: false, worker_count: 1, run: { started_at: NOW.toISOString(), ended_at: NOW.toISOString(), workers: 1 } } },
      0,
      null,
    ],
    [
      'a run with an unreadable start',
      { meta: { active: false, worker_count: 1, run: { started_at: 'yesterday', ended_at: NOW.toISOString(), workers: 1 } } },
      null,
      null,
    ],
    [
      'three tasks in three seconds',
      { meta: { active: false, worker_count: 1, run: { started_at: at(-3_000), ended_at: NOW.toISOString(), workers: 1 } } },
      3_000,
      1,
    ],
  ])('gives duration and throughput for %s', (_what, extra, duration, rate) => {
    const s = buildSummary(state([task('a', { status: 'completed' }), task('b', { status: 'failed' }), task('c', { status: 'completed' })], extra), [], where);
    expect([s.duration_ms, s.tasks_per_second]).toEqual([duration, rate]);
  });

  it('rounds the throughput to two decimals', () => {
    const s = buildSummary(
      state([task('a', { status: 'completed' })], {
        meta: { active: false, worker_count: 1, run: { started_at: at(-3_000), ended_at: NOW.toISOString(), workers: 1 } },
      }),
      [],
      where,
    );
    expect(s.tasks_per_second).toBe(0.33);
  });

  it.each<[string, 'timeout' | undefined, string | null]>([
    ['the stop reason given', 'timeout', 'timeout'],
    ['the run’s stop reason when none is given', undefined, 'completed'],
  ])('reports %s', (_what, stoppedBy, expected) => {
    expect(buildSummary(state([]), [], { ...where, stoppedBy }).stopped_by).toBe(expected);
  });

  it('lists failures with their error and worker log', () => {
    const s = buildSummary(state([task('a', { status: 'failed', worker_id: 2, attempts: 3, error: 'boom' }), task('b', { status: 'failed' })]), [], where);
    expect(s.failures).toEqual([
      { id: 'a', type: 'test', worker_id: 2, attempts: 3, cause: 'boom', error: 'boom', log: `${DIR}/worker-2.log` },
      { id: 'b', type: 'test', worker_id: null, attempts: 0, cause: 'unknown error', error: 'unknown error', log: null },
    ]);
    expect(s).toMatchObject({ ok: false, exit_code: 1 });
  });

  it('lists pending and claimed tasks as unfinished', () => {
    const s = buildSummary(state([task('a', { attempts: 1 }), claimed('b', { worker_id: 4 }), task('c', { status: 'completed' })]), [], where);
    expect(s.unfinished).toEqual([
      { id: 'a', type: 'test', status: 'pending', worker_id: null, attempts: 1 },
      { id: 'b', type: 'test', status: 'claimed', worker_id: 4, attempts: 1 },
    ]);
  });

  it('adds up each worker’s findings and issues', () => {
    const s = buildSummary(
      state([], {
        findings: [finding('a', 1, 1_000), finding('b', 1, 2_000), finding('c', 2, 500)],
        issues: [issue('d', 2, 'failed', 300), issue('e', 2, 'requeued', 200), issue('f', 3, 'requeued')],
      }),
      [session(2, 'idle', at(-1)), session(5, 'stopped', at(-2))],
      where,
    );
    expect(s.workers).toEqual([
      {
        worker_id: 1,
        completed: 2,
        failed: 0,
        requeued: 0,
        busy_ms: 3_000,
        cost_usd: 0,
        cost_estimated: false,
        runs_unknown_cost: 0,
        tokens: ZERO,
        status: 'unknown',
        last_heartbeat: null,
        log: `${DIR}/worker-1.log`,
      },
      {
        worker_id: 2,
        completed: 1,
        failed: 1,
        requeued: 1,
        busy_ms: 1_000,
        cost_usd: 0,
        cost_estimated: false,
        runs_unknown_cost: 0,
        tokens: ZERO,
        status: 'idle',
        last_heartbeat: at(-1),
        log: `${DIR}/worker-2.log`,
      },
      {
        worker_id: 3,
        completed: 0,
        failed: 0,
        requeued: 1,
        busy_ms: 0,
        cost_usd: 0,
        cost_estimated: false,
        runs_unknown_cost: 0,
        tokens: ZERO,
        status: 'unknown',
        last_heartbeat: null,
        log: `${DIR}/worker-3.log`,
      },
      {
        worker_id: 5,
        completed: 0,
        failed: 0,
        requeued: 0,
        busy_ms: 0,
        cost_usd: 0,
        cost_estimated: false,
        runs_unknown_cost: 0,
        tokens: ZERO,
        status: 'stopped',
        last_heartbeat: at(-2),
        log: `${DIR}/worker-5.log`,
      },
    ]);
  });

  it('sorts workers by id', () => {
    const s = buildSummary(state([]), [session(10, 'idle', at(0)), session(2, 'idle', at(0)), session(7, 'idle', at(0))], where);
    expect(s.workers.map((w) => w.worker_id)).toEqual([2, 7, 10]);
  });
});
