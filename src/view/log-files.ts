import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isErrno } from '../errors.js';
import { matches } from './log-records.js';
import { FileTail } from './log-tail.js';
import type { LogFilter, LogRecord } from './log-records.js';

/** The workers' logs in a state directory (`worker-<N>.log`), in worker order. */
export function logFiles(dir: string): Array<{ worker: number; path: string }> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return [];
    throw error;
  }
  return names
    .map((name) => /^worker-(\d+)\.log$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ worker: Number(m[1]), path: join(dir, m[0]) }))
    .sort((a, b) => a.worker - b.worker);
}

/** How many records are handed over at a time. */
const BATCH = 1000;

interface Queue {
  tail: FileTail;
  records: LogRecord[];
  at: number;
  done: boolean;
}

/** The next record of a log, read a chunk at a time; undefined at its end for now. */
function head(queue: Queue, flush: boolean): LogRecord | undefined {
  while (queue.at >= queue.records.length && !queue.done) {
    const next = queue.tail.next(flush);
    if (next) [queue.records, queue.at] = [next, 0];
    else queue.done = true;
  }
  return queue.records[queue.at];
}

/**
 * The records of every worker's log that pass the filter, merged in time order, a chunk of each log
 * at a time (whatever their size); each look after the first gives what was appended since (new
 * workers' logs included).
 */
export class LogReader {
  private readonly tails = new Map<string, FileTail>();
  /** Whether a line of the filter's task was read, whatever its time. */
  taskSeen = false;

  constructor(
    private readonly dir: string,
    private readonly filter: LogFilter,
  ) {}

  /** Each log goes back to the start of its last `n` lines (see FileTail.startAtLast); how many lines that is in all. */
  startAtLast(n: number, flush: boolean): number {
    let count = 0;
    for (const tail of this.current()) count += tail.startAtLast(n, flush);
    return count;
  }

  /**
   * What each log has from where it is to its end, merged in time order (the lines of one log keep
   * their order within the same millisecond), in batches to `emit`; `flush`: also each log's last
   * line without a newline, and the logs are closed after (no more looks). Waits for what `emit`
   * returns before it reads on (a reader slower than the logs are large); stops early on `signal`.
   */
  async read(flush: boolean, emit: (records: LogRecord[]) => Promise<void> | void, signal?: AbortSignal): Promise<void> {
    const queues: Queue[] = this.current().map((tail) => {
      if (!flush) tail.checkRewritten();
      return { tail, records: [], at: 0, done: false };
    });
    let batch: LogRecord[] = [];
    while (signal?.aborted !== true) {
      let next: Queue | undefined;
      for (const queue of queues) {
        const record = head(queue, flush);
        if (record && (!next || record.time < next.records[next.at]!.time)) next = queue;
      }
      if (!next) break;
      const record = next.records[next.at++]!;
      if (record.task !== null && record.task === this.filter.task) this.taskSeen = true;
      if (!matches(record, this.filter)) continue;
      batch.push(record);
      if (batch.length < BATCH) continue;
      await emit(batch);
      batch = [];
    }
    if (batch.length > 0 && signal?.aborted !== true) await emit(batch);
    if (flush) for (const tail of this.tails.values()) tail.close();
  }

  /** The logs there are now (as the filter selects), in worker order. */
  private current(): FileTail[] {
    for (const { worker, path } of logFiles(this.dir)) {
      if (this.filter.worker !== undefined && worker !== this.filter.worker) continue;
      if (!this.tails.has(path)) this.tails.set(path, new FileTail(worker, path));
    }
    return [...this.tails.values()].sort((a, b) => a.worker - b.worker);
  }
}
