import { setTimeout as sleep } from 'node:timers/promises';
import { runIsLive } from '../queue/liveness.js';
import { countByStatus } from '../queue/counts.js';
import type { QueueMeta, QueueState } from '../queue/types.js';
import { StateMissingError } from '../errors.js';
import type { WorkerSession } from '../store/sessions.js';
import { processRedactor } from '../redact/process.js';
import { stringifyJson } from '../redact/sanitize.js';
import type { Store } from '../store/store.js';
import { isAlive } from '../process/alive.js';
import { HOST } from '../process/machine.js';
import { EventFeed } from './feed.js';
import type { TerminalStream } from './live-block.js';
import { RunView, cleanText } from './run-view.js';

/** The longest wait a Node timer holds (2^31 - 1 ms, ~24.8 days); a longer one fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface StatusWatchOptions {
  /** NDJSON: one snapshot a line, with the failures and notices since the one before. */
  json: boolean;
  intervalMs: number;
  signal: AbortSignal;
  out: TerminalStream;
}

/** Tasks finished since `since` (an ISO time): findings, and issues that failed a task for good. Pure. */
export function finishedSince(state: QueueState, since: string | undefined): number {
  if (since === undefined) return 0;
  let n = 0;
  for (const f of state.findings) if (f.timestamp >= since) n += 1;
  for (const i of state.issues) if (i.outcome === 'failed' && i.timestamp >= since) n += 1;
  return n;
}

/**
 * When the run in the queue ended (ms since the epoch): its `ended_at`; for one that died without
 * saying (its orchestrator killed), the last sign of life of its workers; undefined while it goes on
 * (or nothing tells). Pure.
 */
export function runEndedAt(meta: QueueMeta, live: boolean, sessions: readonly WorkerSession[]): number | undefined {
  if (live || !meta.run) return undefined;
  const ended = meta.run.ended_at === undefined ? NaN : Date.parse(meta.run.ended_at);
  if (!Number.isNaN(ended)) return ended;
  const beats = sessions.map((s) => Date.parse(s.last_heartbeat)).filter((t) => !Number.isNaN(t) && t >= Date.parse(meta.run!.started_at));
  return beats.length > 0 ? Math.max(...beats) : undefined;
}

/** The queue as it is now; a queue removed meanwhile is told as missing (exit 2), like one never made. */
async function readWatched(store: Store): Promise<QueueState> {
  try {
    await store.refresh();
    return store.read();
  } catch (error) {
    let gone = false;
    try {
      gone = !store.exists();
    } catch {
      // The state directory is there but unusable: the error itself says more.
    }
    if (!gone) throw error;
    throw Object.assign(new StateMissingError(store.paths.dir), { cause: error });
  }
}

/**
 * `ralph status --watch`: the live view of the run going on in this queue, from another terminal,
 * looked at every `intervalMs` until the run ends (or at once, without a run) or the signal aborts.
 * Reads only: the queue and the workers' sessions, never the lock.
 */
export async function watchStatus(store: Store, options: StatusWatchOptions): Promise<void> {
  const first = await readWatched(store);
  const run = first.meta.run;
  const source = {
    paths: store.paths,
    sessions: store.sessions,
    workers: 'sessions' as const,
    startedAt: run ? Date.parse(run.started_at) : undefined,
    maxCostUsd: run?.max_cost_usd,
    endedAt: (state: QueueState, sessions: readonly WorkerSession[]) => runEndedAt(state.meta, runIsLive(state.meta, HOST, isAlive), sessions),
  };
  const since = run?.started_at;
  const view = new RunView(options.out, source, first, { ...(since === undefined ? {} : { since }), display: !options.json });
  const feed = options.json
    ? new EventFeed(first, { logOf: (id) => store.paths.workerLog(id), clean: cleanText, now: Date.now, ...(since === undefined ? {} : { since }) })
    : undefined;
  try {
    for (;;) {
      const state = await readWatched(store);
      const now = Date.now();
      const counts = countByStatus(state.tasks);
      const over = !runIsLive(state.meta, HOST, isAlive) || options.signal.aborted;
      const finished = finishedSince(state, since);
      if (feed) {
        view.readSessions(now);
        const snapshot = view.build(state, counts, finished, now, view.workerIdsOf(state, now));
        const line = { ...snapshot, events: feed.next(state) };
        options.out.write(`${stringifyJson(processRedactor().redactDeep(line))}\n`);
      } else {
        view.update(state, counts, finished, now, over);
      }
      if (over) return;
      await sleep(Math.min(options.intervalMs, MAX_TIMER_MS), undefined, { signal: options.signal }).catch(() => undefined);
    }
  } finally {
    view.close();
  }
}
