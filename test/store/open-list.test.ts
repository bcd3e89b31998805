// The list of open tasks a FileStore keeps for `tx.withStatus`, checked against a plain model
// through random changes: the tasks in queue order, and the count of those `countIf` says yes to.
import { describe, expect, it } from 'vitest';
import { OpenList } from '../../src/store/open-list.js';
import type { Task } from '../../src/queue/types.js';

function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

const marked = (task: Task): boolean => task.type === 'marked';

describe('OpenList', () => {
  it('keeps the tasks in queue order and the count right through sets, replacements and deletes (front, middle, end)', () => {
    const list = new OpenList(marked);
    const model = new Map<number, Task>();
    const next = random(11);
    for (let round = 0; round < 3000; round++) {
      const at = Math.floor(next() * 200);
      const roll = next();
      if (roll < 0.35) {
        list.delete(at);
        model.delete(at);
      } else if (roll < 0.45 && model.size > 0) {
        // Claims take the first task: the fast path of `delete`.
        const first = Math.min(...model.keys());
        list.delete(first);
        model.delete(first);
      } else {
        const task: Task = { id: `t${at}`, type: next() < 0.3 ? 'marked' : 'plain', status: 'pending', attempts: round };
        list.set(at, task);
        model.set(at, task);
      }
      if (round % 50 === 0 || round === 2999) {
        const expected = [...model.entries()].sort(([a], [b]) => a - b).map(([, t]) => t);
        expect(list.tasks).toEqual(expected);
        expect(list.counted).toBe(expected.filter(marked).length);
      }
    }
  });

  it('counts nothing without a countIf, and deleting what is not there changes nothing', () => {
    const list = new OpenList();
    list.set(3, { id: 'a', type: 'marked', status: 'pending', attempts: 0 });
    list.delete(7);
    expect(list.tasks.map((t) => t.id)).toEqual(['a']);
    expect(list.counted).toBe(0);
  });
});
