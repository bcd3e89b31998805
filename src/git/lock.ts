import { join } from 'node:path';
import { FileLock } from '../store/lock.js';

/**
 * The one git lock: `orchestrator.lock` in the repository's shared `.git` directory. Every Ralph
 * process that changes a clone's branches holds it around each git step: the loops' pull, push and
 * handoff commits, and a worker's branch creation, takeover and merge with `--isolate worktree`. So a
 * run's merge queue and a loop on the same clone never move a branch at the same time. Stale-lock
 * safe (a holder that died is taken over); a long lease, since a push with its retries is one step.
 */
export function gitLock(commonDir: string): FileLock {
  return new FileLock(join(commonDir, 'orchestrator.lock'), { leaseMs: 600_000, timeoutMs: 900_000 });
}
