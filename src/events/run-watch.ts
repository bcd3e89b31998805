import { resolve } from 'node:path';
import { errorMessage } from '../errors.js';
import type { QueueState } from '../queue/types.js';
import { openStore } from '../store/open.js';
import { statePaths } from '../store/paths.js';
import { EventHooks, hookCommands } from './hooks.js';
import { NO_EVENTS_YET, nextEvents, runFinishedEvent } from './run-events.js';
import type { EventContext, EventMemory, RunEndFacts } from './run-events.js';

export interface EventFlags {
  onEvent: string[];
  onEventTimeout: number;
}

/**
 * A run's events for its `--on-event` hooks: `observe` each state the run reads (task-failed,
 * usage-limit, budget-reached), `finished` once at the end (run-finished; then the hooks are given
 * their time). Undefined without hooks.
 */
export class RunEvents {
  private memory: EventMemory = NO_EVENTS_YET;
  private readonly ctx: Omit<EventContext, 'now'>;

  private constructor(
    private readonly hooks: EventHooks,
    dir: string,
    maxCostUsd: number | undefined,
  ) {
    const paths = statePaths(resolve(dir));
    this.ctx = { dir: resolve(dir), workerLog: (id) => paths.workerLog(id), ...(maxCostUsd === undefined ? {} : { maxCostUsd }) };
  }

  /** The events of a run on `dir`, or undefined when no hook was asked for; bad hook commands are an InputError. */
  static for(flags: EventFlags, dir: string, maxCostUsd: number | undefined, say: (line: string) => void): RunEvents | undefined {
    if (flags.onEvent.length === 0) return undefined;
    return new RunEvents(new EventHooks(hookCommands(flags.onEvent), { timeoutMs: flags.onEventTimeout * 1000, say }), dir, maxCostUsd);
  }

  observe(state: QueueState): void {
    const { events, memory } = nextEvents(state, this.memory, { ...this.ctx, now: new Date() });
    this.memory = memory;
    for (const event of events) this.hooks.emit(event);
  }

  /** The run is over: what its last moments recorded, then run-finished; waits for the hooks (at most their timeout). */
  async finished(summary: RunEndFacts, exitCode: number): Promise<void> {
    const store = openStore(this.ctx.dir);
    try {
      if (store.exists()) this.observe(store.read());
    } catch {
      /* told already what could be read */
    } finally {
      store.close();
    }
    this.hooks.emit(runFinishedEvent(summary, exitCode, new Date()));
    await this.hooks.drain();
  }

  /** The run ended with an error instead of a summary. */
  async failed(error: unknown, exitCode: number): Promise<void> {
    this.hooks.emit({
      event: 'run-finished',
      time: new Date().toISOString(),
      dir: this.ctx.dir,
      stopped_by: 'error',
      exit_code: exitCode,
      error: errorMessage(error),
    });
    await this.hooks.drain();
  }
}
