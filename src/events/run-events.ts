import type { QueueState, Task } from '../queue/types.js';
import type { RunSummary } from '../report/summary.js';

/**
 * What `--on-event` hooks are told, one JSON object on their stdin. Every event has `event`, `time`
 * and `dir` (the absolute state directory, or the repository for the loops); the rest depends on it.
 */
export type RalphEvent = { event: EventName; time: string; [field: string]: unknown };

export type EventName = 'task-failed' | 'usage-limit' | 'budget-reached' | 'run-finished' | 'turn-finished' | 'lease-expired';

export const EVENT_NAMES: readonly EventName[] = ['task-failed', 'usage-limit', 'budget-reached', 'run-finished', 'turn-finished', 'lease-expired'];

/** What the run has already told its hooks about. */
export interface EventMemory {
  /** Ids of the tasks whose failure was told, with the `failed_at` it was told for. */
  failed: ReadonlyMap<string, string>;
  /** The usage limit told last (`noticed_at` + `until`, or the stop's `at`). */
  usageLimit?: string;
  budget: boolean;
}

export const NO_EVENTS_YET: EventMemory = { failed: new Map(), budget: false };

export interface EventContext {
  now: Date;
  dir: string;
  /** `--max-cost-usd` of this run. */
  maxCostUsd?: number;
  /** The worker log a task's failure is in. */
  workerLog: (workerId: number) => string;
}

/**
 * The events a run's state calls for that were not told yet: tasks that failed for good during this
 * run (since `meta.run.started_at`), a usage limit noticed or a usage-limit stop, the budget reached.
 * Pure; `memory` is returned new only when it changed.
 */
export function nextEvents(state: QueueState, memory: EventMemory, ctx: EventContext): { events: RalphEvent[]; memory: EventMemory } {
  const events: RalphEvent[] = [];
  const time = ctx.now.toISOString();
  const since = state.meta.run?.started_at ?? '';
  let failed: Map<string, string> | undefined;
  for (const task of state.tasks) {
    if (task.status !== 'failed' || (task.failed_at ?? '') < since || memory.failed.get(task.id) === task.failed_at) continue;
    failed ??= new Map(memory.failed);
    failed.set(task.id, task.failed_at ?? '');
    events.push({ event: 'task-failed', time, dir: ctx.dir, task: failedTask(task, state, ctx) });
  }
  let usageLimit = memory.usageLimit;
  const note = state.meta.usage_limit;
  const stop = state.meta.stop;
  if (stop?.reason === 'usage-limit' && usageLimit !== stop.at && stop.at >= since) {
    usageLimit = stop.at;
    events.push({ event: 'usage-limit', time, dir: ctx.dir, policy: 'stop', detail: stop.detail, at: stop.at });
  } else if (note && note.noticed_at >= since && usageLimit !== `${note.noticed_at} ${note.until}`) {
    usageLimit = `${note.noticed_at} ${note.until}`;
    events.push({
      event: 'usage-limit',
      time,
      dir: ctx.dir,
      policy: 'wait',
      agent: note.agent,
      message: note.message,
      ...(note.resets_at ? { resets_at: note.resets_at } : {}),
      until: note.until,
      worker_id: note.worker_id,
    });
  }
  const cost = state.meta.cost_usd ?? 0;
  const budget = memory.budget || stop?.reason === 'budget' || (ctx.maxCostUsd !== undefined && cost >= ctx.maxCostUsd);
  if (budget && !memory.budget) {
    events.push({
      event: 'budget-reached',
      time,
      dir: ctx.dir,
      cost_usd: cost,
      ...(state.meta.cost_estimated ? { cost_estimated: true } : {}),
      ...(ctx.maxCostUsd === undefined ? {} : { max_cost_usd: ctx.maxCostUsd }),
    });
  }
  if (!failed && usageLimit === memory.usageLimit && budget === memory.budget) return { events, memory };
  return { events, memory: { failed: failed ?? memory.failed, ...(usageLimit === undefined ? {} : { usageLimit }), budget } };
}

function failedTask(task: Task, state: QueueState, ctx: EventContext): Record<string, unknown> {
  const issue = state.issues.findLast((i) => i.task_id === task.id);
  return {
    id: task.id,
    type: task.type,
    attempts: task.attempts,
    reason: issue?.reason ?? null,
    error: task.error ?? null,
    worker_id: task.worker_id ?? null,
    log: task.worker_id == null ? null : ctx.workerLog(task.worker_id),
    failed_at: task.failed_at ?? null,
  };
}

/** What a run's end tells its hooks: why it stopped, the counts and cost, the report. Pure. */
export function runFinishedEvent(summary: RunEndFacts, exitCode: number, now: Date): RalphEvent {
  return {
    event: 'run-finished',
    time: now.toISOString(),
    dir: summary.state_dir,
    stopped_by: summary.stopped_by,
    exit_code: exitCode,
    total: summary.total,
    counts: summary.counts,
    cost_usd: summary.usage.cost_usd,
    ...(summary.usage.cost_estimated ? { cost_estimated: true } : {}),
    duration_ms: summary.duration_ms,
    report: summary.report,
    failures: summary.failures.slice(0, 10).map((f) => ({ id: f.id, error: f.error.split('\n')[0] ?? '' })),
  };
}

/** The facts of a run summary that `run-finished` carries. */
export type RunEndFacts = Pick<RunSummary, 'state_dir' | 'stopped_by' | 'total' | 'counts' | 'usage' | 'duration_ms' | 'report' | 'failures'>;
