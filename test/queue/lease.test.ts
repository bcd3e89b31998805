import { describe, expect, it, vi } from 'vitest';
import { reapClaim, staleClaimReason, withoutClaim } from '../../src/queue/lease.js';
import type { ReapContext } from '../../src/queue/lease.js';
import { reapAll } from '../../src/queue/reap.js';
import type { Task } from '../../src/queue/types.js';
import { NOW, at, claimed, task } from '../helpers/task-fixtures.js';

const alive = () => true;
const dead = () => false;
const ctx = (over: Partial<ReapContext> = {}): ReapContext => ({ now: NOW, host: 'host-a', maxAttempts: 3, isAlive: alive, ...over });

describe('staleClaimReason', () => {
  it.each<[string, Task, Partial<ReapContext>, string | undefined]>([
    ['a live worker on this host with a running lease keeps its claim', claimed('a'), {}, undefined],
    ['a dead worker on this host', claimed('a'), { isAlive: dead }, 'worker-died'],
    ['a dead worker on this host, even with a running lease', claimed('a', { lease_expires_at: at(3_600_000) }), { isAlive: dead }, 'worker-died'],
    ['a dead worker whose lease also expired is reported as died', claimed('a', { lease_expires_at: at(-1) }), { isAlive: dead }, 'worker-died'],
    ['a live worker whose lease expired', claimed('a', { lease_expires_at: at(-1) }), {}, 'lease-expired'],
    ['a lease ending exactly now', claimed('a', { lease_expires_at: at(0) }), {}, 'lease-expired'],
    ['a lease ending one millisecond from now', claimed('a', { lease_expires_at: at(1) }), {}, undefined],
    ['a claim without a lease', claimed('a', { lease_expires_at: undefined }), {}, 'lease-expired'],
    ['a claim with an unreadable lease', claimed('a', { lease_expires_at: 'soon' }), {}, 'lease-expired'],
    ['a worker on another host is not checked for liveness', claimed('a', { worker_host: 'host-b' }), { isAlive: dead }, undefined],
    ['a worker on another host whose lease expired', claimed('a', { worker_host: 'host-b', lease_expires_at: at(-1) }), { isAlive: dead }, 'lease-expired'],
    ['a claim without a pid is judged by its lease only', claimed('a', { worker_pid: undefined }), { isAlive: dead }, undefined],
    ['a pending task is never stale', task('a', { lease_expires_at: at(-1) }), { isAlive: dead }, undefined],
    ['a completed task is never stale', claimed('a', { status: 'completed', lease_expires_at: at(-1) }), { isAlive: dead }, undefined],
  ])('judges %s', (_what, t, over, reason) => {
    expect(staleClaimReason(t, ctx(over))).toBe(reason);
  });

  it('asks isAlive about the worker pid', () => {
    const isAlive = vi.fn(() => true);
    staleClaimReason(claimed('a', { worker_pid: 777 }), ctx({ isAlive }));
    expect(isAlive).toHaveBeenCalledWith(777);
  });
});

describe('withoutClaim', () => {
  const stripped = withoutClaim(claimed('a', { data: { x: 1 }, last_error: 'e' }));

  it.each(['claim_token', 'lease_expires_at', 'worker_pid', 'worker_host', 'claimed_at'])('removes %s', (field) => {
    expect(stripped).not.toHaveProperty(field);
  });

  it.each<[string, unknown]>([
    ['id', 'a'],
    ['status', 'claimed'],
    ['attempts', 1],
    ['worker_id', 1],
    ['data', { x: 1 }],
    ['last_error', 'e'],
  ])('keeps %s', (field, value) => {
    expect(stripped[field]).toEqual(value);
  });
});

describe('reapClaim', () => {
  it('leaves a live claim alone', () => {
    expect(reapClaim(claimed('a'), ctx())).toBeUndefined();
  });

  it.each<[string, number, number, 'pending' | 'failed', 'requeued' | 'failed']>([
    ['the first of three attempts goes back to pending', 1, 3, 'pending', 'requeued'],
    ['the second of three attempts goes back to pending', 2, 3, 'pending', 'requeued'],
    ['the third of three attempts fails', 3, 3, 'failed', 'failed'],
    ['more attempts than allowed fails', 5, 3, 'failed', 'failed'],
    ['a single allowed attempt fails at once', 1, 1, 'failed', 'failed'],
  ])('%s', (_what, attempts, maxAttempts, status, outcome) => {
    const reaped = reapClaim(claimed('a', { attempts }), ctx({ maxAttempts, isAlive: dead }))!;
    expect(reaped.task.status).toBe(status);
    expect(reaped.issue.outcome).toBe(outcome);
  });

  describe('a requeued task', () => {
    const { task: next } = reapClaim(claimed('a', { attempts: 2, data: { x: 1 } }), ctx({ isAlive: dead }))!;

    it('keeps its attempts', () => expect(next.attempts).toBe(2));
    it('keeps its data', () => expect(next.data).toEqual({ x: 1 }));
    it('loses its claim token and lease', () => {
      expect(next).not.toHaveProperty('claim_token');
      expect(next).not.toHaveProperty('lease_expires_at');
    });
    it('records why in last_error', () => expect(next.last_error).toBe('worker 1 (pid 100) died while holding the task; returned to pending (attempt 2 of 3)'));
    it('has no failed_at or error', () => {
      expect(next).not.toHaveProperty('failed_at');
      expect(next).not.toHaveProperty('error');
    });
  });

  describe('a task that ran out of attempts', () => {
    const { task: next, issue } = reapClaim(claimed('a', { attempts: 3, lease_expires_at: at(-1) }), ctx())!;

    it('is failed at now', () => expect(next).toMatchObject({ status: 'failed', failed_at: NOW.toISOString() }));
    it('says why, how many attempts and where the log is', () => {
      expect(next.error).toBe(
        `lease expired at ${at(-1)} without a heartbeat from worker 1; gave up after 3 attempt(s) (--max-attempts 3); see .ralph/worker-1.log`,
      );
    });
    it('reports the same error in the issue', () => expect(issue.error).toBe(next.error));
    it('loses its claim fields', () => expect(next).not.toHaveProperty('claim_token'));
  });

  it.each<[string, Task, Partial<ReapContext>, Record<string, unknown>]>([
    [
      'a dead worker',
      claimed('a', { attempts: 1 }),
      { isAlive: dead },
      {
        task_id: 'a',
        worker_id: 1,
        reason: 'worker-died',
        attempt: 1,
        exit_code: null,
        signal: null,
        timestamp: NOW.toISOString(),
        duration_ms: 30_000,
        outcome: 'requeued',
      },
    ],
    ['an expired lease', claimed('a', { attempts: 1, lease_expires_at: at(-1) }), {}, { reason: 'lease-expired', outcome: 'requeued' }],
    ['a claim without claimed_at', claimed('a', { claimed_at: undefined }), { isAlive: dead }, { duration_ms: 0 }],
    ['a claimed_at in the future', claimed('a', { claimed_at: at(5_000) }), { isAlive: dead }, { duration_ms: 0 }],
    ['a claim without worker_id', claimed('a', { worker_id: undefined }), { isAlive: dead }, { worker_id: 0 }],
  ])('describes %s in its issue', (_what, t, over, expected) => {
    expect(reapClaim(t, ctx(over))!.issue).toMatchObject(expected);
  });
});

describe('reapAll', () => {
  it.each<[string, Task[], string[]]>([
    ['an empty queue reaps nothing', [], []],
    ['live claims are left alone', [claimed('a'), claimed('b')], []],
    ['pending and finished tasks are left alone', [task('a', { lease_expires_at: at(-1) }), task('b', { status: 'completed' })], []],
    [
      'every stale claim is reaped, in queue order',
      [claimed('a', { lease_expires_at: at(-1) }), claimed('b'), claimed('c', { lease_expires_at: at(-2) })],
      ['a', 'c'],
    ],
  ])('%s', (_what, tasks, ids) => {
    expect(reapAll(tasks, ctx()).map((r) => r.task.id)).toEqual(ids);
  });

  it('returns what reapClaim decides for each task', () => {
    const t = claimed('a', { lease_expires_at: at(-1) });
    expect(reapAll([t], ctx())).toEqual([reapClaim(t, ctx())]);
  });
});
