import type { Issue, QueueMeta, QueueState } from '../queue/types.js';
import type { FailureNote } from './frame.js';
import { clock } from './frame.js';

/** What happened since the last look that the user is told once: a failure, or a notice (limits, budget). */
export type FeedEvent = { kind: 'failure'; failure: FailureNote } | { kind: 'notice'; text: string; warn: boolean };

/**
 * A failure's cause in one line: its first line; when that only leads up to an excerpt ("agent
 * exited with code 3; last output:"), with the excerpt's last line, where a failure is told. Pure.
 */
export function oneLineCause(error: string): string {
  const lines = error
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const first = lines[0];
  if (first === undefined) return 'unknown error';
  return first.endsWith(':') && lines.length > 1 ? `${first} ${lines[lines.length - 1]}` : first;
}

/**
 * Failures and notices as they happen, from the queue as it is read: the issues recorded since the
 * last look (failed for good, or failed and requeued for another attempt; a usage-limit deferral is
 * told as a notice), and changes of the usage limit and of a stop. What was there when the feed
 * started is not told again.
 */
export class EventFeed {
  private seen: number;
  /** Failures of the backlog left out, told once. */
  private earlier = 0;
  private limit: string;
  private stop: string;

  /**
   * `since`: the failures recorded from then on are told too (the first look of a view from
   * elsewhere tells those of the run so far), at most `backlog` of them, the latest.
   */
  constructor(
    state: QueueState,
    private readonly options: { logOf: (workerId: number) => string; clean: (text: string) => string; now: () => number; since?: string; backlog?: number },
  ) {
    this.seen = state.issues.length;
    if (options.since !== undefined) {
      const since = options.since;
      let first = state.issues.length;
      while (first > 0 && state.issues[first - 1]!.timestamp >= since) first -= 1;
      this.seen = Math.max(first, state.issues.length - (options.backlog ?? 10));
      this.earlier = this.seen - first;
    }
    this.limit = limitKey(state.meta, options.now());
    this.stop = stopKey(state.meta);
  }

  next(state: QueueState): FeedEvent[] {
    const events: FeedEvent[] = [];
    const { issues, meta } = state;
    if (issues.length < this.seen) this.seen = 0; // the queue was reset meanwhile
    if (this.earlier > 0) {
      events.push({ kind: 'notice', text: `${this.earlier} earlier failure(s) of this run not shown (\`ralph report\` lists them)`, warn: false });
      this.earlier = 0;
    }
    for (let i = this.seen; i < issues.length; i++) {
      const issue = issues[i]!;
      if (issue.outcome === 'deferred') continue;
      events.push({ kind: 'failure', failure: this.failure(issue) });
    }
    this.seen = issues.length;
    const clean = this.options.clean;
    const limit = limitKey(meta, this.options.now());
    if (limit !== this.limit) {
      const note = meta.usage_limit;
      if (limit !== '' && note)
        events.push({ kind: 'notice', text: `usage limit (${clean(note.agent)}): ${clean(note.message)}; claiming again at ${clock(note.until)}`, warn: true });
      else events.push({ kind: 'notice', text: 'usage limit over: claiming again', warn: false });
      this.limit = limit;
    }
    const stop = stopKey(meta);
    if (stop !== this.stop) {
      if (meta.stop) events.push({ kind: 'notice', text: `no new tasks: ${clean(meta.stop.detail)}`, warn: true });
      this.stop = stop;
    }
    return events;
  }

  private failure(issue: Issue): FailureNote {
    return {
      task: this.options.clean(issue.task_id),
      cause: this.options.clean(oneLineCause(issue.error)),
      log: typeof issue.worker_id === 'number' ? this.options.logOf(issue.worker_id) : null,
      retrying: issue.outcome === 'requeued',
    };
  }
}

function limitKey(meta: QueueMeta, now: number): string {
  const note = meta.usage_limit;
  return note && Date.parse(note.until) > now ? note.until : '';
}

function stopKey(meta: QueueMeta): string {
  return meta.stop ? `${meta.stop.reason} ${meta.stop.at}` : '';
}
