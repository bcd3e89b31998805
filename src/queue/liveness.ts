import type { QueueMeta } from './types.js';

/**
 * Whether a `ralph run` is using the queue: `active` is set and its orchestrator is alive (known
 * for certain on the same host only: `host` is the one looking). An orchestrator killed without
 * cleaning up leaves `active` set; it does not count. Pure.
 */
export function runIsLive(meta: QueueMeta, host: string, isAlive: (pid: number) => boolean): boolean {
  if (!meta.active) return false;
  const run = meta.run;
  if (!run || typeof run.pid !== 'number' || run.host !== host) return true;
  return isAlive(run.pid);
}
