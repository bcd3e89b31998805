import { reapClaim } from './lease.js';
import type { Reaped, ReapContext } from './lease.js';
import type { Task } from './types.js';

/** Every claim whose worker is gone, with what becomes of it. */
export function reapAll(tasks: readonly Task[], ctx: ReapContext): Reaped[] {
  const reaped: Reaped[] = [];
  for (const task of tasks) {
    if (task.status !== 'claimed') continue;
    const decision = reapClaim(task, ctx);
    if (decision) reaped.push(decision);
  }
  return reaped;
}
