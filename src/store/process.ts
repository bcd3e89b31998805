import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * Whether a process of this host is running. A process of another user counts as running; a zombie
 * (exited, not yet reaped by its parent) does not.
 */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  if (process.platform !== 'linux') return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state follows the command name, which is in parentheses and may itself contain spaces.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

export const HOST = hostname();

/**
 * `isAlive` with answers remembered for `ttlMs`: a worker checks every other claim's worker on
 * every transaction, and a dead one is still noticed within `ttlMs`.
 */
export function cachedIsAlive(ttlMs: number): (pid: number) => boolean {
  const seen = new Map<number, { alive: boolean; at: number }>();
  return (pid) => {
    const now = Date.now();
    const hit = seen.get(pid);
    if (hit && now - hit.at < ttlMs) return hit.alive;
    const alive = isAlive(pid);
    seen.set(pid, { alive, at: now });
    if (seen.size > 4096) seen.clear();
    return alive;
  };
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks this thread for `ms` (for the short synchronous waits of the lock and the store). */
export function pause(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}
