import { describe, expect, it } from 'vitest';
import { planAppend } from '../../src/queue/append.js';
import { countByStatus, isSettled } from '../../src/queue/counts.js';
import type { StatusCounts, Task, TaskInput } from '../../src/queue/types.js';
import { NOW, claimed, task } from '../helpers/task-fixtures.js';

describe('planAppend', () => {
  it('adds a new task as pending with no attempts and the time it was added', () => {
    expect(planAppend(new Set(), [{ id: 'a', type: 't', data: { x: 1 } }], NOW).added).toEqual([
      { id: 'a', type: 't', status: 'pending', attempts: 0, added_at: NOW.toISOString(), data: { x: 1 } },
    ]);
  });

  it('leaves data out when the input has none', () => {
    expect(planAppend(new Set(), [{ id: 'a', type: 't' }], NOW).added[0]).not.toHaveProperty('data');
  });

  it('keeps null data', () => {
    expect(planAppend(new Set(), [{ id: 'a', type: 't', data: null }], NOW).added[0]?.data).toBeNull();
  });

  it.each<[string, string[], TaskInput[], string[], string[]]>([
    [
      'an empty queue takes every task',
      [],
      [
        { id: 'a', type: 't' },
        { id: 'b', type: 't' },
      ],
      ['a', 'b'],
      [],
    ],
    [
      'ids already in the queue are skipped',
      ['a'],
      [
        { id: 'a', type: 't' },
        { id: 'b', type: 't' },
      ],
      ['b'],
      ['a'],
    ],
    [
      'every id already there means nothing is added',
      ['a', 'b'],
      [
        { id: 'b', type: 't' },
        { id: 'a', type: 't' },
      ],
      [],
      ['b', 'a'],
    ],
    ['no input adds nothing', ['a'], [], [], []],
    [
      'input order is kept',
      [],
      [
        { id: 'z', type: 't' },
        { id: 'm', type: 't' },
        { id: 'a', type: 't' },
      ],
      ['z', 'm', 'a'],
      [],
    ],
  ])('%s', (_what, existing, inputs, added, skipped) => {
    const plan = planAppend(new Set(existing), inputs, NOW);
    expect(plan.added.map((t) => t.id)).toEqual(added);
    expect(plan.skipped).toEqual(skipped);
  });

  it('drops extra fields of the input', () => {
    const input = { id: 'a', type: 't', status: 'completed', attempts: 9 } as TaskInput;
    expect(planAppend(new Set(), [input], NOW).added[0]).toMatchObject({ status: 'pending', attempts: 0 });
  });
});

describe('countByStatus', () => {
  it.each<[string, Task[], StatusCounts]>([
    ['an empty queue', [], { pending: 0, claimed: 0, completed: 0, failed: 0 }],
    [
      'one of each',
      [task('a'), claimed('b'), task('c', { status: 'completed' }), task('d', { status: 'failed' })],
      { pending: 1, claimed: 1, completed: 1, failed: 1 },
    ],
    ['only pending tasks', [task('a'), task('b'), task('c')], { pending: 3, claimed: 0, completed: 0, failed: 0 }],
    [
      'mostly completed',
      [task('a', { status: 'completed' }), task('b', { status: 'completed' }), task('c', { status: 'failed' })],
      { pending: 0, claimed: 0, completed: 2, failed: 1 },
    ],
  ])('counts %s', (_what, tasks, counts) => {
    expect(countByStatus(tasks)).toEqual(counts);
  });
});

describe('isSettled', () => {
  it.each<[string, StatusCounts, boolean]>([
    ['an empty queue is settled', { pending: 0, claimed: 0, completed: 0, failed: 0 }, true],
    ['only completed and failed tasks is settled', { pending: 0, claimed: 0, completed: 5, failed: 2 }, true],
    ['a pending task is not settled', { pending: 1, claimed: 0, completed: 5, failed: 0 }, false],
    ['a claimed task is not settled', { pending: 0, claimed: 1, completed: 5, failed: 0 }, false],
  ])('%s', (_what, counts, settled) => {
    expect(isSettled(counts)).toBe(settled);
  });
});
