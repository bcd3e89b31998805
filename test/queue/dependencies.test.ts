import { describe, expect, it } from 'vitest';
import { checkDependencies, dependencyState } from '../../src/queue/dependencies.js';
import type { Task } from '../../src/queue/types.js';
import { task } from '../helpers/task-fixtures.js';

const queue = (tasks: Task[]) => (id: string) => tasks.find((t) => t.id === id);

describe('task dependencies', () => {
  const tasks = [task('done', { status: 'completed' }), task('busy', { status: 'claimed' }), task('todo'), task('broke', { status: 'failed' })];
  it.each([
    [[], { kind: 'ready' }],
    [['done'], { kind: 'ready' }],
    [['done', 'busy', 'todo'], { kind: 'waiting', on: ['busy', 'todo'] }],
    [['busy', 'broke'], { kind: 'failed', on: 'broke', why: 'its dependency "broke" failed' }],
    [['ghost'], { kind: 'failed', on: 'ghost', why: 'it depends on "ghost", which is not in the queue' }],
  ])('a task depending on %j is %j', (deps, state) => {
    expect(dependencyState({ depends_on: deps }, queue(tasks))).toEqual(state);
  });

  it('ignores a malformed list (a hand-edited record) rather than blocking on it', () => {
    expect(dependencyState({ depends_on: 'done' as unknown as string[] }, queue(tasks))).toEqual({ kind: 'ready' });
  });

  it.each([
    [[{ id: 'a', type: 't', depends_on: ['q'] }], undefined],
    [
      [
        { id: 'b', type: 't', depends_on: ['a'] },
        { id: 'a', type: 't' },
      ],
      undefined,
    ],
    [[{ id: 'a', type: 't', depends_on: ['x'] }], 'f: task "a" depends on "x", not in the file nor in the queue.'],
    [
      [
        { id: 'a', type: 't', depends_on: ['b'] },
        { id: 'b', type: 't', depends_on: ['a'] },
      ],
      'f: the dependencies go round in a circle: "a" → "b" → "a".',
    ],
  ])('checks %j against a queue holding q', (adding, error) => {
    const check = () => checkDependencies(adding, new Map([['q', []]]), 'f');
    if (error) expect(check).toThrow(error);
    else expect(check).not.toThrow();
  });

  it('finds no cycle in a long chain, and does not overflow the stack on one', () => {
    const chain = Array.from({ length: 50_000 }, (_, i) => ({ id: `t${i}`, type: 't', ...(i > 0 ? { depends_on: [`t${i - 1}`] } : {}) }));
    expect(() => checkDependencies(chain, new Map(), 'f')).not.toThrow();
    chain[0] = { id: 't0', type: 't', depends_on: ['t49999'] };
    expect(() => checkDependencies(chain, new Map(), 'f')).toThrow(/go round in a circle/);
  });
});
