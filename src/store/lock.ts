import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { LockTimeoutError, isErrno } from '../errors.js';
import { HOST, isAlive } from './process.js';

/** What `.ralph/.lock` holds: who owns it and until when. */
export interface LockOwner {
  pid: number;
  host: string;
  token: string;
  acquired_at: string;
  refreshed_at: string;
  lease_ms: number;
  purpose?: string;
}

export type LockInspection =
  | { state: 'free' }
  | { state: 'held'; owner: LockOwner; ageMs: number }
  | { state: 'stale'; owner?: LockOwner; ageMs: number; why: string };

export interface LockOptions {
  /** A holder that has not refreshed the lock for this long is presumed hung. */
  leaseMs?: number;
  /** How long `acquire` waits before giving up. */
  timeoutMs?: number;
  /** For tests: whether a pid of this host is alive. */
  isAlive?: (pid: number) => boolean;
}

const GUARD_STALE_MS = 10_000;
const INSPECT_AFTER_MS = 50;

/**
 * An exclusive lock file, taken by an exclusive create (O_EXCL) that then writes the owner record; a
 * lock seen empty is being written and counts as held until its lease passes. A lock whose owner died (same host) or let its lease lapse is taken over
 * under a second guard file, re-checked there, and replaced by an atomic rename: the lock path never
 * goes missing during a takeover, so no third process can slip in, and the new owner confirms its
 * token afterwards.
 */
export class FileLock {
  readonly path: string;
  private readonly leaseMs: number;
  private readonly timeoutMs: number;
  private readonly alive: (pid: number) => boolean;

  constructor(path: string, options: LockOptions = {}) {
    this.path = path;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.alive = options.isAlive ?? isAlive;
  }

  async acquire(purpose?: string): Promise<LockHandle> {
    const started = Date.now();
    const deadline = started + this.timeoutMs;
    let delay = 1;
    for (;;) {
      // A busy lock is normal and held for a millisecond or so; only a long wait is worth a look at
      // who holds it (a stale lock is then taken over).
      const handle = this.tryAcquire(purpose, Date.now() - started >= INSPECT_AFTER_MS);
      if (handle) return handle;
      if (Date.now() >= deadline) {
        const seen = this.inspect();
        const holder = seen.state === 'free' || !seen.owner ? 'another process' : describeOwner(seen.owner);
        throw new LockTimeoutError(this.path, holder);
      }
      await sleep(delay + Math.random() * delay);
      delay = Math.min(delay * 2, 8);
    }
  }

  /** One attempt, without waiting: the lock if it was free or stale, else undefined. */
  tryAcquire(purpose?: string, inspect = true): LockHandle | undefined {
    const owner = this.newOwner(purpose);
    const record = JSON.stringify(owner);
    let fd: number | undefined;
    try {
      fd = openSync(this.path, 'wx');
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) throw error;
    }
    if (fd !== undefined) {
      try {
        writeSync(fd, record);
      } finally {
        closeSync(fd);
      }
      return new LockHandle(this.path, owner, this.leaseMs);
    }
    if (!inspect) return undefined;
    const seen = this.inspect();
    if (seen.state !== 'stale') return undefined;
    const temp = `${this.path}.${owner.token}`;
    writeFileSync(temp, record);
    try {
      return this.takeOver(temp, owner, seen.owner?.token);
    } finally {
      try { unlinkSync(temp); } catch { /* renamed into place */ }
    }
  }

  inspect(): LockInspection {
    let text: string;
    let mtimeMs: number;
    try {
      mtimeMs = statSync(this.path).mtimeMs;
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return { state: 'free' };
      throw error;
    }
    const owner = parseOwner(text);
    const now = Date.now();
    if (!owner) {
      const ageMs = now - mtimeMs;
      return ageMs > this.leaseMs
        ? { state: 'stale', ageMs, why: `its content is unreadable and it is ${Math.round(ageMs / 1000)}s old` }
        : { state: 'held', owner: unknownOwner(mtimeMs), ageMs };
    }
    const ageMs = now - Date.parse(owner.acquired_at);
    if (owner.host === HOST && !this.alive(owner.pid)) {
      return { state: 'stale', owner, ageMs, why: `its owner (pid ${owner.pid} on ${owner.host}) is not running` };
    }
    const silentMs = now - Date.parse(owner.refreshed_at);
    if (silentMs > owner.lease_ms) {
      return { state: 'stale', owner, ageMs, why: `its owner (pid ${owner.pid} on ${owner.host}) has not refreshed it for ${Math.round(silentMs / 1000)}s (lease ${Math.round(owner.lease_ms / 1000)}s)` };
    }
    return { state: 'held', owner, ageMs };
  }

  /** Removes the lock whatever its state (`ralph unlock`); returns what was there. */
  forceRemove(): LockInspection {
    const seen = this.inspect();
    try { unlinkSync(this.path); } catch (error) { if (!isErrno(error, 'ENOENT')) throw error; }
    return seen;
  }

  private takeOver(temp: string, owner: LockOwner, staleToken: string | undefined): LockHandle | undefined {
    const guard = `${this.path}.takeover`;
    try {
      linkSync(temp, guard);
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) throw error;
      breakStaleGuard(guard);
      return undefined;
    }
    try {
      // Re-check under the guard: the stale owner we saw must still be the one in place.
      const again = this.inspect();
      if (again.state !== 'stale' || again.owner?.token !== staleToken) return undefined;
      renameSync(temp, this.path);
      const confirmed = parseOwner(readFileSync(this.path, 'utf8'));
      return confirmed?.token === owner.token ? new LockHandle(this.path, owner, this.leaseMs) : undefined;
    } finally {
      try { unlinkSync(guard); } catch { /* nothing to do */ }
    }
  }

  private newOwner(purpose: string | undefined): LockOwner {
    const now = new Date().toISOString();
    const owner: LockOwner = {
      pid: process.pid,
      host: HOST,
      token: randomBytes(9).toString('base64url'),
      acquired_at: now,
      refreshed_at: now,
      lease_ms: this.leaseMs,
    };
    if (purpose !== undefined) owner.purpose = purpose;
    return owner;
  }
}

export class LockHandle {
  readonly path: string;
  readonly owner: LockOwner;
  private readonly leaseMs: number;
  private refreshedAt = Date.now();
  private released = false;

  constructor(path: string, owner: LockOwner, leaseMs: number) {
    this.path = path;
    this.owner = owner;
    this.leaseMs = leaseMs;
  }

  /**
   * Whether the lock file still carries this holder's token. Within the first half of the lease
   * nobody may take a live holder's lock, so the file is only read after that.
   */
  stillHeld(): boolean {
    if (this.released) return false;
    if (Date.now() - this.refreshedAt < this.leaseMs / 2) return true;
    try {
      return parseOwner(readFileSync(this.path, 'utf8'))?.token === this.owner.token;
    } catch {
      return false;
    }
  }

  /** Extends the lease of a long critical section. */
  refresh(): boolean {
    if (!this.stillHeld()) return false;
    this.owner.refreshed_at = new Date().toISOString();
    const temp = `${this.path}.${this.owner.token}.refresh`;
    writeFileSync(temp, JSON.stringify(this.owner));
    renameSync(temp, this.path);
    this.refreshedAt = Date.now();
    return true;
  }

  /** Releases the lock if it is still this holder's; never removes someone else's. */
  release(): void {
    const held = this.stillHeld();
    this.released = true;
    if (!held) return;
    try { unlinkSync(this.path); } catch { /* already gone */ }
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (typeof value.pid === 'number' && typeof value.token === 'string' && typeof value.host === 'string'
      && typeof value.acquired_at === 'string') {
      return {
        ...value,
        refreshed_at: typeof value.refreshed_at === 'string' ? value.refreshed_at : value.acquired_at,
        lease_ms: typeof value.lease_ms === 'number' ? value.lease_ms : 30_000,
      } as LockOwner;
    }
  } catch { /* not an owner record */ }
  return undefined;
}

function unknownOwner(mtimeMs: number): LockOwner {
  const at = new Date(mtimeMs).toISOString();
  return { pid: 0, host: 'unknown', token: '', acquired_at: at, refreshed_at: at, lease_ms: 0 };
}

export function describeOwner(owner: LockOwner): string {
  return `pid ${owner.pid} on ${owner.host}${owner.purpose ? ` (${owner.purpose})` : ''} since ${owner.acquired_at}`;
}

// A takeover guard is held for microseconds; one older than GUARD_STALE_MS belongs to a process that
// died mid-takeover. Move it aside, and put it back if what we moved turned out to be a fresh one.
function breakStaleGuard(guard: string): void {
  let before;
  try { before = statSync(guard); } catch { return; }
  if (Date.now() - before.mtimeMs < GUARD_STALE_MS) return;
  const aside = `${guard}.${process.pid}.${Date.now()}`;
  try { renameSync(guard, aside); } catch { return; }
  try {
    if (statSync(aside).ino !== before.ino) {
      try { linkSync(aside, guard); } catch { /* a newer guard is in place */ }
    }
  } finally {
    try { unlinkSync(aside); } catch { /* gone */ }
  }
}
