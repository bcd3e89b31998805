import type { UsageLimitInfo } from '../agents/usage-limit.js';
import { claimTask, nextWakeAt, selectNext } from '../queue/claim.js';
import { dependencyState, failForDependency } from '../queue/dependencies.js';
import { addCost, claimBlock, usageLimitUntil } from '../queue/limits.js';
import type { UsageLimitPolicy } from '../queue/limits.js';
import { MAX_DEFERRALS, decideReport, deferForUsageLimit, deferralsOf, releaseInterrupted, requeueAfterConflict, retryBackoff } from '../queue/outcome.js';
import type { ReportDecision, RunOutcome } from '../queue/outcome.js';
import { redoesConflict } from '../queue/isolation.js';
import type { ConflictPolicy } from '../queue/isolation.js';
import type { ClaimStop, Task, UsageLimitNote } from '../queue/types.js';
import { runIsLive } from '../queue/liveness.js';
import type { Sessions } from '../store/sessions.js';
import type { Transaction, TxScope } from '../store/store.js';
import { reapStale } from './reaper.js';

/**
 * What a worker's step needs to know of its settings. Plain JSON, as are requests and results: the
 * step runs in the worker itself, or in the `ralph run` that started it, which applies its workers'
 * steps for them.
 */
export interface StepConfig {
  workerId: number;
  leaseMs: number;
  maxAttempts: number;
  retries: number;
  retryBackoffMs: number;
  /** `--max-cost-usd`: no new claims once the recorded cost reaches it. */
  maxCostUsd?: number;
  onUsageLimit: UsageLimitPolicy;
  /** Added to a usage limit's reset time. */
  usageLimitMarginMs: number;
  /** How long to hold off when the agent gives no reset time. */
  usageLimitWaitMs: number;
  /** The agent's name, for a usage limit's record. */
  agent: string;
  /** With `--isolate worktree`: what a task whose branch does not merge gets. */
  onConflict?: ConflictPolicy;
}

/** How the agent's run of a claimed task ended, to be recorded. */
export interface StepReport {
  taskId: string;
  token: string;
  /** Absent when the run was interrupted (the task goes back to pending). */
  outcome?: RunOutcome;
  /** The agent hit a usage limit (the outcome then says so as a failure). */
  usageLimit?: UsageLimitInfo;
  interrupted: boolean;
}

/** One step of the worker loop: record the last report, reap stale claims, claim the next task. */
export interface StepRequest {
  pid: number;
  host: string;
  /** The token of the claim this step makes. Asking again with the same token claims nothing more. */
  token: string;
  /** Told to stop: record the report, claim nothing (and give back a claim made with `token`). */
  stopping: boolean;
  report?: StepReport;
}

export interface StepResult {
  /** What became of the report. */
  decision?: ReportDecision;
  claimed?: Task;
  /** Whether a `ralph run` is using the queue. */
  live: boolean;
  /** Whether anything may still come this worker's way: pending tasks, or others' claims. */
  open: boolean;
  /** When an idle worker should look again even if nothing changes (ms since the epoch). */
  waitingUntilMs?: number;
  /** Why claiming is held back: a stop for good, or a usage limit to wait out. */
  block?: StepBlock;
  /** Lines for the worker's log (stale claims reaped, orphaned agents killed). */
  notes: string[];
}

export type StepBlock = { kind: 'stopped'; stop: ClaimStop } | { kind: 'paused'; since: string } | { kind: 'waiting'; note: UsageLimitNote };

export interface StepContext {
  sessions: Sessions;
  isAlive: (pid: number) => boolean;
  host: string;
}

/** What a step reads: the claims and the next pending tasks, the task it reports, and the meta first when it records a cost. */
export function stepScope(request: StepRequest): TxScope {
  const report = request.report;
  return { step: true, ...(report ? { ids: [report.taskId], lockMeta: report.outcome?.usage !== undefined || report.usageLimit !== undefined } : {}) };
}

/** The worker loop's transaction: one step, applied to `tx`. */
export function workerStep(tx: Transaction, config: StepConfig, request: StepRequest, ctx: StepContext): StepResult {
  const notes: string[] = [];
  const log = {
    info: (line: string) => {
      notes.push(line);
    },
    close: () => undefined,
  };
  const decision = request.report ? settle(tx, config, request.report) : undefined;
  reapStale(tx, { now: tx.now, host: ctx.host, maxAttempts: config.maxAttempts, isAlive: ctx.isAlive }, ctx.sessions, log);
  const block = claimBlock(tx.meta, tx.now, config.maxCostUsd === undefined ? {} : { maxCostUsd: config.maxCostUsd });
  if (block?.kind === 'stopped' && !tx.meta.stop) tx.setMeta({ stop: block.stop });
  const { token } = request;
  // This step asked for before, its answer lost (its coordinator died): the claim it made stands.
  const earlier = tx.withStatus('claimed').find((t) => t.status === 'claimed' && t.claim_token === token);
  let claimed: Task | undefined;
  if (earlier && request.stopping) {
    const released = releaseInterrupted(earlier, token);
    if (released) tx.put(released);
  } else if (earlier) {
    claimed = earlier;
  }
  const pendingTasks = tx.withStatus('pending');
  // Tasks failed here because a task they depend on failed (or is gone).
  const doomed = new Set<string>();
  if (!claimed && !request.stopping && !block) {
    const dependencies = (task: Task) => dependencyState(task, (id) => tx.get(id));
    const skip = tx.meta.dependencies ? (task: Task) => doomed.has(task.id) || dependencies(task).kind === 'waiting' : undefined;
    for (;;) {
      // `pendingTasks` holds this step's own changes, so the task chosen is pending as it stands.
      const at = selectNext(pendingTasks, tx.now, tx.pendingInQueueOrder(), skip);
      if (at < 0) break;
      const next = pendingTasks[at]!;
      const deps = skip ? dependencies(next) : undefined;
      if (deps?.kind === 'failed') {
        const failed = failForDependency(next, deps, tx.now, config.workerId);
        tx.put(failed.task);
        tx.addIssue(failed.issue);
        doomed.add(next.id);
        notes.push(`✘ task ${next.id} failed: ${failed.issue.error}`);
        continue;
      }
      claimed = claimTask(next, { workerId: config.workerId, pid: request.pid, host: request.host, token, now: tx.now, leaseMs: config.leaseMs });
      tx.put(claimed);
      break;
    }
  }
  // The open tasks as this step leaves them. `pendingTasks` was listed before the claim (listing
  // it again would copy it), so the task claimed now is left out by hand; the claimed tasks as now
  // listed include those this step reported or reaped, with their new status.
  const claimedTasks = tx.withStatus('claimed');
  const wake = claimed ? undefined : soonest(nextWakeAt(pendingTasks, tx.now), nextWakeAt(claimedTasks, tx.now));
  const waitingUntil = block?.kind === 'waiting' && (!wake || block.until < wake) ? block.until : wake;
  // Another worker's claim may still come back (lease expiry), so it keeps this worker around;
  // once claiming has stopped for good (budget, usage limit), pending tasks do not.
  const stillPending = (t: Task): boolean => t.status === 'pending' && t.id !== claimed?.id && !doomed.has(t.id);
  // A task failed here for its dependency may have dependents this step did not read: look again.
  const open =
    doomed.size > 0 ||
    (block?.kind !== 'stopped' && (pendingTasks.some(stillPending) || claimedTasks.some(stillPending))) ||
    claimedTasks.some((t) => t.status === 'claimed' && t.claim_token !== token);
  const result: StepResult = { live: runIsLive(tx.meta, ctx.host, ctx.isAlive, tx.now), open, notes };
  if (decision) result.decision = decision;
  if (claimed) result.claimed = claimed;
  if (waitingUntil) result.waitingUntilMs = waitingUntil.getTime();
  if (block) result.block = block.kind === 'waiting' ? { kind: 'waiting', note: block.note } : block;
  return result;
}

function soonest(a: Date | undefined, b: Date | undefined): Date | undefined {
  return a && b ? (a < b ? a : b) : (a ?? b);
}

/** Records a report: completed, failed, requeued, deferred by a usage limit, or refused (claim lost). */
function settle(tx: Transaction, config: StepConfig, report: StepReport): ReportDecision | undefined {
  const task = tx.get(report.taskId);
  if (report.interrupted || !report.outcome) {
    const released = releaseInterrupted(task, report.token);
    if (released) tx.put(released);
    return undefined;
  }
  const cost = addCost(tx.meta, report.outcome.usage);
  const limit = report.usageLimit;
  const policy = config.onUsageLimit;
  if (limit && policy !== 'fail' && task && deferralsOf(task) < MAX_DEFERRALS) {
    const deferred = deferForUsageLimit(task, report.outcome, { token: report.token, workerId: config.workerId, now: tx.now });
    if (!deferred) {
      if (cost) tx.setMeta(cost);
      return { kind: 'refused', why: 'the claim was lost while the agent ran into its usage limit' };
    }
    tx.put(deferred.task);
    tx.addIssue(deferred.issue);
    const agent = report.outcome.usage?.agent ?? config.agent;
    if (policy === 'stop') {
      tx.setMeta({
        ...cost,
        stop: {
          reason: 'usage-limit',
          at: tx.now.toISOString(),
          detail: `${agent}: ${limit.message}`,
          ...(limit.resetsAt ? { resets_at: limit.resetsAt } : {}),
        },
      });
    } else {
      const until = usageLimitUntil(limit.resetsAt, tx.now, config.usageLimitMarginMs, config.usageLimitWaitMs);
      // Several workers may hit the limit at once: the latest time wins, nobody shortens the wait.
      const known = tx.meta.usage_limit;
      if (!known || Date.parse(known.until) < until.getTime()) {
        tx.setMeta({
          ...cost,
          usage_limit: {
            agent,
            message: limit.message,
            ...(limit.resetsAt ? { resets_at: limit.resetsAt } : {}),
            until: until.toISOString(),
            noticed_at: tx.now.toISOString(),
            worker_id: config.workerId,
          },
        });
      } else if (cost) tx.setMeta(cost);
    }
    return { kind: 'deferred', task: deferred.task, issue: deferred.issue };
  }
  if (report.outcome.ok && task && config.onConflict !== undefined && report.outcome.git?.merge === 'conflict' && redoesConflict(task, config.onConflict)) {
    const redo = requeueAfterConflict(task, report.outcome, { token: report.token, workerId: config.workerId, now: tx.now });
    if (cost) tx.setMeta(cost);
    if (!redo) return { kind: 'refused', why: "the claim was lost while the task's branch was being merged" };
    tx.put(redo.task);
    tx.addIssue(redo.issue);
    return { kind: 'requeued', task: redo.task, issue: redo.issue };
  }
  const decision = decideReport(task, report.outcome, {
    token: report.token,
    workerId: config.workerId,
    now: tx.now,
    retries: config.retries,
    backoffMs: retryBackoff(config.retryBackoffMs),
  });
  if (decision.kind === 'completed') {
    tx.put(decision.task);
    tx.addFinding(decision.finding);
  }
  if (decision.kind === 'failed' || decision.kind === 'requeued') {
    tx.put(decision.task);
    tx.addIssue(decision.issue);
  }
  // Spent is spent, also by a run whose report is refused: the budget counts it.
  if (cost) tx.setMeta(cost);
  return decision;
}

/**
 * Where a worker's steps are applied when the worker does not take the lock itself: by the
 * `ralph run` that started it, which applies the steps of all its workers in one transaction.
 */
export interface StepChannel {
  /** Fails when the other side cannot apply it (gone, or its transaction failed): then it is unknown whether it was applied. */
  step(config: StepConfig, request: StepRequest): Promise<StepResult>;
  /** Whether the other side is still there to take steps. */
  readonly connected: boolean;
  close(): void;
}

/** A step sent from a worker to its run, and the answer. */
export interface StepMessage {
  kind: 'ralph-step';
  id: number;
  config: StepConfig;
  request: StepRequest;
}

export interface StepAnswer {
  kind: 'ralph-step';
  id: number;
  result?: StepResult;
  error?: string;
}

export function isStepMessage(value: unknown): value is StepMessage {
  return typeof value === 'object' && value !== null && (value as StepMessage).kind === 'ralph-step' && typeof (value as StepMessage).id === 'number';
}
