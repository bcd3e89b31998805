import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';

/**
 * Wakes an idle worker when the queue files change (inotify and friends), with a polling fallback
 * for file systems that do not report changes. A change seen while the worker was busy is kept, so
 * none is missed between looking at the queue and starting to wait.
 */
export class ChangeWatcher {
  private watcher: FSWatcher | undefined;
  private dirty = false;
  private wake: (() => void) | undefined;

  constructor(dir: string, names: readonly string[]) {
    try {
      this.watcher = watch(dir, { persistent: false }, (_event, name) => {
        if (name === null || names.some((n) => name === n || name.startsWith(`${n}.tmp-`))) this.signal();
      });
      this.watcher.on('error', () => this.close());
    } catch {
      this.watcher = undefined;
    }
  }

  get watching(): boolean {
    return this.watcher !== undefined;
  }

  /** Forget changes seen so far (call right before reading the queue). */
  clear(): void {
    this.dirty = false;
  }

  /** Resolves on the next change, after `timeoutMs`, or when `signal` aborts. */
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

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  private signal(): void {
    this.dirty = true;
    this.wake?.();
  }
}
