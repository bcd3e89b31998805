import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';

/**
 * A watch on the queue (`store.watch()`): wakes an idle worker or run when the queue changes; without
 * a notification, `wait` returns after its timeout (the caller polls).
 */
export interface QueueWatch {
  /** Starts watching; true when it started just now (look at the queue once more before waiting). */
  arm(): boolean;
  readonly watching: boolean;
  /** Forget changes seen so far (call right before reading the queue). */
  clear(): void;
  /** Resolves on the next change, after `timeoutMs`, or when `signal` aborts. */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<void>;
  /** Stops watching (until armed again). */
  close(): void;
}

/**
 * Wakes an idle worker when the queue files change (inotify and friends), with a polling fallback
 * for file systems that do not report changes. It watches only while armed: a busy worker would
 * otherwise be woken by every claim and report of every other worker, for nothing. A change seen
 * while armed is kept, so none is missed between looking at the queue and starting to wait.
 */
export class ChangeWatcher implements QueueWatch {
  private readonly dir: string;
  private readonly names: readonly string[];
  private watcher: FSWatcher | undefined;
  private readonly wakeup = new Wakeup();

  constructor(dir: string, names: readonly string[]) {
    this.dir = dir;
    this.names = names;
  }

  get watching(): boolean {
    return this.watcher !== undefined;
  }

  /**
   * Starts watching. True when it started just now: changes from here on are seen, so the caller
   * looks at the queue once more before waiting. False when it was already watching, or cannot
   * (then `wait` polls).
   */
  arm(): boolean {
    if (this.watcher) return false;
    try {
      this.watcher = watch(this.dir, { persistent: false }, (_event, name) => {
        if (name === null || this.names.some((n) => name === n || name.startsWith(`${n}.tmp-`))) this.signal();
      });
      this.watcher.on('error', () => this.close());
      return true;
    } catch {
      this.watcher = undefined;
      return false;
    }
  }

  /** Forget changes seen so far (call right before reading the queue). */
  clear(): void {
    this.wakeup.clear();
  }

  /** Resolves on the next change, after `timeoutMs`, or when `signal` aborts. */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.wakeup.wait(timeoutMs, signal);
  }

  /** Stops watching (until armed again). */
  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  private signal(): void {
    this.wakeup.fire();
  }
}

/**
 * A change seen and the wait for one: what each QueueWatch wakes its idle worker or run with. A
 * change seen before the wait starts is kept (`fire`), until `clear`.
 */
export class Wakeup {
  private dirty = false;
  private wake: (() => void) | undefined;

  clear(): void {
    this.dirty = false;
  }

  fire(): void {
    this.dirty = true;
    this.wake?.();
  }

  /** Resolves on the next change (or at once, after one not cleared), after `timeoutMs`, or when `signal` aborts. */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.dirty || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal?.addEventListener('abort', done);
      this.wake = done;
    });
  }
}
