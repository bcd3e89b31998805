import type { Task, TaskInput } from './types.js';

export interface AppendPlan {
  added: Task[];
  skipped: string[];
}

/** New tasks become `pending`; ids already in the queue are skipped (never replaced). */
export function planAppend(existing: ReadonlySet<string>, inputs: readonly TaskInput[], now: Date): AppendPlan {
  const added: Task[] = [];
  const skipped: string[] = [];
  const at = now.toISOString();
  for (const input of inputs) {
    if (existing.has(input.id)) {
      skipped.push(input.id);
      continue;
    }
    const task: Task = { id: input.id, type: input.type, status: 'pending', attempts: 0, added_at: at };
    if (input.data !== undefined) task.data = input.data;
    if (input.depends_on !== undefined && input.depends_on.length > 0) task.depends_on = [...input.depends_on];
    if (input.priority !== undefined) task.priority = input.priority;
    if (input.prd !== undefined) task.prd = input.prd;
    if (input.prd_story !== undefined) task.prd_story = input.prd_story;
    added.push(task);
  }
  return { added, skipped };
}
