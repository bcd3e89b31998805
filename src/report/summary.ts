import { causeOf } from '../agents/cause.js';
import { countByStatus } from '../queue/counts.js';
import { dependencyState } from '../queue/dependencies.js';
import type { Message } from '../queue/messages.js';
import { costOf, costUnknown } from '../queue/limits.js';
import type { AgentUsage, QueueState, RunInfo, StatusCounts, Task } from '../queue/types.js';
import type { WorkerSession } from '../store/sessions.js';
import { busyWithin, durationOf, durationStats, finishedDuring, inWindow, runWindow, slowestTasks, statsByType } from './stats.js';
import type { DurationStats, RunWindow, TypeStats } from './stats.js';
import { describeStop, exitCodeFor } from './stop.js';
import { verifySummary } from './verify-summary.js';
import type { VerifySummary } from './verify-summary.js';
import { gitSummary } from './git-summary.js';
import type { GitSummary } from './git-summary.js';
import type { StopReason, StopView } from './stop.js';
import { UsageTally, totalUsage } from './costs.js';
import type { CostTotals, TokenTotals, Usage } from './costs.js';

export type { CostTotals, TokenTotals, Usage } from './costs.js';

export type { StopReason, StopView } from './stop.js';
export type { GitSummary, GitTaskView } from './git-summary.js';
export { exitCodeFor } from './stop.js';

/** How many of the slowest tasks the summary names. */
export const SLOWEST = 10;

/** What a worker did; its cost (CostTotals) sums its runs' known costs, reported or estimated. */
export interface WorkerStats extends CostTotals {
  worker_id: number;
  completed: number;
  failed: number;
  requeued: number;
  busy_ms: number;
  tokens: TokenTotals;
  status: string;
  last_heartbeat: string | null;
  log: string;
}

/** One task as the report's full table shows it (`tasks` in `--json`: every task, however many). */
export interface TaskRow {
  id: string;
  type: string;
  status: string;
  worker_id: number | null;
  attempts: number;
  duration_ms: number | null;
  /** The last run's cost, when known (reported or estimated); null when the run counted tokens and its cost is unknown. */
  cost_usd?: number | null;
  /** cost_usd is Ralph's estimate from the tokens. */
  cost_estimated?: boolean;
  /** A completed task's finding. */
  finding?: string;
  /** A failed task's one-line cause. */
  cause?: string;
}

/** The machine-readable summary of a run (`--json`) and the data behind the markdown report. */
export interface RunSummary {
  ok: boolean;
  /** What the run exited with: 0, 1, or 128+n after signal n. */
  exit_code: number;
  state_dir: string;
  report: string;
  run: RunInfo | null;
  duration_ms: number | null;
  stopped_by: StopReason | null;
  /** Why it stopped, in words and figures. */
  stop: StopView | null;
  total: number;
  counts: StatusCounts;
  /** Tasks completed or failed during this run (a resumed run's earlier tasks are not). */
  finished_this_run: number;
  /** finished_this_run over the run's duration. */
  tasks_per_second: number | null;
  /** The finished tasks' durations (their last attempt). */
  durations: DurationStats | null;
  by_type: TypeStats[];
  slowest: TaskRow[];
  /** `cause`: the error's first line, what went wrong in one line; `error`: the cause and the log excerpt. */
  failures: Array<{ id: string; type: string; worker_id: number | null; attempts: number; cause: string; error: string; log: string | null }>;
  /** `waiting_on`: a pending task's dependencies not completed yet. */
  unfinished: Array<{ id: string; type: string; status: string; worker_id: number | null; attempts: number; waiting_on?: string[] }>;
  /** This run's workers: what they did during this run. */
  workers: WorkerStats[];
  /** Cost and tokens over every recorded agent run (findings and issues): what --max-cost-usd counts. */
  usage: Usage;
  /** Cost and tokens of this run's agent runs. */
  run_usage: Usage;
  /** With `--isolate worktree` (or tasks that ran isolated): branches and merge outcomes. */
  git: GitSummary | null;
  /** With `--verify`: the checks' results (null when nothing was verified). */
  verify: VerifySummary | null;
  /** What was said to the agents (`ralph say`). */
  messages: Message[];
  tasks: TaskRow[];
}

export function buildSummary(
  state: QueueState,
  sessions: readonly WorkerSession[],
  where: { dir: string; report: string; stoppedBy?: StopReason; messages?: Message[] },
): RunSummary {
  const counts = countByStatus(state.tasks);
  const run = state.meta.run ?? null;
  const window = runWindow(run);
  const duration = window && Number.isFinite(window.end) ? window.end - window.start : null;
  const logOf = (id: number | null | undefined) => (id == null ? null : `${where.dir}/worker-${id}.log`);
  const stoppedBy = where.stoppedBy ?? (run?.stopped_by as StopReason | undefined) ?? null;
  const stop = stoppedBy ? describeStop(stoppedBy, state.meta, counts) : null;
  const exit = exitCodeFor(counts, { reason: stoppedBy, signal: stop?.signal });
  const finished = finishedDuring(state.tasks, window);
  const records = [...state.findings, ...state.issues];
  let index: Map<string, Task> | undefined;
  const byId = () => (index ??= new Map(state.tasks.map((t) => [t.id, t])));
  return {
    ok: exit === 0,
    exit_code: exit,
    state_dir: where.dir,
    report: where.report,
    run,
    duration_ms: duration,
    stopped_by: stoppedBy,
    stop,
    total: state.tasks.length,
    counts,
    finished_this_run: finished,
    tasks_per_second: duration && duration > 0 ? round(finished / (duration / 1000)) : null,
    durations: durationStats(state.tasks.map(durationOf).filter((d): d is number => d !== undefined)),
    by_type: statsByType(state.tasks),
    slowest: slowestTasks(state.tasks, SLOWEST).map(taskRow),
    failures: state.tasks
      .filter((t) => t.status === 'failed')
      .map((t) => ({
        id: t.id,
        type: t.type,
        worker_id: t.worker_id ?? null,
        attempts: t.attempts,
        cause: causeOf(t.error),
        error: t.error ?? 'unknown error',
        log: logOf(t.worker_id),
      })),
    unfinished: state.tasks
      .filter((t) => t.status === 'pending' || t.status === 'claimed')
      .map((t) => {
        const deps = t.status === 'pending' && t.depends_on !== undefined ? dependencyState(t, (id) => byId().get(id)) : undefined;
        return {
          id: t.id,
          type: t.type,
          status: t.status,
          worker_id: t.worker_id ?? null,
          attempts: t.attempts,
          ...(deps?.kind === 'waiting' ? { waiting_on: deps.on } : {}),
        };
      }),
    workers: workerStats(state, sessions, where.dir, window),
    usage: totalUsage(records),
    run_usage: totalUsage(records.filter((r) => inWindow(r.timestamp, window))),
    git: gitSummary(state),
    verify: verifySummary(state),
    messages: where.messages ?? [],
    tasks: state.tasks.map(taskRow),
  };
}

export function taskRow(t: Task): TaskRow {
  return {
    id: t.id,
    type: t.type,
    status: t.status,
    worker_id: t.worker_id ?? null,
    attempts: t.attempts,
    duration_ms: durationOf(t) ?? null,
    ...taskCost(t),
    ...(t.status === 'completed' ? { finding: t.finding ?? '' } : {}),
    ...(t.status === 'failed' ? { cause: causeOf(t.error) } : {}),
  };
}

/** A task's last run's cost: known (and whether estimated), unknown (null), or nothing to say. */
function taskCost(t: Task): Pick<TaskRow, 'cost_usd' | 'cost_estimated'> {
  const usage = t as AgentUsage;
  const cost = costOf(usage);
  if (cost !== undefined) return { cost_usd: cost, ...(usage.cost_estimated ? { cost_estimated: true } : {}) };
  return costUnknown(usage) ? { cost_usd: null } : {};
}

/** What each worker did during the run (window): a resumed run's workers are not credited with the earlier runs' work. */
function workerStats(state: QueueState, sessions: readonly WorkerSession[], dir: string, window: RunWindow | undefined): WorkerStats[] {
  const stats = new Map<number, WorkerStats>();
  const tallies = new Map<number, UsageTally>();
  const of = (id: number) => {
    let s = stats.get(id);
    if (!s) {
      s = {
        worker_id: id,
        completed: 0,
        failed: 0,
        requeued: 0,
        busy_ms: 0,
        cost_usd: 0,
        cost_estimated: false,
        runs_unknown_cost: 0,
        tokens: { input: 0, output: 0, cache_read: 0, cache_write: 0 },
        status: 'unknown',
        last_heartbeat: null,
        log: `${dir}/worker-${id}.log`,
      };
      stats.set(id, s);
      tallies.set(id, new UsageTally());
    }
    return s;
  };
  for (const session of sessions) {
    const s = of(session.worker_id);
    s.status = session.status;
    s.last_heartbeat = session.last_heartbeat;
  }
  for (const f of state.findings) {
    if (!inWindow(f.timestamp, window)) continue;
    const s = of(f.worker_id);
    s.completed += 1;
    s.busy_ms += busyWithin(f.timestamp, f.duration_ms, window);
    tallies.get(f.worker_id)!.add(f);
  }
  for (const issue of state.issues) {
    if (!inWindow(issue.timestamp, window)) continue;
    const s = of(issue.worker_id);
    // A usage-limit deferral is neither a failure nor a retry: the task simply ran again later.
    if (issue.outcome === 'failed') s.failed += 1;
    else if (issue.outcome === 'requeued') s.requeued += 1;
    s.busy_ms += busyWithin(issue.timestamp, issue.duration_ms, window);
    tallies.get(issue.worker_id)!.add(issue);
  }
  for (const [id, s] of stats) {
    const tally = tallies.get(id)!;
    Object.assign(s, tally.costs(), { tokens: tally.tokens });
  }
  return [...stats.values()].sort((a, b) => a.worker_id - b.worker_id);
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
