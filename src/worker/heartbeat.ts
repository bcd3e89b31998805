import { errorMessage } from '../errors.js';
import type { Logger } from '../process/log.js';
import { holdsClaim, renewLease } from '../queue/claim.js';
import type { Task } from '../queue/types.js';
import type { Store } from '../store/store.js';
import type { SessionWriter } from './session-writer.js';

/** Why the heartbeat stops an agent (the abort's reason): its claim was taken over. */
export const CLAIM_LOST = 'claim lost';

/** The claim a worker holds while its agent runs; aborting `abort` stops the agent. */
export interface HeldClaim {
  task: Task;
  token: string;
  abort: AbortController;
}

/**
 * A worker's heartbeat: every beat writes its session (the time of the beat) and renews the lease of
 * the claim it holds, if the claim is still its own. A claim taken away (its lease expired and was
 * reaped while this worker was paused, say) stops the agent: the task is someone else's now.
 * Lease renewal apart from the worker loop, as BullMQ keeps it in its lock manager.
 */
export class Heartbeat {
  private held: HeldClaim | undefined;
  private renewing = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly store: Store,
    private readonly writer: SessionWriter,
    private readonly options: { workerId: number; leaseMs: number; log: Logger },
  ) {
    // A third of the lease: two beats may be missed before the lease runs out.
    this.timer = setInterval(() => this.beat(), Math.max(100, Math.min(5000, Math.floor(options.leaseMs / 3))));
  }

  /** The claim now held (renewed on each beat), or none. */
  hold(claim: HeldClaim | undefined): void {
    this.held = claim;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private beat(): void {
    this.writer.session.last_heartbeat = new Date().toISOString();
    this.writer.saveOrLog();
    const held = this.held;
    if (!held || this.renewing) return;
    this.renewing = true;
    const { log, leaseMs, workerId } = this.options;
    this.store
      .transact(
        (tx) => {
          const task = tx.get(held.task.id);
          if (!task || !holdsClaim(task, held.token)) return false;
          tx.put(renewLease(task, tx.now, leaseMs));
          return true;
        },
        `worker ${workerId} lease`,
        { ids: [held.task.id] },
      )
      .then(
        (kept) => {
          if (!kept && this.held === held) {
            log.info(`lost the claim on task ${held.task.id} (its lease was taken away); stopping its agent`);
            held.abort.abort(CLAIM_LOST);
          }
        },
        (error: unknown) => log.info(`lease renewal failed: ${errorMessage(error)}`),
      )
      .finally(() => {
        this.renewing = false;
      });
  }
}
