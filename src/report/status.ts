import type { ClaimStop, QueueMeta, StatusCounts, UsageLimitNote } from '../queue/types.js';
import { FileStore } from '../store/file-store.js';
import type { DependencyWait, Store } from '../store/store.js';
import { readMessages } from '../store/messages.js';
import type { Message } from '../queue/messages.js';
import type { LockInspection } from '../store/lock.js';
import { HOST } from '../process/machine.js';
import { isAlive } from '../process/alive.js';
import type { WorkerSession } from '../store/sessions.js';

export interface WorkerView {
  worker_id: number;
  status: string;
  /** Alive: the process runs (same host) or its heartbeat is recent (other host). */
  alive: boolean;
  pid: number;
  host: string;
  current_task: string | null;
  heartbeat_age_ms: number;
  iteration: number;
  /** How long the current task's agent has run. */
  task_age_ms?: number;
  /** The current task's agent's last output line (redacted, one short line), and how long ago it came. */
  last_output?: string;
  last_output_age_ms?: number;
}

export interface StatusView {
  dir: string;
  total: number;
  counts: StatusCounts;
  active: boolean;
  run: QueueMeta['run'] | null;
  /** The recorded cost of every agent run so far (every machine's, on a database's queue), estimates included. */
  cost_usd: number;
  workers: WorkerView[];
  /** Why claiming stopped for good (the budget, a usage limit with --on-usage-limit stop), if it did. */
  stop: ClaimStop | null;
  /** A usage limit that holds claims back until its time, if one does. */
  usage_limit: UsageLimitNote | null;
  /** Since when claiming is paused by hand (`ralph queue pause`), if it is. */
  paused_at: string | null;
  /** Pending tasks waiting on others (`depends_on`), the first 20, each with what it waits on. */
  waiting_on_dependencies: DependencyWait[];
  /** The last 10 messages to the agents (`ralph say`), oldest first. */
  messages: Message[];
  /** The file store's lock (a queue in a database has none). */
  lock?: LockInspection;
  /** Where the queue is, when not in `dir`: a database's, without the password. */
  queue?: string;
}

/** Whether a worker is alive, judged by its process (same host) or its heartbeat (elsewhere). */
export function sessionAlive(session: WorkerSession, now: number, staleAfterMs: number): boolean {
  if (session.status === 'stopped') return false;
  if (session.host === HOST) return isAlive(session.pid);
  return now - Date.parse(session.last_heartbeat) <= staleAfterMs;
}

/** How long a worker busy with a task has been at it. */
function taskAge(session: WorkerSession, now: number): Pick<WorkerView, 'task_age_ms'> {
  const at = session.current_task && typeof session.task_started_at === 'string' ? Date.parse(session.task_started_at) : NaN;
  return Number.isNaN(at) ? {} : { task_age_ms: Math.max(0, now - at) };
}

/** The agent's last output line of a worker busy with a task, and its age. */
function lastOutput(session: WorkerSession, now: number): Pick<WorkerView, 'last_output' | 'last_output_age_ms'> {
  if (!session.current_task || typeof session.last_output !== 'string') return {};
  const at = typeof session.last_output_at === 'string' ? Date.parse(session.last_output_at) : NaN;
  return { last_output: session.last_output, ...(Number.isNaN(at) ? {} : { last_output_age_ms: Math.max(0, now - at) }) };
}

export async function gatherStatus(store: Store): Promise<StatusView> {
  const { counts, meta } = await store.overview();
  const now = Date.now();
  const workers = store.sessions.readAll().map((s) => ({
    worker_id: s.worker_id,
    status: s.status,
    alive: sessionAlive(s, now, 60_000),
    pid: s.pid,
    host: s.host,
    current_task: s.current_task,
    heartbeat_age_ms: now - Date.parse(s.last_heartbeat),
    iteration: s.iteration,
    ...taskAge(s, now),
    ...lastOutput(s, now),
  }));
  return {
    dir: store.dir,
    total: counts.pending + counts.claimed + counts.completed + counts.failed,
    counts,
    active: meta.active,
    run: meta.run ?? null,
    cost_usd: meta.cost_usd ?? 0,
    workers,
    stop: meta.stop ?? null,
    usage_limit: meta.usage_limit ?? null,
    paused_at: meta.paused?.at ?? null,
    waiting_on_dependencies: meta.dependencies ? await store.waitingOnDependencies(20) : [],
    messages: readMessages(store.paths.messages).slice(-10),
    ...(store instanceof FileStore ? { lock: store.lock.inspect() } : { queue: store.location }),
  };
}
