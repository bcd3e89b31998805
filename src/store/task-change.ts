import type { Task } from '../queue/types.js';

/**
 * What a transaction changed in a task that was already queued, as a journal line holds it: the
 * fields set to new values and the fields removed. A claim or a report then costs a few hundred
 * bytes of journal however large the task's `data` is.
 */
export interface TaskChange {
  id: string;
  set?: Record<string, unknown>;
  unset?: string[];
}

/**
 * The change from `before` to `after`, or undefined when there is none. A field counts as changed
 * when it is another value (objects by identity: a step keeps the `data` it was given).
 */
export function diffTask(before: Task, after: Task): TaskChange | undefined {
  let set: Record<string, unknown> | undefined;
  let unset: string[] | undefined;
  for (const key of Object.keys(after)) {
    if (after[key] !== before[key] && after[key] !== undefined) {
      set ??= {};
      set[key] = after[key];
    }
  }
  for (const key of Object.keys(before)) {
    if (before[key] !== undefined && after[key] === undefined) {
      unset ??= [];
      unset.push(key);
    }
  }
  if (!set && !unset) return undefined;
  return { id: after.id, ...(set ? { set } : {}), ...(unset ? { unset } : {}) };
}

/** `task` with `change` applied (a new object; `task` is left as it is). */
export function applyChange(task: Task, change: TaskChange): Task {
  const next: Task = { ...task, ...change.set } as Task;
  for (const key of change.unset ?? []) delete next[key];
  return next;
}
