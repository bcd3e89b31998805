import { countByStatus } from '../queue/counts.js';
import type { QueueState, RunInfo, StatusCounts } from '../queue/types.js';
import type { WorkerSession } from '../worker/session.js';

export type StopReason = 'completed' | 'timeout' | 'signal' | 'budget' | 'workers-exited';

export interface WorkerStats {
  worker_id: number;
  completed: number;
  failed: number;
  requeued: number;
  busy_ms: number;
  status: string;
  last_heartbeat: string | null;
  log: string;
}

/** The machine-readable summary of a run (`--json`) and the data behind the markdown report. */
export interface RunSummary {
  ok: boolean;
  exit_code: number;
  state_dir: string;
  report: string;
  run: RunInfo | null;
  duration_ms: number | null;
  stopped_by: StopReason | null;
  total: number;
  counts: StatusCounts;
  tasks_per_second: number | null;
  failures: Array<{ id: string; type: string; worker_id: number | null; attempts: number; error: string; log: string | null }>;
  unfinished: Array<{ id: string; type: string; status: string; worker_id: number | null; attempts: number }>;
  workers: WorkerStats[];
}

/** 0: every task completed; 1: some failed or unfinished. */
export function exitCodeFor(counts: StatusCounts): number {
  return counts.failed === 0 && counts.pending === 0 && counts.claimed === 0 ? 0 : 1;
}

export function buildSummary(state: QueueState, sessions: readonly WorkerSession[], where: { dir: string; report: string; stoppedBy?: StopReason }): RunSummary {
  const counts = countByStatus(state.tasks);
  const run = state.meta.run ?? null;
  const start = run ? Date.parse(run.started_at) : NaN;
  const end = run?.ended_at ? Date.parse(run.ended_at) : NaN;
  const duration = Number.isNaN(start) || Number.isNaN(end) ? null : end - start;
  const logOf = (id: number | null | undefined) => (id == null ? null : `${where.dir}/worker-${id}.log`);
  const exit = exitCodeFor(counts);
  return {
    ok: exit === 0,
    exit_code: exit,
    state_dir: where.dir,
    report: where.report,
    run,
    duration_ms: duration,
    stopped_by: where.stoppedBy ?? (run?.stopped_by as StopReason | undefined) ?? null,
    total: state.tasks.length,
    counts,
    tasks_per_second: duration && duration > 0 ? round((counts.completed + counts.failed) / (duration / 1000)) : null,
    failures: state.tasks.filter((t) => t.status === 'failed').map((t) => ({
      id: t.id, type: t.type, worker_id: t.worker_id ?? null, attempts: t.attempts, error: t.error ?? 'unknown error', log: logOf(t.worker_id),
    })),
    unfinished: state.tasks.filter((t) => t.status === 'pending' || t.status === 'claimed').map((t) => ({
      id: t.id, type: t.type, status: t.status, worker_id: t.worker_id ?? null, attempts: t.attempts,
    })),
    workers: workerStats(state, sessions, where.dir),
  };
}

function workerStats(state: QueueState, sessions: readonly WorkerSession[], dir: string): WorkerStats[] {
  const stats = new Map<number, WorkerStats>();
  const of = (id: number) => {
    let s = stats.get(id);
    if (!s) {
      s = { worker_id: id, completed: 0, failed: 0, requeued: 0, busy_ms: 0, status: 'unknown', last_heartbeat: null, log: `${dir}/worker-${id}.log` };
      stats.set(id, s);
    }
    return s;
  };
  for (const session of sessions) {
    const s = of(session.worker_id);
    s.status = session.status;
    s.last_heartbeat = session.last_heartbeat;
  }
  for (const f of state.findings) {
    const s = of(f.worker_id);
    s.completed += 1;
    s.busy_ms += f.duration_ms;
  }
  for (const issue of state.issues) {
    const s = of(issue.worker_id);
    if (issue.outcome === 'failed') s.failed += 1; else s.requeued += 1;
    s.busy_ms += issue.duration_ms ?? 0;
  }
  return [...stats.values()].sort((a, b) => a.worker_id - b.worker_id);
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
