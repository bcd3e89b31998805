import type { Issue, Task } from './types.js';

export interface ReapContext {
  now: Date;
  host: string;
  maxAttempts: number;
  /** Whether a process of this host is alive; used to notice a dead worker before its lease runs out. */
  isAlive: (pid: number) => boolean;
}

export interface Reaped {
  task: Task;
  issue: Issue;
  /** The token of the claim that was taken away (to find its orphaned agent). */
  token: string | undefined;
}

/** Why a claim is no longer held by a live worker, or undefined while it is. */
export function staleClaimReason(task: Task, ctx: ReapContext): 'lease-expired' | 'worker-died' | undefined {
  if (task.status !== 'claimed') return undefined;
  if (task.worker_host === ctx.host && typeof task.worker_pid === 'number' && !ctx.isAlive(task.worker_pid)) {
    return 'worker-died';
  }
  const expires = task.lease_expires_at === undefined ? NaN : Date.parse(task.lease_expires_at);
  if (Number.isNaN(expires) || expires <= ctx.now.getTime()) return 'lease-expired';
  return undefined;
}

/** Strips the fields that belong to one claim. */
export function withoutClaim(task: Task): Task {
  const { claim_token: _t, lease_expires_at: _l, worker_pid: _p, worker_host: _h, claimed_at: _c, stop_requested_at: _s, ...rest } = task;
  return rest;
}

/**
 * What to do with a claim whose worker is gone: back to `pending` (attempts kept), or `failed` once
 * `maxAttempts` claims have ended this way.
 */
export function reapClaim(task: Task, ctx: ReapContext): Reaped | undefined {
  const reason = staleClaimReason(task, ctx);
  if (reason === undefined) return undefined;
  const timestamp = ctx.now.toISOString();
  const worker = task.worker_id ?? 0;
  const what =
    reason === 'worker-died'
      ? `worker ${worker} (pid ${task.worker_pid}) died while holding the task`
      : `lease expired at ${task.lease_expires_at} without a heartbeat from worker ${worker}`;
  const exhausted = task.attempts >= ctx.maxAttempts;
  const error = exhausted
    ? `${what}; gave up after ${task.attempts} attempt(s) (--max-attempts ${ctx.maxAttempts}); see .ralph/worker-${worker}.log`
    : `${what}; returned to pending (attempt ${task.attempts} of ${ctx.maxAttempts})`;
  const base = withoutClaim(task);
  const next: Task = exhausted ? { ...base, status: 'failed', failed_at: timestamp, error } : { ...base, status: 'pending', last_error: error };
  const issue: Issue = {
    task_id: task.id,
    worker_id: worker,
    error,
    reason,
    timestamp,
    attempt: task.attempts,
    exit_code: null,
    signal: null,
    duration_ms: task.claimed_at ? Math.max(0, ctx.now.getTime() - Date.parse(task.claimed_at)) : 0,
    outcome: exhausted ? 'failed' : 'requeued',
  };
  return { task: next, issue, token: task.claim_token };
}
