import type { QueueMeta } from './types.js';

/** How long a run on another host may go unheard (its `heartbeat_at`) before it counts as gone. */
export const RUN_SILENT_MS = 60_000;

/**
 * Whether a `ralph run` is using the queue: `active` is set and its orchestrator is alive: on the
 * same host (`host` is the one looking) its process, elsewhere its heartbeat (a run on a database's
 * queue writes one), when it writes one. An orchestrator killed without cleaning up leaves `active`
 * set; it does not count. Pure.
 */
export function runIsLive(meta: QueueMeta, host: string, isAlive: (pid: number) => boolean, now: Date = new Date()): boolean {
  if (!meta.active) return false;
  const run = meta.run;
  if (!run || typeof run.pid !== 'number') return true;
  if (run.host === host) return isAlive(run.pid);
  const heard = run.heartbeat_at === undefined ? Number.NaN : Date.parse(run.heartbeat_at);
  return Number.isNaN(heard) || now.getTime() - heard <= RUN_SILENT_MS;
}
