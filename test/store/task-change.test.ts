import { describe, expect, it } from 'vitest';
import type { Task } from '../../src/queue/types.js';
import { applyChange, diffTask } from '../../src/store/task-change.js';

const data = { big: 'x'.repeat(1000) };
const pending: Task = { id: 'a', type: 't', data, status: 'pending', attempts: 0, added_at: '2026-12-07T00:00:00.000Z' };

describe('diffTask / applyChange', () => {
  const cases: Array<[string, Task, Task, ReturnType<typeof diffTask>]> = [
    ['nothing changed', pending, { ...pending }, undefined],
    [
      'a claim: new fields, the data kept as it was (not in the change)',
      pending,
      { ...pending, status: 'claimed', attempts: 1, worker_id: 2, claim_token: 'tok' },
      { id: 'a', set: { status: 'claimed', attempts: 1, worker_id: 2, claim_token: 'tok' } },
    ],
    [
      'a report: fields set and fields removed',
      { ...pending, status: 'claimed', attempts: 1, claim_token: 'tok', lease_expires_at: 'L' },
      { ...pending, status: 'completed', attempts: 1, finding: 'f' },
      { id: 'a', set: { status: 'completed', finding: 'f' }, unset: ['claim_token', 'lease_expires_at'] },
    ],
    ['a field set to undefined counts as removed', { ...pending, error: 'e' }, { ...pending, error: undefined }, { id: 'a', unset: ['error'] }],
    ['new data (another object) is in the change', pending, { ...pending, data: { big: 'y' } }, { id: 'a', set: { data: { big: 'y' } } }],
  ];
  it.each(cases)('%s', (_what, before, after, expected) => {
    const change = diffTask(before, after);
    expect(change).toEqual(expected);
    // Applied to the task before, it gives the task after (without its undefined fields).
    const applied = change ? applyChange(before, change) : before;
    expect(applied).toEqual(JSON.parse(JSON.stringify(after)));
    if (change) expect(applied).not.toBe(before);
  });

  it('keeps a claim or a report of a task with 1 MiB of data to a few hundred bytes of journal', () => {
    const huge: Task = { ...pending, data: { blob: 'z'.repeat(1 << 20) } };
    const claimed: Task = {
      ...huge,
      status: 'claimed',
      attempts: 1,
      worker_id: 1,
      claim_token: 'abc.1',
      lease_expires_at: '2026-12-07T00:10:00.000Z',
      claimed_at: '2026-12-07T00:00:00.000Z',
    };
    expect(JSON.stringify(diffTask(huge, claimed)).length).toBeLessThan(300);
  });
});
