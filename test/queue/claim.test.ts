import { describe, expect, it } from 'vitest';
import { claimTask, holdsClaim, inQueueOrder, isReady, nextReadyAt, renewLease, selectNext } from '../../src/queue/claim.js';
import type { Claimant } from '../../src/queue/claim.js';
import type { Task } from '../../src/queue/types.js';
import { NOW, at, claimed, task } from '../helpers/task-fixtures.js';

const p = (id: string, priority: unknown, fields: Partial<Task> = {}) => task(id, { data: { priority }, ...fields });

describe('isReady', () => {
  it.each([
    ['a pending task without not_before', task('a'), true],
    ['a pending task whose not_before has passed', task('a', { not_before: at(-1) }), true],
    ['a pending task whose not_before is exactly now', task('a', { not_before: at(0) }), true],
    ['a pending task whose not_before is in the future', task('a', { not_before: at(1) }), false],
    ['a claimed task', claimed('a'), false],
    ['a completed task', task('a', { status: 'completed' }), false],
    ['a failed task', task('a', { status: 'failed' }), false],
  ])('says %s is ready: %s', (_what, t, ready) => {
    expect(isReady(t, NOW)).toBe(ready);
  });
});

describe('selectNext', () => {
  it.each<[string, Task[], number]>([
    ['an empty queue has nothing to claim', [], -1],
    ['the first pending task wins among equal priorities', [task('a'), task('b'), task('c')], 0],
    ['claimed, completed and failed tasks are skipped', [claimed('a'), task('b', { status: 'completed' }), task('c', { status: 'failed' }), task('d')], 3],
    ['a queue with no pending task has nothing to claim', [claimed('a'), task('b', { status: 'completed' })], -1],
    ['a high task is taken before earlier medium tasks', [p('a', 'medium'), task('b'), p('c', 'high')], 2],
    ['a medium (or absent) task is taken before an earlier low task', [p('a', 'low'), task('b')], 1],
    ['queue order breaks ties between high tasks', [task('a'), p('b', 'high'), p('c', 'high')], 1],
    ['a numeric priority above 1 beats high', [p('a', 'high'), p('b', 3)], 1],
    ['a numeric string counts as a number', [p('a', 2), p('b', '10')], 1],
    ['names are case-insensitive', [p('a', 'high'), p('b', 'HIGH')], 0],
    ['a task waiting for its backoff is not ready', [task('a', { not_before: at(1_000) }), task('b')], 1],
    ['a waiting high task does not block a ready low one', [p('a', 'high', { not_before: at(1_000) }), p('b', 'low')], 1],
    ['a task whose backoff has passed is ready', [task('a', { not_before: at(-1_000) }), task('b')], 0],
    ['only waiting tasks means nothing to claim', [task('a', { not_before: at(5) })], -1],
    ['the highest-priority pending task wins even after a claimed high one', [p('a', 'high', { status: 'claimed' }), p('b', 'low'), p('c', 'medium')], 2],
  ])('%s', (_what, tasks, expected) => {
    expect(selectNext(tasks, NOW)).toBe(expected);
  });
});

describe('inQueueOrder', () => {
  it.each<[string, Task, boolean]>([
    ['a task without data', task('a'), true],
    ['a task whose data has no priority', task('a', { data: { x: 1 } }), true],
    ['a medium task (the default rank)', p('a', 'medium'), true],
    ['a task with priority 0', p('a', 0), true],
    ['an unknown priority (ranks as absent)', p('a', 'urgent'), true],
    ['a high task', p('a', 'high'), false],
    ['a low task', p('a', 'low'), false],
    ['a numeric priority', p('a', 2), false],
    ['a task waiting for its backoff', task('a', { not_before: at(1_000) }), false],
    ['a task whose backoff has passed (still checked by the full pass)', task('a', { not_before: at(-1_000) }), false],
  ])('%s: %s', (_what, t, expected) => {
    expect(inQueueOrder(t)).toBe(expected);
  });

  it('lets selectNext skip its pass only where the pass would give the same answer', () => {
    const lists: Task[][] = [
      [],
      [task('a'), task('b')],
      [claimed('a'), task('b'), p('c', 'medium')],
      [task('a', { status: 'completed' }), claimed('b')],
      [task('a', { data: { x: 1 } }), p('b', 'urgent'), task('c')],
    ];
    for (const tasks of lists) {
      expect(tasks.filter((t) => t.status === 'pending').every(inQueueOrder)).toBe(true);
      expect(selectNext(tasks, NOW, true)).toBe(selectNext(tasks, NOW));
    }
  });
});

describe('nextReadyAt', () => {
  it.each<[string, Task[], string | undefined]>([
    ['no task waits', [task('a'), claimed('b')], undefined],
    ['one pending task waits', [task('a', { not_before: at(5_000) })], at(5_000)],
    [
      'several tasks wait: the earliest wins',
      [task('a', { not_before: at(9_000) }), task('b', { not_before: at(2_000) }), task('c', { not_before: at(4_000) })],
      at(2_000),
    ],
    ['a not_before already passed is not waiting', [task('a', { not_before: at(-1) })], undefined],
    ['a not_before exactly now is not waiting', [task('a', { not_before: at(0) })], undefined],
    ['a non-pending task with not_before is ignored', [task('a', { status: 'failed', not_before: at(1_000) })], undefined],
  ])('returns the right time when %s', (_what, tasks, expected) => {
    expect(nextReadyAt(tasks, NOW)?.toISOString()).toBe(expected);
  });
});

describe('claimTask', () => {
  const who: Claimant = { workerId: 3, pid: 4242, host: 'box', token: 'tok-x', now: NOW, leaseMs: 60_000 };

  it.each<[string, keyof Task, unknown]>([
    ['sets the status to claimed', 'status', 'claimed'],
    ['records the worker id', 'worker_id', 3],
    ['records the worker pid', 'worker_pid', 4242],
    ['records the worker host', 'worker_host', 'box'],
    ['records the claim token', 'claim_token', 'tok-x'],
    ['records the claim time', 'claimed_at', NOW.toISOString()],
    ['sets the lease to now plus the lease length', 'lease_expires_at', at(60_000)],
    ['counts one more attempt', 'attempts', 3],
  ])('%s', (_what, field, value) => {
    expect(claimTask(task('a', { attempts: 2 }), who)[field]).toEqual(value);
  });

  it('starts counting at 1 when attempts is missing', () => {
    const { attempts: _a, ...noAttempts } = task('a');
    expect(claimTask(noAttempts as Task, who).attempts).toBe(1);
  });

  it('drops not_before', () => {
    expect(claimTask(task('a', { not_before: at(-1) }), who)).not.toHaveProperty('not_before');
  });

  it('keeps id, type, data and extra fields', () => {
    const claimedTask = claimTask(task('a', { data: { x: 1 }, added_at: at(-5), custom: 'kept' }), who);
    expect(claimedTask).toMatchObject({ id: 'a', type: 'test', data: { x: 1 }, added_at: at(-5), custom: 'kept' });
  });

  it('does not change the task it was given', () => {
    const original = task('a', { not_before: at(-1) });
    const copy = structuredClone(original);
    claimTask(original, who);
    expect(original).toEqual(copy);
  });
});

describe('holdsClaim', () => {
  it.each<[string, Task | undefined, boolean]>([
    ['the claim token of a claimed task holds it', claimed('a'), true],
    ['another token does not hold it', claimed('a', { claim_token: 'tok-2' }), false],
    ['a completed task with the same token is not held', claimed('a', { status: 'completed' }), false],
    ['a pending task with the same token is not held', claimed('a', { status: 'pending' }), false],
    ['a missing task is not held', undefined, false],
  ])('%s', (_what, t, expected) => {
    expect(holdsClaim(t, 'tok-1')).toBe(expected);
  });
});

describe('renewLease', () => {
  it('moves the lease to now plus the lease length', () => {
    expect(renewLease(claimed('a'), NOW, 90_000).lease_expires_at).toBe(at(90_000));
  });

  it('changes nothing else', () => {
    const before = claimed('a');
    const { lease_expires_at: _old, ...rest } = renewLease(before, NOW, 1);
    const { lease_expires_at: _orig, ...expected } = before;
    expect(rest).toEqual(expected);
  });
});
