import { taskPriority } from './priority.js';
import type { Task } from './types.js';

export interface Claimant {
  workerId: number;
  pid: number;
  host: string;
  token: string;
  now: Date;
  leaseMs: number;
}

/** Whether a pending task may be claimed now (a retried task waits for its backoff). */
export function isReady(task: Task, now: Date): boolean {
  return task.status === 'pending' && (task.not_before === undefined || Date.parse(task.not_before) <= now.getTime());
}

/**
 * Whether a pending task takes its turn in plain queue order: the default priority, and no backoff
 * (`not_before`) to wait for. When every pending task does, the first of them is the next to claim.
 */
export function inQueueOrder(task: Task): boolean {
  return task.not_before === undefined && taskPriority(task) === 0 && task.depends_on === undefined;
}

/**
 * Index of the task to claim next: the first ready `pending` task in queue order among those of the
 * highest priority, leaving out those `skip` says (waiting on a dependency); -1 when none is ready.
 * One pass, no sort, so claiming stays cheap on big queues; no pass at all when the caller knows that
 * every pending task is `inQueueOrder` and skips none.
 */
export function selectNext(tasks: readonly Task[], now: Date, allInQueueOrder = false, skip?: (task: Task) => boolean): number {
  if (allInQueueOrder && !skip) return tasks.findIndex((task) => task.status === 'pending');
  let best = -1;
  let bestRank = -Infinity;
  for (let i = 0; i < tasks.length; i++) {
    const task = tasks[i]!;
    if (!isReady(task, now) || skip?.(task)) continue;
    const rank = taskPriority(task);
    if (rank > bestRank) {
      best = i;
      bestRank = rank;
    }
  }
  return best;
}

/** The earliest time a pending-but-waiting task becomes ready, if any. */
export function nextReadyAt(tasks: readonly Task[], now: Date): Date | undefined {
  let earliest: number | undefined;
  for (const task of tasks) {
    if (task.status !== 'pending' || task.not_before === undefined) continue;
    const at = Date.parse(task.not_before);
    if (at > now.getTime() && (earliest === undefined || at < earliest)) earliest = at;
  }
  return earliest === undefined ? undefined : new Date(earliest);
}

/** When an idle worker should look again: a retry becoming ready, or a claim's lease running out. */
export function nextWakeAt(tasks: readonly Task[], now: Date): Date | undefined {
  let earliest = nextReadyAt(tasks, now)?.getTime();
  for (const task of tasks) {
    if (task.status !== 'claimed' || task.lease_expires_at === undefined) continue;
    const at = Date.parse(task.lease_expires_at);
    if (at > now.getTime() && (earliest === undefined || at < earliest)) earliest = at;
  }
  return earliest === undefined ? undefined : new Date(earliest);
}

export function claimTask(task: Task, who: Claimant): Task {
  const { not_before: _ready, ...rest } = task;
  return {
    ...rest,
    status: 'claimed',
    worker_id: who.workerId,
    worker_pid: who.pid,
    worker_host: who.host,
    claim_token: who.token,
    claimed_at: who.now.toISOString(),
    lease_expires_at: new Date(who.now.getTime() + who.leaseMs).toISOString(),
    attempts: (task.attempts ?? 0) + 1,
  };
}

/** Whether `token` still holds the claim on `task` (a late report from a lost lease does not). */
export function holdsClaim(task: Task | undefined, token: string): boolean {
  return task !== undefined && task.status === 'claimed' && task.claim_token === token;
}

export function renewLease(task: Task, now: Date, leaseMs: number): Task {
  return { ...task, lease_expires_at: new Date(now.getTime() + leaseMs).toISOString() };
}
