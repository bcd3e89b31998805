import { errorMessage } from '../errors.js';
import { gatherStatus } from '../report/status.js';
import type { StatusView } from '../report/status.js';
import type { Store } from '../store/store.js';

/** One look at the queue, as every open page is sent it. */
export interface Snapshot {
  at: string;
  status: StatusView;
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

  constructor(
    private readonly store: Store,
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
    return { at: new Date().toISOString(), status: await gatherStatus(this.store) };
  }

  private send(event: LiveEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private async run(): Promise<void> {
    const watch = this.store.watch();
    const minGap = this.options.minGapMs ?? 200;
    const every = this.options.everyMs ?? 2000;
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
