import type { ChildProcess } from 'node:child_process';
import { InputError, errorMessage } from '../errors.js';
import type { Store } from '../store/store.js';
import { isStepMessage, stepScope, workerStep } from '../worker/step.js';
import type { StepAnswer, StepContext, StepMessage } from '../worker/step.js';

export type StepsMode = 'run' | 'worker';

/**
 * Who applies the workers' steps. With many workers per core (three or more), workers waiting for
 * the lock and each reading the others' journal lines cost more than a round trip to the run, which
 * applies the steps that arrive together in one taking of the lock; with fewer, a worker's own
 * transaction is cheaper (measured with no-op agents on 2 cores: 2 and 4 workers faster on their
 * own, 6 even, 8 and 16 faster through the run). `RALPH_STEPS=run|worker` decides instead. Pure.
 */
export function stepsMode(workers: number, cores: number, override: string | undefined): StepsMode {
  if (override === 'run' || override === 'worker') return override;
  if (override !== undefined && override !== '') throw new InputError(`RALPH_STEPS must be "run" or "worker" (or unset), not "${override}".`);
  return workers >= 3 * Math.max(1, cores) ? 'run' : 'worker';
}

interface Waiting {
  child: ChildProcess;
  message: StepMessage;
}

/**
 * The run applies its workers' steps for them. A worker sends its step (report the last task,
 * claim the next) over the IPC channel; the steps that arrive together are applied in one taking of
 * the lock, each as its own transaction (`transactEach`), and every worker gets its answer. The
 * workers then neither wait for the lock nor read each other's journal lines; the queue files and
 * the lock stay what they are, so workers started by hand and `ralph queue` work alongside.
 */
export class Coordinator {
  private waiting: Waiting[] = [];
  private busy = false;
  private scheduled = false;

  constructor(
    private readonly store: Store,
    private readonly context: StepContext,
  ) {}

  attach(child: ChildProcess): void {
    child.on('message', (message: unknown) => {
      if (!isStepMessage(message)) return;
      this.waiting.push({ child, message });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.busy || this.scheduled) return;
    this.scheduled = true;
    // Steps that arrive in the same turn of the event loop go together.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const batch = this.waiting;
    if (batch.length === 0) return;
    this.waiting = [];
    this.busy = true;
    try {
      const results = await this.store.transactEach(
        batch.map(
          ({ message }) =>
            (tx) =>
              workerStep(tx, message.config, message.request, this.context),
        ),
        "workers' steps",
        batch.map(({ message }) => stepScope(message.request)),
      );
      batch.forEach(({ child, message }, i) => {
        const result = results[i]!;
        answer(
          child,
          result.status === 'fulfilled'
            ? { kind: 'ralph-step', id: message.id, result: result.value }
            : { kind: 'ralph-step', id: message.id, error: errorMessage(result.reason) },
        );
      });
    } catch (error) {
      for (const { child, message } of batch) answer(child, { kind: 'ralph-step', id: message.id, error: errorMessage(error) });
    } finally {
      this.busy = false;
      if (this.waiting.length > 0) this.schedule();
    }
  }
}

function answer(child: ChildProcess, message: StepAnswer): void {
  // A worker that is gone needs no answer (and one that went meanwhile makes the send fail: ignored).
  if (child.connected) child.send(message, () => undefined);
}
