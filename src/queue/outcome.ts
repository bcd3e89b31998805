import { holdsClaim } from './claim.js';
import { conflictRedos } from './isolation.js';
import type { ConflictNote, TaskGitResult } from './isolation.js';
import { withoutClaim } from './lease.js';
import type { AgentUsage, FailureReason, Finding, Issue, Task } from './types.js';
import type { VerifyRecord } from './verify.js';

/** What a worker learned from one agent run. */
export interface RunOutcome {
  ok: boolean;
  finding: string;
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  /** Set when `ok` is false. */
  reason?: FailureReason;
  /** Human-readable failure: reason, exit code or signal, and the last lines of output. */
  error?: string;
  /** Agent, model, cost, tokens and session, as far as the agent CLI reported them. */
  usage?: AgentUsage;
  /** With `--isolate worktree`: the task's branch, commit, merge outcome and files changed. */
  git?: TaskGitResult;
  /** With `--verify`: what the verifier found (absent when it did not run: the agent failed). */
  verify?: VerifyRecord;
}

/** The fields a run's git result and verification set on a task; a later run replaces them all. */
const GIT_FIELDS = ['branch', 'commit', 'merge', 'merged_into', 'base_tip', 'files_changed', 'conflict_paths', 'note', 'verify'] as const;

function withoutGit(task: Task): Task {
  const rest: Task = { ...task };
  for (const key of GIT_FIELDS) delete rest[key];
  return rest;
}

/** A task's cost is its last run's: an earlier run's (or its estimate mark) does not stay on it. */
function withoutCost(task: Task): Task {
  const { cost_usd: _c, cost_estimated: _e, ...rest } = task;
  return rest;
}

export interface ReportContext {
  token: string;
  workerId: number;
  now: Date;
  /** How many times a failed task is requeued before it stays failed. */
  retries: number;
  /** Delay before attempt n+1 is claimable, given the attempt that failed. */
  backoffMs: (attempt: number) => number;
}

export type ReportDecision =
  | { kind: 'refused'; why: string }
  | { kind: 'completed'; task: Task; finding: Finding }
  | { kind: 'failed' | 'requeued' | 'deferred'; task: Task; issue: Issue };

/** Applies an agent's outcome to the task it ran, unless the claim was lost meanwhile. */
export function decideReport(task: Task | undefined, outcome: RunOutcome, ctx: ReportContext): ReportDecision {
  if (task === undefined || !holdsClaim(task, ctx.token)) {
    const state = task === undefined ? 'is no longer in the queue' : `is ${task.status}${task.worker_id != null ? ` (worker ${task.worker_id})` : ''}`;
    return { kind: 'refused', why: `the claim was lost (lease expired or queue reset): the task ${state}; result discarded` };
  }
  const timestamp = ctx.now.toISOString();
  const base = withoutClaim(task);
  if (outcome.ok) {
    const finding: Finding = {
      task_id: task.id,
      worker_id: ctx.workerId,
      finding: outcome.finding,
      timestamp,
      duration_ms: outcome.durationMs,
      exit_code: outcome.exitCode,
      attempt: task.attempts,
      ...outcome.usage,
      ...outcome.git,
      ...verified(outcome),
    };
    const { error: _e, failed_at: _f, last_error: _l, ...clean } = withoutGit(base);
    return {
      kind: 'completed',
      finding,
      task: {
        ...withoutCost(clean),
        status: 'completed',
        completed_at: timestamp,
        duration_ms: outcome.durationMs,
        exit_code: outcome.exitCode,
        finding: outcome.finding,
        ...outcome.usage,
        ...outcome.git,
        ...verified(outcome),
      },
    };
  }
  // Stopped by hand: failed for good, whatever --retries allows.
  const stopped = task.stop_requested_at !== undefined;
  const error = `${stopped ? `stopped by hand at ${task.stop_requested_at}: ` : ''}${outcome.error ?? 'agent failed'}`;
  const retry = task.attempts <= ctx.retries && !stopped;
  const issue: Issue = {
    task_id: task.id,
    worker_id: ctx.workerId,
    error,
    reason: outcome.reason ?? 'exit',
    timestamp,
    attempt: task.attempts,
    exit_code: outcome.exitCode,
    signal: outcome.signal,
    duration_ms: outcome.durationMs,
    outcome: retry ? 'requeued' : 'failed',
    ...outcome.usage,
    ...outcome.git,
    ...verified(outcome),
  };
  if (retry) {
    const notBefore = new Date(ctx.now.getTime() + ctx.backoffMs(task.attempts)).toISOString();
    // A failed verification stays on the task: the retry's prompt carries what the verifier said.
    return {
      kind: 'requeued',
      issue,
      task: { ...withoutGit(base), status: 'pending', not_before: notBefore, last_error: error, ...outcome.git, ...verified(outcome) },
    };
  }
  return {
    kind: 'failed',
    issue,
    task: {
      ...withoutCost(withoutGit(base)),
      status: 'failed',
      failed_at: timestamp,
      duration_ms: outcome.durationMs,
      exit_code: outcome.exitCode,
      error,
      ...outcome.usage,
      ...outcome.git,
      ...verified(outcome),
    },
  };
}

function verified(outcome: RunOutcome): { verify?: VerifyRecord } {
  return outcome.verify ? { verify: outcome.verify } : {};
}

/**
 * An agent hit a usage limit (`--on-usage-limit wait|stop`): the task goes back to pending without
 * counting the attempt, and an issue records what happened. Refused if the claim was lost. Pure.
 */
export function deferForUsageLimit(
  task: Task | undefined,
  outcome: RunOutcome,
  ctx: Pick<ReportContext, 'token' | 'workerId' | 'now'>,
): { task: Task; issue: Issue } | undefined {
  const released = releaseInterrupted(task, ctx.token);
  if (!released || !task) return undefined;
  released.deferrals = deferralsOf(task) + 1;
  const issue: Issue = {
    task_id: task.id,
    worker_id: ctx.workerId,
    error: outcome.error ?? 'usage limit',
    reason: 'usage-limit',
    timestamp: ctx.now.toISOString(),
    attempt: task.attempts,
    exit_code: outcome.exitCode,
    signal: outcome.signal,
    duration_ms: outcome.durationMs,
    outcome: 'deferred',
    ...outcome.usage,
  };
  return { task: released, issue };
}

/**
 * A completed task whose branch did not merge, under `--on-conflict requeue` (once): back to pending
 * to be redone on the new tip of the base branch, with the conflict noted on the task (for the
 * prompt) and recorded as an issue. The conflicting work stays on `outcome.git.branch`. Refused
 * (undefined) if the claim was lost. Pure.
 */
export function requeueAfterConflict(
  task: Task | undefined,
  outcome: RunOutcome,
  ctx: Pick<ReportContext, 'token' | 'workerId' | 'now'>,
): { task: Task; issue: Issue } | undefined {
  if (task === undefined || !holdsClaim(task, ctx.token) || outcome.git?.merge !== 'conflict') return undefined;
  const git = outcome.git;
  const conflict: ConflictNote = { branch: git.branch, commit: git.commit ?? '', paths: git.conflict_paths ?? [] };
  const paths = conflict.paths.length > 0 ? conflict.paths.join(', ') : 'unknown files';
  const issue: Issue = {
    task_id: task.id,
    worker_id: ctx.workerId,
    error: `merge conflict in ${paths}; the task is redone on the new tip of the base branch, its conflicting work is kept on ${git.branch}`,
    reason: 'merge-conflict',
    timestamp: ctx.now.toISOString(),
    attempt: task.attempts,
    exit_code: outcome.exitCode,
    signal: outcome.signal,
    duration_ms: outcome.durationMs,
    outcome: 'requeued',
    ...outcome.usage,
    ...git,
    ...verified(outcome),
  };
  return { task: { ...withoutGit(withoutClaim(task)), status: 'pending', conflict, conflict_redos: conflictRedos(task) + 1 }, issue };
}

/**
 * How many times a usage limit put this task back uncounted. Past MAX_DEFERRALS the limit counts as
 * an ordinary failed attempt: a limit that never lifts (or output wrongly read as one) cannot keep a
 * task, and every worker waiting on it, going forever.
 */
export const MAX_DEFERRALS = 5;

export function deferralsOf(task: Task): number {
  return typeof task.deferrals === 'number' ? task.deferrals : 0;
}

/** A task interrupted by shutdown goes back to pending; the interrupted attempt is not counted. */
export function releaseInterrupted(task: Task | undefined, token: string): Task | undefined {
  if (task === undefined || !holdsClaim(task, token)) return undefined;
  return { ...withoutClaim(task), status: 'pending', attempts: Math.max(0, task.attempts - 1) };
}

/** Exponential backoff: base, 2×base, 4×base… capped at five minutes. */
export function retryBackoff(baseMs: number): (attempt: number) => number {
  return (attempt) => (baseMs <= 0 ? 0 : Math.min(baseMs * 2 ** Math.min(Math.max(0, attempt - 1), 30), 300_000));
}

/** Puts failed tasks back to pending (`ralph queue retry`); attempts start over. */
export function retryTask(task: Task): Task | undefined {
  if (task.status !== 'failed') return undefined;
  const { error: _e, failed_at: _f, not_before: _n, ...rest } = withoutClaim(task);
  return { ...rest, status: 'pending', attempts: 0, last_error: task.error };
}
