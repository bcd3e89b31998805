import { redact } from '../redact/process.js';
import { oneLine } from '../redact/sanitize.js';
import { readableLine } from '../agents/agent-line.js';
import type { WorkerSession } from '../store/sessions.js';

/**
 * The agent's last output line, for the live view (`last_output` in the worker's session). Noting
 * a line costs an assignment: it is made one short readable line, redacted, only when the session is
 * next written (at most twice a second for output alone).
 */
export class LastOutput {
  private line: string | undefined;
  private at = 0;

  note(line: string): void {
    if (line.trim() === '') return;
    this.line = line;
    this.at = Date.now();
  }

  /** A new task: nothing of the one before shows. */
  reset(session: WorkerSession): void {
    this.line = undefined;
    session.last_output = null;
    session.last_output_at = null;
  }

  /** What came since the last write, into the session. Redacted before it is cut, so that no part of a secret is left. */
  apply(session: WorkerSession): void {
    if (this.line === undefined) return;
    session.last_output = oneLine(readableLine(redact(this.line)));
    session.last_output_at = new Date(this.at).toISOString();
    this.line = undefined;
  }
}
