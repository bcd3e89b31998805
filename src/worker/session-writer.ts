import { errorMessage } from '../errors.js';
import type { Logger } from '../process/log.js';
import type { Sessions, WorkerSession } from '../store/sessions.js';
import { LastOutput } from './last-output.js';

/** While busy, the session is written at most this often. */
const SESSION_WRITES_MS = 250;
/** The agent's last output line alone is written at most this often. */
export const OUTPUT_WRITES_MS = 500;

/**
 * A worker's session, and its writes throttled: replacing the session file is costly on some file
 * systems, so a change is written at most SESSION_WRITES_MS after the last write (OUTPUT_WRITES_MS
 * for the agent's last output line alone); the heartbeat and stopping write at once (`save`).
 */
export class SessionWriter {
  readonly lastOutput = new LastOutput();
  private timer: NodeJS.Timeout | undefined;
  private due = Infinity;
  private lastWrite = 0;

  constructor(
    readonly session: WorkerSession,
    private readonly sessions: Sessions,
    private readonly log: Logger,
  ) {}

  /** Writes the session now; throws when it cannot be written. */
  save(): void {
    this.cancel();
    this.lastWrite = Date.now();
    this.lastOutput.apply(this.session);
    this.sessions.write(this.session);
  }

  /** Writes the session now; a failure is logged, not thrown. */
  saveOrLog(): void {
    try {
      this.save();
    } catch (error) {
      this.log.info(`could not write the session file: ${errorMessage(error)}`);
    }
  }

  /** The session changed: write it once `gapMs` has passed since the last write. */
  touch(gapMs = SESSION_WRITES_MS): void {
    const due = Math.max(Date.now(), this.lastWrite + gapMs);
    if (this.timer && this.due <= due) return;
    this.cancel();
    this.due = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.saveOrLog();
    }, due - Date.now());
  }

  /** Drops a write that is due (the worker is stopping and writes its last session itself). */
  cancel(): void {
    if (!this.timer) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
