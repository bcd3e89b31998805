import { finishedAt } from '../queue/series.js';
import type { AgentUsage, RunInfo, Task } from '../queue/types.js';
import { UsageTally } from './costs.js';
import type { CostTotals } from './costs.js';

/** The figures of a report that are computed, not copied: this run's window, durations, task types. Pure. */

/** When the run began and ended (ms since the epoch); `end` is Infinity while it runs. */
export interface RunWindow {
  start: number;
  end: number;
}

/** The window of the recorded run, or undefined when there is none (or its start is unreadable). */
export function runWindow(run: RunInfo | null | undefined): RunWindow | undefined {
  const start = run ? Date.parse(run.started_at) : NaN;
  if (Number.isNaN(start)) return undefined;
  const end = run?.ended_at ? Date.parse(run.ended_at) : NaN;
  return { start, end: Number.isNaN(end) ? Infinity : end };
}

/** Whether something that happened at `iso` happened during the run. */
export function inWindow(iso: unknown, window: RunWindow | undefined): boolean {
  if (!window) return true;
  const at = typeof iso === 'string' ? Date.parse(iso) : NaN;
  return !Number.isNaN(at) && at >= window.start && at <= window.end;
}

/**
 * How much of an agent run that ended at `iso` after `durationMs` fell inside the run: a record from
 * an earlier run counts nothing, and a claim the run inherited counts from the run's start.
 */
export function busyWithin(iso: unknown, durationMs: number | undefined, window: RunWindow | undefined): number {
  const duration = typeof durationMs === 'number' && Number.isFinite(durationMs) ? Math.max(0, durationMs) : 0;
  if (!window) return duration;
  const end = typeof iso === 'string' ? Date.parse(iso) : NaN;
  if (Number.isNaN(end)) return 0;
  return Math.max(0, Math.min(end, window.end) - Math.max(end - duration, window.start));
}

/** The tasks that finished during the run (what its throughput counts). */
export function finishedDuring(tasks: readonly Task[], window: RunWindow | undefined): number {
  return tasks.filter((t) => {
    if (t.status !== 'completed' && t.status !== 'failed') return false;
    // A finished task that does not say when (written by hand, or by an older version) counts.
    const at = finishedAt(t);
    return at === undefined || Number.isNaN(Date.parse(at)) || inWindow(at, window);
  }).length;
}

export interface DurationStats {
  /** How many durations these figures are over. */
  count: number;
  p50_ms: number;
  p90_ms: number;
  max_ms: number;
}

/** p50, p90 and max by the nearest-rank method; null for no durations. */
export function durationStats(durations: readonly number[]): DurationStats | null {
  const sorted = durations.filter((d) => Number.isFinite(d) && d >= 0).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const rank = (q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
  return { count: sorted.length, p50_ms: rank(0.5), p90_ms: rank(0.9), max_ms: sorted.at(-1)! };
}

/** A finished task's duration (its last attempt), if recorded. */
export function durationOf(task: Task): number | undefined {
  return (task.status === 'completed' || task.status === 'failed') && typeof task.duration_ms === 'number' && Number.isFinite(task.duration_ms)
    ? task.duration_ms
    : undefined;
}

export interface TypeStats extends CostTotals {
  type: string;
  tasks: number;
  completed: number;
  failed: number;
  unfinished: number;
  p50_ms: number | null;
  max_ms: number | null;
}

/** The tasks by type, most tasks first (then by name). */
export function statsByType(tasks: readonly Task[]): TypeStats[] {
  const groups = new Map<string, Task[]>();
  for (const task of tasks) {
    const group = groups.get(task.type);
    if (group) group.push(task);
    else groups.set(task.type, [task]);
  }
  return [...groups.entries()]
    .map(([type, group]) => {
      const durations = durationStats(group.map(durationOf).filter((d): d is number => d !== undefined));
      // The cost of each task's last run, reported or estimated (CostTotals).
      const cost = new UsageTally();
      for (const task of group) cost.add(task as AgentUsage);
      return {
        type,
        tasks: group.length,
        completed: group.filter((t) => t.status === 'completed').length,
        failed: group.filter((t) => t.status === 'failed').length,
        unfinished: group.filter((t) => t.status === 'pending' || t.status === 'claimed').length,
        p50_ms: durations?.p50_ms ?? null,
        max_ms: durations?.max_ms ?? null,
        ...cost.costs(),
      };
    })
    .sort((a, b) => b.tasks - a.tasks || a.type.localeCompare(b.type));
}

/** The `n` finished tasks that took longest, longest first. */
export function slowestTasks(tasks: readonly Task[], n: number): Task[] {
  return tasks
    .filter((t) => durationOf(t) !== undefined)
    .sort((a, b) => durationOf(b)! - durationOf(a)! || a.id.localeCompare(b.id))
    .slice(0, n);
}
