import { errorMessage } from '../errors.js';
import { gatherStatus } from '../report/status.js';
import type { StatusView } from '../report/status.js';
import type { Store } from '../store/store.js';

/** One look at the queue, as every open page is sent it. */
export interface Snapshot {
  at: string;
  status: StatusView;
}

type Listener = (snapshot: Snapshot) => void;

/**
 * The live feed of every open page: ONE watch on the queue and one read of it per change (at most
 * one every `minGapMs`, and one every `everyMs` without a change, for heartbeats' ages), whatever
 * the number of pages; each page is sent the new snapshot. Nothing is read while no page is open.
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

  /** The latest snapshot: the live one while pages are open, else read now. */
  async current(): Promise<Snapshot> {
    return this.listeners.size > 0 && this.latest ? this.latest : await this.read();
  }

  /** Calls `listener` with each new snapshot (the latest first, when there is one); returns the unsubscribe. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    if (this.latest) listener(this.latest);
    this.loop ??= this.run();
    this.wake?.();
    return () => {
      this.listeners.delete(listener);
    };
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  private async read(): Promise<Snapshot> {
    await this.store.refresh();
    this.latest = { at: new Date().toISOString(), status: await gatherStatus(this.store) };
    return this.latest;
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
          for (const listener of this.listeners) listener(snapshot);
        } catch (error) {
          this.options.onError?.(`could not read the queue: ${errorMessage(error)}`);
        }
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
