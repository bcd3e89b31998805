import type { QueueMeta } from '../queue/types.js';
import { HOST } from '../process/machine.js';

/**
 * Whether a `ralph run` is using the queue: `active` is set and its orchestrator is alive (known
 * for certain on the same host only). An orchestrator killed without cleaning up leaves `active`
 * set; it does not count.
 */
export function runIsLive(meta: QueueMeta, isAlive: (pid: number) => boolean): boolean {
  if (!meta.active) return false;
  const run = meta.run;
  if (!run || typeof run.pid !== 'number' || run.host !== HOST) return true;
  return isAlive(run.pid);
}
