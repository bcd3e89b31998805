import type { Task, TaskStatus } from './types.js';

/** How a list of tasks is ordered: queue order, by id, most attempts, longest, or most recently finished first. */
export const TASK_SORTS = ['queue', 'id', 'attempts', 'duration', 'finished'] as const;
export type TaskSort = (typeof TASK_SORTS)[number];

/** Which tasks a list shows (the dashboard's table, `queue list`): each given field narrows it. */
export interface TaskFilter {
  status?: TaskStatus;
  type?: string;
  worker?: number;
  /** Found, ignoring case, in the id, the finding or the error. */
  text?: string;
  /** How its branch's merge went (`--isolate worktree`): `conflict` lists the tasks whose branch did not merge. */
  merge?: string;
  sort?: TaskSort;
}

/** Whether `task` is one `filter` selects. Pure; the database's queue asks the same in SQL (store/pg/pg-store.ts). */
export function selects(task: Task, filter: TaskFilter): boolean {
  if (filter.status !== undefined && task.status !== filter.status) return false;
  if (filter.type !== undefined && task.type !== filter.type) return false;
  if (filter.worker !== undefined && task.worker_id !== filter.worker) return false;
  if (filter.merge !== undefined && task.merge !== filter.merge) return false;
  if (filter.text) {
    const needle = filter.text.toLowerCase();
    const error = task.error ?? (typeof task.last_error === 'string' ? task.last_error : '');
    if (![task.id, task.finding ?? '', error].some((field) => field.toLowerCase().includes(needle))) return false;
  }
  return true;
}

/** When a task finished (completed or failed), for the `finished` order. */
const finishedAt = (task: Task): string => task.completed_at ?? task.failed_at ?? '';

/**
 * `tasks` (in queue order) as `sort` orders them; ties keep queue order. Pure; the database's queue
 * orders the same in SQL.
 */
export function sortTasks(tasks: readonly Task[], sort: TaskSort = 'queue'): Task[] {
  // Queue order is the order given: nothing to copy (100,000 tasks a page read, on the file store).
  if (sort === 'queue') return tasks as Task[];
  const order = tasks.map((task, i) => ({ task, i }));
  const by: Record<TaskSort, (a: Task, b: Task) => number> = {
    queue: () => 0,
    id: (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    attempts: (a, b) => b.attempts - a.attempts,
    duration: (a, b) => (b.duration_ms ?? -1) - (a.duration_ms ?? -1),
    finished: (a, b) => (finishedAt(a) < finishedAt(b) ? 1 : finishedAt(a) > finishedAt(b) ? -1 : 0),
  };
  const compare = by[sort];
  return order.sort((a, b) => compare(a.task, b.task) || a.i - b.i).map(({ task }) => task);
}
