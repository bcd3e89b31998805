import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../process/log.js';
import { renderMessages, unseenFor } from '../queue/messages.js';
import { readMessages } from '../store/messages.js';
import { statePaths } from '../store/paths.js';

/**
 * A worker's messages (`ralph say`): those its id has not given an agent yet, for the next prompt.
 * How many lines of messages.jsonl the id has given is kept in prompts/worker-N.messages-seen, so a
 * new worker of the id (a new run, a respawn) does not give them again.
 */
export class MessageInbox {
  private readonly log: string;
  private readonly seenPath: string;
  private seen: number;

  constructor(
    stateDir: string,
    private readonly workerId: number,
  ) {
    this.log = statePaths(stateDir).messages;
    this.seenPath = join(stateDir, 'prompts', `worker-${workerId}.messages-seen`);
    this.seen = this.readSeen();
  }

  /** The messages for the next prompt (empty: none), said in the worker log. */
  next(taskId: string, log: Logger): string {
    const all = readMessages(this.log);
    // A log that was emptied (or replaced) starts over.
    const unseen = unseenFor(all, this.workerId, this.seen > all.length ? 0 : this.seen);
    if (this.seen !== all.length) this.saveSeen(all.length);
    this.seen = all.length;
    if (unseen.length === 0) return '';
    log.info(`task ${taskId}: its prompt carries ${unseen.length} message(s): ${unseen.map((m) => JSON.stringify(m.text)).join(', ')}`);
    return renderMessages(unseen);
  }

  private readSeen(): number {
    try {
      const n = Number(readFileSync(this.seenPath, 'utf8').trim());
      return Number.isSafeInteger(n) && n >= 0 ? n : 0;
    } catch {
      return 0;
    }
  }

  private saveSeen(n: number): void {
    try {
      writeFileSync(this.seenPath, `${n}\n`);
    } catch {
      /* not kept: the next worker of this id gives the messages once more */
    }
  }
}
