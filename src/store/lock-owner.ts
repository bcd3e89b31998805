import { sameMachine } from '../process/machine.js';
import type { Machine } from '../process/machine.js';

/** What a lock file holds: who owns it and until when. */
export interface LockOwner {
  pid: number;
  host: string;
  /** The owner's boot and pid namespace (see `Machine`), and when its process started. */
  boot?: string;
  pidns?: string;
  /** Field 22 of /proc/<pid>/stat (see process/stat.ts). */
  start?: string;
  token: string;
  acquired_at: string;
  refreshed_at: string;
  lease_ms: number;
  purpose?: string;
  /** The owner's staging directory (`FileStore`): removed when the lock is taken from it, which fences its writes. */
  stage?: string;
}

export type LockInspection =
  | { state: 'free' }
  | { state: 'held'; owner: LockOwner; ageMs: number }
  | { state: 'stale'; owner?: LockOwner; ageMs: number; why: string };

/** What `judgeOwner` may ask about this machine. */
export interface OwnerProbe {
  me: Machine;
  /** Whether the process `pid` of this machine that started at `start` (when known) still runs. */
  alive(pid: number, start: string | undefined): boolean;
}

/**
 * Whether a lock's owner still holds it. On this machine the owner's process decides, as a kernel
 * lock dies with its holder: a live owner holds the lock however long it is silent (paused,
 * swapping, suspended), a dead one never does. The lease decides only for an owner on another
 * machine, whose process cannot be looked at; its lock may then be taken over, and `FileStore`
 * fences the old owner's writes when that happens.
 */
export function judgeOwner(owner: LockOwner, now: number, probe: OwnerProbe): LockInspection {
  const ageMs = now - Date.parse(owner.acquired_at);
  if (sameMachine(owner, probe.me)) {
    return probe.alive(owner.pid, owner.start)
      ? { state: 'held', owner, ageMs }
      : { state: 'stale', owner, ageMs, why: `its owner (pid ${owner.pid} on ${owner.host}) is not running` };
  }
  const silentMs = now - Date.parse(owner.refreshed_at);
  if (silentMs > owner.lease_ms) {
    return {
      state: 'stale',
      owner,
      ageMs,
      why: `its owner (pid ${owner.pid} on ${owner.host}, another machine or an earlier boot) has not refreshed it for ${Math.round(silentMs / 1000)}s (lease ${Math.round(owner.lease_ms / 1000)}s)`,
    };
  }
  return { state: 'held', owner, ageMs };
}

export function parseOwner(text: string): LockOwner | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (typeof value.pid === 'number' && typeof value.token === 'string' && typeof value.host === 'string' && typeof value.acquired_at === 'string') {
      return {
        ...value,
        refreshed_at: typeof value.refreshed_at === 'string' ? value.refreshed_at : value.acquired_at,
        lease_ms: typeof value.lease_ms === 'number' ? value.lease_ms : 30_000,
      } as LockOwner;
    }
  } catch {
    /* not an owner record */
  }
  return undefined;
}

export function unknownOwner(mtimeMs: number): LockOwner {
  const at = new Date(mtimeMs).toISOString();
  return { pid: 0, host: 'unknown', token: '', acquired_at: at, refreshed_at: at, lease_ms: 0 };
}

export function describeOwner(owner: LockOwner): string {
  return `pid ${owner.pid} on ${owner.host}${owner.purpose ? ` (${owner.purpose})` : ''} since ${owner.acquired_at}`;
}
