import type { QueueState, StatusCounts } from '../queue/types.js';
import type { WorkerSession } from '../store/sessions.js';

/** What one worker is doing, as the live view shows it. */
export interface WorkerRow {
  id: number;
  /** starting: no session yet; gone: its process died without stopping; waiting: for a usage limit to lift. */
  state: 'starting' | 'running' | 'idle' | 'waiting' | 'stopped' | 'gone';
  task?: string;
  /** How long it has been on its task. */
  for_ms?: number;
  /** The agent's last output line (redacted, one short line), with how long ago it came. */
  last_output?: string;
  last_output_age_ms?: number;
  /** state waiting: when claiming starts again. */
  until?: string;
}

/** One picture of a run: the totals line and the worker rows (`ralph status --watch --json` prints these). */
export interface ViewSnapshot {
  at: string;
  dir: string;
  /** Whether a `ralph run` is going on. */
  active: boolean;
  total: number;
  counts: StatusCounts;
  /** Tasks finished (completed or failed) since the run started, the rate and the ETA from them. */
  finished: number;
  elapsed_ms: number | null;
  tasks_per_second: number;
  eta_ms: number | null;
  /** The recorded cost (what --max-cost-usd counts), estimates included. */
  cost_usd: number;
  /** Some of cost_usd is estimated from tokens. */
  cost_estimated: boolean;
  /** Agent runs whose cost is unknown (not in cost_usd). */
  cost_unknown: number;
  max_cost_usd: number | null;
  usage_limit: { agent: string; message: string; until: string } | null;
  stop: { reason: string; detail: string } | null;
  workers: WorkerRow[];
}

export interface SnapshotInput {
  now: number;
  dir: string;
  state: QueueState;
  counts: StatusCounts;
  finished: number;
  /** When the run started (ms since the epoch); undefined without a run. */
  startedAt: number | undefined;
  /** When the run ended, if it has: the elapsed time and the rate are up to then. */
  endedAt?: number | undefined;
  /** The workers to show, in order. */
  workerIds: readonly number[];
  sessions: ReadonlyMap<number, WorkerSession>;
  /** Whether a session's process is alive. */
  alive: (session: WorkerSession) => boolean;
  maxCostUsd: number | undefined;
  /** Applied to every text from tasks, agents and limits: redaction and escaping (see redact/). */
  clean: (text: string) => string;
}

/** The snapshot of a run from its queue and its workers' sessions. Pure. */
export function buildSnapshot(input: SnapshotInput): ViewSnapshot {
  const { now, state, counts, finished, clean } = input;
  const meta = state.meta;
  const until = input.endedAt === undefined ? now : Math.min(now, input.endedAt);
  const elapsed = input.startedAt === undefined ? null : Math.max(0, until - input.startedAt);
  const rate = elapsed !== null && elapsed > 0 ? finished / (elapsed / 1000) : 0;
  const left = counts.pending + counts.claimed;
  const limit = meta.usage_limit && Date.parse(meta.usage_limit.until) > now ? meta.usage_limit : undefined;
  // The task each worker holds, and since when: the queue says so, whatever the session says yet.
  const held = new Map<number, { id: string; since: number }>();
  for (const task of state.tasks) {
    if (task.status !== 'claimed' || typeof task.worker_id !== 'number') continue;
    held.set(task.worker_id, { id: clean(task.id), since: task.claimed_at ? Date.parse(task.claimed_at) : now });
  }
  const workers = input.workerIds.map((id): WorkerRow => {
    const session = input.sessions.get(id);
    const task = held.get(id);
    if (!session) return task ? { id, state: 'running', task: task.id, for_ms: now - task.since } : { id, state: 'starting' };
    if (session.status === 'stopped') return { id, state: 'stopped' };
    if (!input.alive(session)) return { id, state: 'gone' };
    if (task) {
      const row: WorkerRow = { id, state: 'running', task: task.id, for_ms: Math.max(0, now - task.since) };
      // The session may still tell of the task before: its line shows once it tells of this one.
      if (
        typeof session.current_task === 'string' &&
        clean(session.current_task) === task.id &&
        typeof session.last_output === 'string' &&
        session.last_output !== ''
      ) {
        row.last_output = clean(session.last_output);
        const at = typeof session.last_output_at === 'string' ? Date.parse(session.last_output_at) : NaN;
        if (!Number.isNaN(at)) row.last_output_age_ms = Math.max(0, now - at);
      }
      return row;
    }
    if (limit) return { id, state: 'waiting', until: limit.until };
    return { id, state: 'idle' };
  });
  return {
    at: new Date(now).toISOString(),
    dir: input.dir,
    active: meta.active,
    total: state.tasks.length,
    counts,
    finished,
    elapsed_ms: elapsed,
    tasks_per_second: Math.round(rate * 100) / 100,
    eta_ms: rate > 0 && left > 0 ? Math.round((left / rate) * 1000) : null,
    cost_usd: meta.cost_usd ?? 0,
    cost_estimated: meta.cost_estimated === true,
    cost_unknown: meta.cost_unknown ?? 0,
    max_cost_usd: input.maxCostUsd ?? null,
    usage_limit: limit ? { agent: clean(limit.agent), message: clean(limit.message), until: limit.until } : null,
    stop: meta.stop ? { reason: meta.stop.reason, detail: clean(meta.stop.detail) } : null,
    workers,
  };
}
