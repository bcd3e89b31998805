/** Whether processes of this host are running (pid reuse seen through start times), and short synchronous waits. */
import { processStartTime, procStat } from './stat.js';

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
  return process.platform === 'linux' && procStat(pid)?.[0] === 'Z';
}

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

/**
 * Whether the process of this host that had `pid` and started at `start` is still running: alive,
 * and (where start times are known) not a later process that was given the same pid.
 */
export function isSameProcessAlive(pid: number, start: string | undefined, alive: (pid: number) => boolean = isAlive): boolean {
  if (!alive(pid)) return false;
  if (start === undefined) return true;
  const now = processStartTime(pid);
  return now === undefined || now === start;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks this thread for `ms` (for the short synchronous waits of the lock and the store). */
export function pause(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}
