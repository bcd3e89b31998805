import { statSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '../errors.js';
import { loopsJson, readLoopsView } from '../loops/view.js';
import type { LoopsJson, LoopsView } from '../loops/view.js';
import { STATE_PATH } from '../loops/sync-state.js';
import { gatherStatus } from '../report/status.js';
import type { StatusView } from '../report/status.js';
import type { Store } from '../store/store.js';

/** One look at the queue and the loops, as every open page is sent it. */
export interface Snapshot {
  at: string;
  /** The queue's status (none: a repository of the loops without a queue). */
  status: StatusView | null;
  /** The supervisor/engineer loops of the directory, when it has them (`sync/state.json`). */
  loops: LoopsJson | null;
}

/** What an open page is sent: a new snapshot, or why the queue cannot be read now. */
export type LiveEvent = { kind: 'status'; snapshot: Snapshot } | { kind: 'problem'; message: string };

type Listener = (event: LiveEvent) => void;

/**
 * The live feed of every open page: ONE watch on the queue and one read of it per change (at most
 * one every `minGapMs`, and one every `everyMs` without a change, for heartbeats' ages), whatever
 * the number of pages; each page is sent the new snapshot. Nothing is read while no page is open.
 * A read counts the tasks (a database counts them itself): the queue is never loaded whole.
 */
export class LiveHub {
  private readonly listeners = new Set<Listener>();
  private latest: Snapshot | undefined;
  private loop: Promise<void> | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;

  private loops: { stamp: string; view: LoopsView | undefined } | undefined;

  /** `store`: the queue (none: only the loops of `cwd`). */
  constructor(
    private readonly store: Store | undefined,
    private readonly cwd: string,
    private readonly options: { minGapMs?: number; everyMs?: number; onError?: (message: string) => void } = {},
  ) {}

  /** The latest snapshot while pages are open (it is kept current), else one read now. */
  async current(): Promise<Snapshot> {
    return this.listeners.size > 0 && this.latest ? this.latest : await this.read();
  }

  /** Calls `listener` with each new snapshot (the latest first, when pages keep it current); returns the unsubscribe. */
  subscribe(listener: Listener): () => void {
    if (this.latest && this.listeners.size > 0) listener({ kind: 'status', snapshot: this.latest });
    this.listeners.add(listener);
    this.loop ??= this.run();
    this.wake?.();
    return () => {
      this.listeners.delete(listener);
      // Not kept current any more: a page that comes later is not shown an old one first.
      if (this.listeners.size === 0) this.latest = undefined;
    };
  }

  /** Stops the feed; a read in flight is not waited for longer than `waitMs`. */
  async close(waitMs = 1000): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await Promise.race([this.loop, new Promise((resolve) => setTimeout(resolve, waitMs).unref())]);
  }

  private async read(): Promise<Snapshot> {
    const now = new Date();
    const loops = this.readLoops();
    return { at: now.toISOString(), status: this.store ? await gatherStatus(this.store) : null, loops: loops ? loopsJson(loops, now) : null };
  }

  /** The loops' state, read again (with the branch, a git call) only when the state file changed. */
  private readLoops(): LoopsView | undefined {
    let stamp = '';
    try {
      const { mtimeMs, size } = statSync(join(this.cwd, STATE_PATH));
      stamp = `${mtimeMs}/${size}`;
    } catch {
      /* no loops here (or not any more) */
    }
    if (this.loops?.stamp !== stamp) this.loops = { stamp, view: stamp ? readLoopsView(this.cwd) : undefined };
    return this.loops.view;
  }

  private send(event: LiveEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private async run(): Promise<void> {
    const watch = this.store?.watch() ?? { arm: () => false, clear: () => undefined, close: () => undefined, wait: pause };
    const minGap = this.options.minGapMs ?? 200;
    // Without a queue to watch, the loops' state is looked at every second.
    const every = this.options.everyMs ?? (this.store ? 2000 : 1000);
    try {
      while (!this.stopped) {
        if (this.listeners.size === 0) {
          watch.close();
          await new Promise<void>((resolve) => {
            this.wake = resolve;
          });
          this.wake = undefined;
          continue;
        }
        watch.arm();
        watch.clear();
        const started = Date.now();
        try {
          const snapshot = await this.read();
          if (this.listeners.size > 0) this.latest = snapshot;
          this.send({ kind: 'status', snapshot });
        } catch (error) {
          const message = `could not read the queue: ${errorMessage(error)}`;
          this.latest = undefined;
          this.options.onError?.(message);
          this.send({ kind: 'problem', message });
        }
        if (this.stopped) break;
        const abort = new AbortController();
        this.wake = () => abort.abort();
        await watch.wait(every, abort.signal);
        this.wake = undefined;
        const wait = minGap - (Date.now() - started);
        if (wait > 0 && !this.stopped) await new Promise((resolve) => setTimeout(resolve, wait));
      }
    } finally {
      watch.close();
    }
  }
}

/** Waits `ms`, or until `signal` aborts. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
