import { describe, expect, it } from 'vitest';
import { selects, sortTasks } from '../../src/queue/task-query.js';
import type { TaskFilter } from '../../src/queue/task-query.js';
import { QUERY_TASKS } from '../helpers/query-tasks.js';

const ids = (filter: TaskFilter) =>
  sortTasks(
    QUERY_TASKS.filter((t) => selects(t, filter)),
    filter.sort,
  ).map((t) => t.id);

describe('selects and sortTasks', () => {
  it.each<[string, TaskFilter, string[]]>([
    ['nothing given: every task, in queue order', {}, ['b-build', 'a-test', 'c-test', 'd-build', 'e-docs', 'f-test', 'g-merge']],
    ['a status', { status: 'completed' }, ['a-test', 'f-test']],
    ['a type', { type: 'test' }, ['a-test', 'c-test', 'f-test']],
    ['a worker', { worker: 1 }, ['a-test', 'd-build', 'g-merge']],
    ['text in a finding or an error, any case', { text: 'GREEN' }, ['a-test', 'c-test']],
    ["text in a requeued task's last error", { text: 'network' }, ['e-docs']],
    ['text in the id', { text: 'B-' }, ['b-build']],
    ['all together', { type: 'test', worker: 2, status: 'failed' }, ['c-test']],
    ['by id', { sort: 'id' }, ['a-test', 'b-build', 'c-test', 'd-build', 'e-docs', 'f-test', 'g-merge']],
    ['a merge that conflicted (--isolate worktree)', { merge: 'conflict' }, ['g-merge']],
    ['most attempts first, ties in queue order', { sort: 'attempts' }, ['c-test', 'd-build', 'a-test', 'e-docs', 'f-test', 'g-merge', 'b-build']],
    ['longest first, none last', { sort: 'duration' }, ['c-test', 'a-test', 'f-test', 'b-build', 'd-build', 'e-docs', 'g-merge']],
    ['most recently finished first, unfinished last', { sort: 'finished' }, ['g-merge', 'c-test', 'f-test', 'a-test', 'b-build', 'd-build', 'e-docs']],
  ])('%s', (_what, filter, expected) => {
    expect(ids(filter)).toEqual(expected);
  });
});
