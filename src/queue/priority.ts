const NAMED: Record<string, number> = { high: 1, medium: 0, low: -1 };

/**
 * Rank of a task's `data.priority`: `high` > `medium` (and absent) > `low`; numbers are taken as
 * they are, so `5` ranks above `high`. Unknown values rank as absent.
 */
export function priorityRank(data: unknown): number {
  if (data === null || typeof data !== 'object') return 0;
  const value = (data as { priority?: unknown }).priority;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    const named = NAMED[value.trim().toLowerCase()];
    if (named !== undefined) return named;
    const numeric = Number(value);
    if (value.trim() !== '' && Number.isFinite(numeric)) return numeric;
  }
  return 0;
}

/** A task's rank in claim order: its own `priority` (a number) when it has one, else its data's. */
export function taskPriority(task: { priority?: unknown; data?: unknown }): number {
  return typeof task.priority === 'number' && Number.isFinite(task.priority) ? task.priority : priorityRank(task.data);
}
