// biome-ignore-all lint/style/noExcessiveLinesPerFile: the lock's protocol (take, renew, break a stale one, fence) is one argument, read top to bottom with its doc comment
import {
  closeSync,
  existsSync,
  fstatSync,
  ftruncateSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import type { Stats } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { LockTimeoutError, isErrno } from '../errors.js';
import { judgeOwner, parseOwner, unknownOwner, describeOwner } from './lock-owner.js';
import type { LockInspection, LockOwner } from './lock-owner.js';
import { PRIVATE_FILE } from '../process/private.js';
import { isSameProcessAlive } from '../process/alive.js';
import { processStartTime } from '../process/stat.js';
import { tempPath } from './atomic-write.js';
import { isAlive, pause } from '../process/alive.js';
import { sameMachine, thisMachine } from '../process/machine.js';
import type { Machine } from '../process/machine.js';
import { newToken } from './token.js';
import { stopPoint } from './faults.js';

export { describeOwner };
export type { LockInspection, LockOwner };

/** This process's file that it links as the lock, rewritten between uses (see prepareSpare). */
interface Spare {
  path: string;
  fd: number;
  ino: number;
  linked: boolean;
}

export interface LockOptions {
  /** A holder that has not refreshed the lock for this long is presumed hung. */
  leaseMs?: number;
  /** How long `acquire` waits before giving up. */
  timeoutMs?: number;
  /** For tests: whether a pid of this host is alive. */
  isAlive?: (pid: number) => boolean;
  /** For tests: the machine this process says it is on (another one than its own, to act as a remote holder). */
  machine?: Machine;
}

/** Fields the taker of a lock adds to its owner record. */
export interface OwnerExtras {
  stage?: string;
}

const GUARD_STALE_MS = 10_000;
const INSPECT_AFTER_MS = 50;

/**
 * An exclusive lock file. Taking it is an atomic `link` of a complete owner record (an exclusive
 * create), so the lock is never seen half-written, even if its taker dies on the way. A lock whose
 * owner died (same host) or let its lease lapse is taken over under a second guard file, re-checked
 * there, and replaced by an atomic rename: the lock path never goes missing during a takeover, so no
 * third process can slip in, and the new owner confirms its token afterwards. Releasing and
 * refreshing check the token under the same guard, so a holder that overran its lease can never
 * remove or overwrite the lock of the process that took over.
 */
export class FileLock {
  readonly path: string;
  private readonly guard: string;
  private readonly leaseMs: number;
  private readonly timeoutMs: number;
  private readonly alive: (pid: number) => boolean;
  private readonly machine: Machine;
  private spare: Spare | undefined;

  constructor(path: string, options: LockOptions = {}) {
    this.path = path;
    this.guard = `${path}.takeover`;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.alive = options.isAlive ?? isAlive;
    this.machine = options.machine ?? thisMachine();
  }

  async acquire(purpose?: string, extras?: OwnerExtras): Promise<LockHandle> {
    const started = Date.now();
    const deadline = started + this.timeoutMs;
    let delay = 1;
    for (;;) {
      // A busy lock is normal and held for a millisecond or so; only a long wait is worth a look at
      // who holds it (a stale lock is then taken over).
      const handle = this.tryAcquire(purpose, Date.now() - started >= INSPECT_AFTER_MS, extras);
      if (handle) return handle;
      if (Date.now() >= deadline) {
        this.dropSpare();
        const seen = this.inspect();
        const holder = seen.state === 'free' || !seen.owner ? 'another process' : describeOwner(seen.owner);
        throw new LockTimeoutError(this.path, holder);
      }
      // A short cap: the lock changes hands hundreds of times a second, and a waiter asleep when it
      // comes free leaves it unused.
      await sleep(delay + Math.random() * delay);
      delay = Math.min(delay * 2, 2);
    }
  }

  /** One attempt, without waiting: the lock if it was free (or stale, when `inspect`), else undefined. */
  tryAcquire(purpose?: string, inspect = true, extras?: OwnerExtras): LockHandle | undefined {
    // Busy is the common answer under contention: a stat says so without writing a record.
    if (!inspect && existsSync(this.path)) return undefined;
    const owner = this.newOwner(purpose, extras);
    let spare = this.prepareSpare(owner);
    for (let again = true; ; again = false) {
      try {
        linkSync(spare.path, this.path);
        // The lock and the spare are one file now; the spare is written again only after release.
        spare.linked = true;
        return new LockHandle(this, owner, spare);
      } catch (error) {
        // The spare was deleted under us (a cleanup of temporary files, by hand): make a new one.
        if (isErrno(error, 'ENOENT') && again) {
          this.dropSpare();
          spare = this.prepareSpare(owner);
          continue;
        }
        if (!isErrno(error, 'EEXIST')) throw error;
        break;
      }
    }
    if (!inspect) return undefined;
    const seen = this.inspect();
    if (seen.state !== 'stale') return undefined;
    return this.withGuard(false, () => this.replace(seen, owner, spare));
  }

  /**
   * Takes the lock from the owner `seen` described, whatever its state (`ralph unlock --force`), if
   * it is still that owner's: the handle says whom it replaced, so that `FileStore` fences them.
   */
  takeOver(seen: LockInspection, purpose?: string, extras?: OwnerExtras): LockHandle | undefined {
    if (seen.state === 'free') return undefined;
    const owner = this.newOwner(purpose, extras);
    return this.withGuard(true, () => this.replace(seen, owner, this.prepareSpare(owner)));
  }

  // Under the guard: replaces the lock by `owner`'s record in `spare` if the lock is still the one
  // `seen` described (the same owner, in the same state).
  private replace(seen: Exclude<LockInspection, { state: 'free' }>, owner: LockOwner, spare: Spare): LockHandle | undefined {
    const again = this.inspect();
    if (again.state !== seen.state || again.owner?.token !== seen.owner?.token) return undefined;
    this.spare = undefined;
    SPARES.delete(spare.path);
    closeSync(spare.fd);
    renameSync(spare.path, this.path);
    if (this.tokenInFile() !== owner.token) return undefined;
    const handle = new LockHandle(this, owner);
    handle.replaced = again.owner ?? unknownOwner(0);
    return handle;
  }

  /**
   * The record to link into place, in this process's spare file. Taking the lock under contention
   * happens hundreds of times a second; creating and deleting a file each time costs an inode
   * allocation in the directory everyone is waiting on, so one spare file per process is written
   * again instead. It is rewritten only while it is not the lock (never while held).
   */
  private prepareSpare(owner: LockOwner): Spare {
    // Linked as the lock (still held, or not known to be released), or deleted by someone: a new one.
    if (this.spare && (this.spare.linked || fstatSync(this.spare.fd).nlink === 0)) this.dropSpare();
    if (!this.spare) {
      const path = tempName(this.path);
      const fd = openSync(path, 'w', PRIVATE_FILE);
      this.spare = { path, fd, ino: fstatSync(fd).ino, linked: false };
      removeAtExit(path);
    }
    const bytes = Buffer.from(JSON.stringify(owner));
    // A short write (a full disk) would make a record that reads as unowned: never link one.
    if (writeSync(this.spare.fd, bytes, 0, bytes.length, 0) !== bytes.length) {
      this.dropSpare();
      throw Object.assign(new Error(`short write to the spare record of ${this.path}`), { code: 'ENOSPC' });
    }
    ftruncateSync(this.spare.fd, bytes.length);
    return this.spare;
  }

  /** Called when this process's lock was removed from the lock path: the spare is free again. */
  spareReleased(): void {
    if (this.spare) this.spare.linked = false;
  }

  /** Forgets the spare file (it may still be the lock: then the lock keeps the file). */
  dropSpare(): void {
    const spare = this.spare;
    if (!spare) return;
    this.spare = undefined;
    try {
      closeSync(spare.fd);
    } catch {
      /* closed */
    }
    try {
      unlinkSync(spare.path);
    } catch {
      /* gone */
    }
    SPARES.delete(spare.path);
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
    return judgeOwner(owner, now, { me: this.machine, alive: (pid, start) => isSameProcessAlive(pid, start, this.alive) });
  }

  /**
   * Whether the lock file is still the one `owner` put there, by linking `spare`. While that spare is
   * still this process's, linked and held open, its inode cannot be reused, so the same inode at the
   * lock path is the same file: one stat instead of reading the file back (the lock changes hands
   * hundreds of times a second under load). Otherwise the token in the file decides.
   */
  holds(owner: LockOwner, spare: Spare | undefined): boolean {
    if (spare !== undefined && spare === this.spare && spare.linked) {
      try {
        return statSync(this.path).ino === spare.ino;
      } catch {
        return false;
      }
    }
    return this.tokenInFile() === owner.token;
  }

  /** The token in the lock file now, if any. */
  tokenInFile(): string | undefined {
    try {
      return parseOwner(readFileSync(this.path, 'utf8'))?.token;
    } catch {
      return undefined;
    }
  }

  /**
   * Runs `body` holding the takeover guard. A guard is held for microseconds; with `wait` this
   * waits for it (a guard left by a dead process is broken after GUARD_STALE_MS), else it gives up
   * at once and returns undefined.
   */
  withGuard<T>(wait: boolean, body: () => T): T | undefined {
    // The guard appears complete (link of a written file), naming its owner, so that a guard left
    // by a process killed while holding it is recognised as such at once.
    const temp = tempName(this.guard);
    writeFileSync(temp, JSON.stringify({ pid: process.pid, ...this.machine, start: ownStart() }), { mode: PRIVATE_FILE });
    try {
      let delay = 1;
      for (;;) {
        try {
          linkSync(temp, this.guard);
          break;
        } catch (error) {
          if (!isErrno(error, 'EEXIST')) throw error;
          if (breakStaleGuard(this.guard, this.machine, this.alive)) continue;
          if (!wait) return undefined;
          pause(delay);
          delay = Math.min(delay * 2, 20);
        }
      }
    } finally {
      try {
        unlinkSync(temp);
      } catch {
        /* gone */
      }
    }
    try {
      return body();
    } finally {
      try {
        unlinkSync(this.guard);
      } catch {
        /* broken as stale by someone else */
      }
    }
  }

  private newOwner(purpose: string | undefined, extras: OwnerExtras | undefined): LockOwner {
    const now = new Date().toISOString();
    const owner: LockOwner = {
      pid: process.pid,
      ...this.machine,
      start: ownStart(),
      token: newToken(),
      acquired_at: now,
      refreshed_at: now,
      lease_ms: this.leaseMs,
    };
    if (purpose !== undefined) owner.purpose = purpose;
    if (extras?.stage !== undefined) owner.stage = extras.stage;
    return owner;
  }
}

let startOfThisProcess: string | undefined | null = null;
function ownStart(): string | undefined {
  if (startOfThisProcess === null) startOfThisProcess = processStartTime(process.pid);
  return startOfThisProcess;
}

export class LockHandle {
  readonly owner: LockOwner;
  /** The owner this lock was taken over from (dead, or silent past its lease on another machine). */
  replaced: LockOwner | undefined;
  private readonly lock: FileLock;
  private released = false;

  /** The spare file linked as the lock, while it is the lock file (not after a takeover or a refresh). */
  private spare: Spare | undefined;

  /** `spare`: the spare file linked as the lock, when it was one (not after a takeover). */
  constructor(lock: FileLock, owner: LockOwner, spare?: Spare) {
    this.lock = lock;
    this.owner = owner;
    this.spare = spare;
  }

  get path(): string {
    return this.lock.path;
  }

  /**
   * Whether the lock is still this holder's. Within the first half of its lease nobody can have taken
   * it over (a takeover needs a dead or silent owner), so only an older one is checked in the file.
   */
  stillHeld(): boolean {
    if (this.released) return false;
    return this.young() || this.lock.tokenInFile() === this.owner.token;
  }

  /**
   * Whether the lock file is this holder's now, checked in the file whatever the lease says (one
   * stat while the lock is this process's spare file). A writer checks it after writing: then
   * anyone who takes the lock over later sees what it wrote.
   */
  holdsNow(): boolean {
    return !this.released && this.lock.holds(this.owner, this.spare);
  }

  private young(): boolean {
    return Date.now() - Date.parse(this.owner.refreshed_at) < this.owner.lease_ms / 2;
  }

  /** Extends the lease of a long critical section; false if the lock is no longer this holder's. */
  refresh(): boolean {
    if (this.released) return false;
    return (
      this.lock.withGuard(true, () => {
        if (this.lock.tokenInFile() !== this.owner.token) return false;
        this.owner.refreshed_at = new Date().toISOString();
        const temp = tempName(this.lock.path);
        writeFileSync(temp, JSON.stringify(this.owner), { mode: PRIVATE_FILE });
        renameSync(temp, this.lock.path);
        // The lock is another file now: only its token says it is this holder's.
        this.spare = undefined;
        return true;
      }) ?? false
    );
  }

  /**
   * Releases the lock if it is still this holder's; never removes someone else's. The check and the
   * removal run under the guard, so that no takeover comes between them, unless the lease has so
   * long to run that the removal would have to be paused past what the guard itself is trusted for
   * (GUARD_STALE_MS) before anyone could take the lock over: a lock's hot path, with the default
   * 30 s lease, checks the token alone for its first 15 s. (A holder of this machine is never taken
   * over while it lives; the lease matters against takers on other machines.)
   */
  release(): void {
    if (this.released) return;
    this.released = true;
    let removed = false;
    const remove = () => {
      if (!this.lock.holds(this.owner, this.spare)) return;
      stopPoint('release-checked');
      try {
        unlinkSync(this.lock.path);
        removed = true;
      } catch {
        /* already gone */
      }
    };
    try {
      const silentMs = Date.now() - Date.parse(this.owner.refreshed_at);
      if (silentMs < Math.min(this.owner.lease_ms / 2, this.owner.lease_ms - GUARD_STALE_MS)) remove();
      else this.lock.withGuard(true, remove);
    } finally {
      // The spare file is reused only when it is certainly no longer the lock.
      if (removed) this.lock.spareReleased();
      else this.lock.dropSpare();
    }
  }
}

// Spare files still on disk, removed when the process exits (a crashed process's are removed as
// temporary files by the next `ralph run`).
const SPARES = new Set<string>();
let exitHook = false;
function removeAtExit(path: string): void {
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const spare of SPARES) {
        try {
          unlinkSync(spare);
        } catch {
          /* gone */
        }
      }
    });
  }
  SPARES.add(path);
}

// Named like every other temporary file, so that cleanupTempFiles removes those of dead processes.
function tempName(path: string): string {
  return tempPath(path);
}

// A guard is held for microseconds. One whose owner is dead (this machine), or, for an owner on
// another machine or unreadable, older than GUARD_STALE_MS, was left by a process that died holding
// it: move it aside, and put it back if what was moved turned out to be a fresh one. A live owner
// of this machine keeps its guard, however long it is paused. Says whether it broke one.
function breakStaleGuard(guard: string, me: Machine, alive: (pid: number) => boolean): boolean {
  let before: Stats | undefined;
  let owner: { pid?: unknown; host?: unknown; boot?: unknown; pidns?: unknown; start?: unknown } | undefined;
  try {
    before = statSync(guard);
    owner = JSON.parse(readFileSync(guard, 'utf8')) as typeof owner;
  } catch {
    if (!before) return false;
  }
  const mine = owner !== undefined && typeof owner.host === 'string' && typeof owner.pid === 'number' && sameMachine(owner as Machine, me);
  if (mine) {
    const start = typeof owner!.start === 'string' ? owner!.start : undefined;
    if (isSameProcessAlive(owner!.pid as number, start, alive)) return false;
  } else if (Date.now() - before.mtimeMs < GUARD_STALE_MS) {
    return false;
  }
  const aside = `${guard}.${process.pid}.${Date.now()}`;
  try {
    renameSync(guard, aside);
  } catch {
    return false;
  }
  try {
    if (statSync(aside).ino !== before.ino) {
      try {
        linkSync(aside, guard);
      } catch {
        /* a newer guard is in place */
      }
      return false;
    }
    return true;
  } finally {
    try {
      unlinkSync(aside);
    } catch {
      /* gone */
    }
  }
}
