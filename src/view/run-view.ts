import { countByStatus } from '../queue/counts.js';
import type { QueueState, StatusCounts } from '../queue/types.js';
import { redact } from '../redact/process.js';
import { oneLine } from '../redact/sanitize.js';
import { sessionAlive } from '../report/status.js';
import type { StatePaths } from '../store/paths.js';
import type { Sessions, WorkerSession } from '../store/sessions.js';
import { paintFor } from './color.js';
import type { Paint } from './color.js';
import { EventFeed } from './feed.js';
import type { FeedEvent } from './feed.js';
import { failureLine, fitPieces, liveFrame, plainTotals } from './frame.js';
import { LiveBlock } from './live-block.js';
import { localTime } from './log-records.js';
import type { TerminalStream } from './live-block.js';
import { buildSnapshot } from './snapshot.js';
import type { ViewSnapshot } from './snapshot.js';

/** Text from tasks and agents, as every view shows it: redacted, control characters escaped. */
export const cleanText = (text: string): string => oneLine(redact(text));

/** At most this often the live block is drawn again (and only when it changed). */
const DRAW_MS = 250;
/** At most this often the workers' sessions are read (a worker writes its last output line at most twice a second). */
const SESSIONS_MS = 500;

export interface ViewSource {
  paths: StatePaths;
  sessions: Sessions;
  /** The ids of the workers the run has started (see runWorkers); or, watching from elsewhere, those the sessions tell of (see shownWorkers). */
  workers: (() => Iterable<number>) | 'sessions';
  startedAt: number | undefined;
  maxCostUsd: number | undefined;
  /** When the run ended, if it has (the elapsed time and the rate stop there). */
  endedAt?: (state: QueueState, sessions: readonly WorkerSession[]) => number | undefined;
}

/**
 * What a view of a run does with each look at the queue: failures and notices are told once, as they
 * happen; the totals and the workers are kept current on a terminal (a live block, redrawn a few
 * times a second at most), or told in a plain timestamped line every `intervalMs` elsewhere.
 */
export class RunView {
  readonly live: boolean;
  private readonly paint: Paint;
  private readonly block: LiveBlock | undefined;
  private readonly feed: EventFeed;
  private snapshot: ViewSnapshot | undefined;
  private sessions = new Map<number, WorkerSession>();
  private lastDraw = 0;
  private lastSessions = 0;
  private lastPlain = 0;
  private latest: { state: QueueState; counts: StatusCounts; finished: number; told: boolean } | undefined;

  private readonly intervalMs: number;

  /**
   * `first`: the queue when the view starts (what failed before is not told again, but for the failures
   * from `since` on); `intervalMs`: how often a plain line is printed off a terminal; `display`
   * false: nothing is written (the snapshots are taken with `build`).
   */
  constructor(
    private readonly stream: TerminalStream,
    private readonly source: ViewSource,
    first: QueueState,
    options: { intervalMs?: number | undefined; since?: string; display?: boolean } = {},
  ) {
    this.intervalMs = options.intervalMs ?? 5000;
    this.live = stream.isTTY === true && options.display !== false;
    this.paint = paintFor(stream);
    this.feed = new EventFeed(first, {
      logOf: (id) => source.paths.workerLog(id),
      clean: cleanText,
      now: Date.now,
      ...(options.since === undefined ? {} : { since: options.since }),
    });
    this.block = this.live ? new LiveBlock(stream, (columns, rows) => (this.snapshot ? liveFrame(this.snapshot, columns, rows, this.paint) : [])) : undefined;
  }

  /** One look at the queue: `finished` tasks since the run started; `last` draws the final picture whatever the time. */
  update(state: QueueState, counts: StatusCounts, finished: number, now: number, last = false): void {
    this.latest = { state, counts, finished, told: last };
    const events = this.feed.next(state);
    if (this.block) {
      const due = last || events.length > 0 || now - this.lastDraw >= DRAW_MS;
      if (!due) return;
      if (now - this.lastSessions >= SESSIONS_MS && !last) this.readSessions(now);
      // The last picture keeps the totals alone: the workers' rows are over, and the run's summary follows.
      this.snapshot = this.build(state, counts, finished, now, last ? [] : this.workerIdsOf(state, now));
      for (const event of events) this.block.above(this.eventLine(event, this.block.columns - 1));
      this.block.refresh();
      this.lastDraw = now;
      return;
    }
    for (const event of events) this.stream.write(`${stamp(now)} ${this.eventLine(event, Number.POSITIVE_INFINITY)}\n`);
    if (last || now - this.lastPlain >= this.intervalMs) {
      this.stream.write(`${stamp(now)} ${plainTotals(this.build(state, counts, finished, now, []), this.paint)}\n`);
      this.lastPlain = now;
    }
  }

  /**
   * Tells the last look as the final picture (unless it was), and leaves it on the terminal. `end`:
   * the queue as the run left it, told instead when it can be read (`finishedBefore`: the tasks
   * finished before the run started).
   */
  close(end?: () => QueueState, finishedBefore = 0): void {
    const state = end === undefined ? undefined : readOrUndefined(end);
    if (state) {
      const counts = countByStatus(state.tasks);
      this.update(state, counts, counts.completed + counts.failed - finishedBefore, Date.now(), true);
    } else {
      const latest = this.latest;
      if (latest && !latest.told) this.update(latest.state, latest.counts, latest.finished, Date.now(), true);
    }
    this.block?.close();
  }

  /** The snapshot of a look at the queue, with the sessions as last read. */
  build(state: QueueState, counts: StatusCounts, finished: number, now: number, workerIds: readonly number[]): ViewSnapshot {
    return buildSnapshot({
      now,
      dir: this.source.paths.dir,
      state,
      counts,
      finished,
      startedAt: this.source.startedAt,
      endedAt: this.source.endedAt?.(state, [...this.sessions.values()]),
      workerIds,
      sessions: this.sessions,
      alive: (s) => sessionAlive(s, now, 60_000),
      maxCostUsd: this.source.maxCostUsd,
      clean: cleanText,
    });
  }

  workerIdsOf(state: QueueState | undefined, now: number): number[] {
    const { workers } = this.source;
    if (workers !== 'sessions') return runWorkers(workers(), state);
    return shownWorkers([...this.sessions.values()], state?.meta.run?.workers, (s) => sessionAlive(s, now, 60_000));
  }

  /** The sessions of the workers that have a row on the screen (watching from elsewhere: all of them). */
  readSessions(now: number): void {
    this.lastSessions = now;
    if (this.source.workers === 'sessions') {
      this.sessions = new Map(this.source.sessions.readLenient().sessions.map((s) => [s.worker_id, s]));
      return;
    }
    for (const id of this.workerIdsOf(this.latest?.state, now).slice(0, this.block?.rows ?? 0)) {
      try {
        const session = this.source.sessions.read(id);
        if (session) this.sessions.set(id, session);
      } catch {
        // Being replaced, or broken: the worker and `ralph status` say what is wrong with it.
      }
    }
  }

  private eventLine(event: FeedEvent, columns: number): string {
    if (event.kind === 'failure') return failureLine(event.failure, columns, this.paint);
    return fitPieces([[event.text, event.warn ? 'yellow' : undefined]], columns, this.paint);
  }
}

/**
 * The workers the run's own view shows: those it started (not the rest of --workers: a run starts no
 * more workers than it has tasks), and any other that holds a task now (one started by hand). Pure.
 */
export function runWorkers(started: Iterable<number>, state: QueueState | undefined): number[] {
  const ids = new Set(started);
  for (const task of state?.tasks ?? []) if (task.status === 'claimed' && typeof task.worker_id === 'number') ids.add(task.worker_id);
  return [...ids].sort((a, b) => a - b);
}

/**
 * The workers a view from elsewhere shows: those of the run (ids up to its worker count), and any
 * other that works on the queue now (one started by hand). Pure.
 */
export function shownWorkers(sessions: readonly WorkerSession[], runWorkers: number | undefined, alive: (s: WorkerSession) => boolean): number[] {
  return sessions
    .filter((s) => (runWorkers !== undefined && s.worker_id <= runWorkers) || (s.status !== 'stopped' && alive(s)))
    .map((s) => s.worker_id)
    .sort((a, b) => a - b);
}

function readOrUndefined(read: () => QueueState): QueueState | undefined {
  try {
    return read();
  } catch {
    return undefined; // the run's end tells what is wrong with the state
  }
}

/** The local time of day, for a line that stays. */
export function stamp(now: number): string {
  return localTime(new Date(now).toISOString(), new Date(now));
}
