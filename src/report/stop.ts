import { constants } from 'node:os';
import type { QueueMeta, StatusCounts } from '../queue/types.js';
import { localAndUtc } from './time.js';

export type StopReason = 'completed' | 'timeout' | 'signal' | 'budget' | 'usage-limit' | 'workers-exited' | 'cannot-write';

/** Why a run stopped: in one sentence for a person, and in figures for a program (`--json`). */
export interface StopView {
  reason: StopReason;
  text: string;
  /** `signal`: the signal that interrupted it. */
  signal?: string;
  /** `budget`: the recorded cost, and the budget it reached. */
  cost_usd?: number;
  max_cost_usd?: number;
  /** Some of cost_usd is Ralph's estimate from tokens. */
  cost_estimated?: boolean;
  /** `usage-limit`: the agent, its words, and when the limit lifts (ISO-8601 UTC), if it said. */
  agent?: string;
  message?: string;
  until?: string;
}

/** 0: every task completed; 1: some failed or unfinished; 128+n: interrupted by signal n (what the process exits with). */
export function exitCodeFor(counts: StatusCounts, stop?: { reason: string | null; signal?: string | undefined }): number {
  if (stop?.reason === 'signal' && stop.signal !== undefined) {
    const number = (constants.signals as Record<string, number | undefined>)[stop.signal];
    if (number !== undefined) return 128 + number;
  }
  return counts.failed === 0 && counts.pending === 0 && counts.claimed === 0 ? 0 : 1;
}

/** Why the run stopped, from how it ended and what the queue recorded. Pure (times read in the process's zone). */
export function describeStop(reason: StopReason, meta: Readonly<QueueMeta>, counts: StatusCounts): StopView {
  const unfinished = counts.pending + counts.claimed;
  const run = meta.run;
  switch (reason) {
    case 'completed':
      return { reason, text: counts.failed === 0 ? 'every task completed' : `no task left to run; ${counts.failed} failed` };
    case 'timeout':
      return { reason, text: `the --timeout was reached; ${unfinished} unfinished task(s) went back to pending${heldByLimit(meta)}` };
    case 'signal': {
      const signal = typeof run?.signal === 'string' ? run.signal : undefined;
      return {
        reason,
        ...(signal ? { signal } : {}),
        text: `interrupted by ${signal ?? 'a signal'}; the tasks in flight went back to pending${heldByLimit(meta)}`,
      };
    }
    case 'budget': {
      const cost = meta.cost_usd ?? 0;
      const max = run?.max_cost_usd;
      return {
        reason,
        cost_usd: cost,
        ...(max === undefined ? {} : { max_cost_usd: max }),
        ...(meta.cost_estimated ? { cost_estimated: true } : {}),
        text: `the budget was reached: ${meta.cost_estimated ? '~' : ''}$${cost.toFixed(4)}${meta.cost_estimated ? ' (estimated in part from tokens)' : ''}${max === undefined ? '' : ` of $${max}`} (--max-cost-usd); the tasks in flight finished, no new task was claimed`,
      };
    }
    case 'usage-limit': {
      const stop = meta.stop?.reason === 'usage-limit' ? meta.stop : undefined;
      const [agent, ...words] = (stop?.detail ?? '').split(': ');
      const message = words.join(': ');
      const until = typeof stop?.resets_at === 'string' ? stop.resets_at : undefined;
      const when = until === undefined ? '' : ` until ${localAndUtc(until) ?? until}`;
      return {
        reason,
        ...(agent ? { agent } : {}),
        ...(message ? { message } : {}),
        ...(until ? { until } : {}),
        text: `${agent || 'an agent'} hit its usage limit (--on-usage-limit stop)${when}${message ? `: ${message}` : ''}`,
      };
    }
    case 'workers-exited':
      return { reason, text: 'every worker exited and could not be restarted; their logs say why' };
    case 'cannot-write':
      return {
        reason,
        text: 'the state directory could not be written (a full disk, a file-size limit, a read-only file system); the state files keep the last good state',
      };
  }
}

/** A usage-limit wait that still held claims back when the run ended (it ended waiting). */
function heldByLimit(meta: Readonly<QueueMeta>): string {
  const note = meta.usage_limit;
  const ended = meta.run?.ended_at ? Date.parse(meta.run.ended_at) : NaN;
  if (!note || Number.isNaN(ended) || !(Date.parse(note.until) > ended)) return '';
  return `; ${note.agent}'s usage limit held new claims back until ${localAndUtc(note.until) ?? note.until}`;
}
