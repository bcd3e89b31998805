import type { StatusCounts, Task } from './types.js';

export function countByStatus(tasks: readonly Task[]): StatusCounts {
  const counts: StatusCounts = { pending: 0, claimed: 0, completed: 0, failed: 0 };
  for (const task of tasks) counts[task.status] += 1;
  return counts;
}

/** A run is over when nothing is waiting or in flight. */
export function isSettled(counts: StatusCounts): boolean {
  return counts.pending === 0 && counts.claimed === 0;
}
