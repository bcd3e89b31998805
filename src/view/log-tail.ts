import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { isErrno } from '../errors.js';
import { LogParser } from './log-records.js';
import type { LogRecord } from './log-records.js';
import { CHUNK, lastLines, readAt, stateAt } from './log-seek.js';

/** The bytes before the read position kept to notice a log rewritten in place (cut, then grown past it). */
const WITNESS = 256;
/** A longer line is cut there (the rest is counted, not kept): no line can exhaust the memory. */
export const MAX_LINE = 1024 * 1024;

const identity = (stat: Stats) => `${stat.dev}:${stat.ino}`;

/**
 * One worker's log read as it grows, a chunk at a time. The file stays open: a log renamed away
 * (rotated) is read to its end before the new file at its path is taken up; a log cut short, or cut
 * and grown again past where it was read (noticed by the bytes just before that point), is read
 * again from its start.
 */
export class FileTail {
  private fd: number | undefined;
  private id = '';
  private offset = 0;
  /** The bytes just before `offset`, as read. */
  private witness = Buffer.alloc(0);
  /** Whether the path names another file now, and this one gets a last read before it is left. */
  private leaving = false;
  private partial = '';
  /** Characters of the unfinished line beyond MAX_LINE, dropped. */
  private cut = 0;
  private decoder = new StringDecoder('utf8');
  private parser: LogParser;
  private readonly buffer = Buffer.alloc(CHUNK);

  constructor(
    readonly worker: number,
    readonly path: string,
  ) {
    this.parser = new LogParser(worker);
  }

  /**
   * Goes back to the start of the last `n` lines (with `flush`, a last line without a newline is one
   * of them; without, it is left for later), knowing the task and time there; says how many lines
   * that is. Nothing is read forwards yet.
   */
  startAtLast(n: number, flush: boolean): number {
    if (!this.open()) return 0;
    const fd = this.fd!;
    const { start, count } = lastLines(fd, fstatSync(fd).size, n, !flush);
    this.restart();
    this.offset = start;
    this.witness = Buffer.from(readAt(fd, Buffer.alloc(Math.min(WITNESS, start)), start - Math.min(WITNESS, start), start));
    this.parser = new LogParser(this.worker, stateAt(fd, start));
    return count;
  }

  /**
   * The records of the next chunk of the log (with `flush`, also its last line without a newline);
   * undefined when it has nothing more for now.
   */
  next(flush: boolean): LogRecord[] | undefined {
    while (this.open()) {
      const n = readSync(this.fd!, this.buffer, 0, CHUNK, this.offset);
      if (n > 0) {
        const bytes = this.buffer.subarray(0, n);
        this.consumed(bytes);
        const records = this.lines(this.decoder.write(bytes), false);
        if (records.length > 0) return records;
      } else if (!this.leaving && this.replaced()) {
        this.leaving = true; // one more read: what was appended before the rename
      } else if (this.leaving) {
        // Its last line without a newline will not be finished in this file.
        const last = this.lines(this.decoder.end(), true);
        this.close();
        this.restart();
        if (last.length > 0) return last;
      } else {
        const last = flush ? this.lines(this.decoder.end(), true) : [];
        return last.length > 0 ? last : undefined;
      }
    }
    return undefined;
  }

  /** Before a look while following: a log cut short, or rewritten over where it was read, is read again from its start. */
  checkRewritten(): void {
    if (this.fd === undefined || this.offset === 0) return;
    let same = fstatSync(this.fd).size >= this.offset;
    if (same && this.witness.length > 0) {
      const now = Buffer.alloc(this.witness.length);
      same = readSync(this.fd, now, 0, now.length, this.offset - now.length) === now.length && now.equals(this.witness);
    }
    if (!same) this.restart();
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private open(): boolean {
    if (this.fd !== undefined) return true;
    try {
      this.fd = openSync(this.path, 'r');
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return false;
      throw error;
    }
    this.id = identity(fstatSync(this.fd));
    return true;
  }

  /** Whether the path names another file now (rotated, or replaced); not when it is gone. */
  private replaced(): boolean {
    try {
      return identity(statSync(this.path)) !== this.id;
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return false;
      throw error;
    }
  }

  private restart(): void {
    this.offset = 0;
    this.witness = Buffer.alloc(0);
    this.leaving = false;
    this.partial = '';
    this.cut = 0;
    this.decoder = new StringDecoder('utf8');
    this.parser = new LogParser(this.worker);
  }

  private consumed(bytes: Buffer): void {
    this.offset += bytes.length;
    const kept = bytes.length >= WITNESS ? bytes : Buffer.concat([this.witness, bytes]);
    this.witness = Buffer.from(kept.subarray(Math.max(0, kept.length - WITNESS)));
  }

  /** The lines `text` finishes, parsed; with `flush`, the unfinished one too. */
  private lines(text: string, flush: boolean): LogRecord[] {
    const parts = text.split('\n');
    const records: LogRecord[] = [];
    for (let i = 0; i < parts.length - 1; i++) records.push(this.parser.parse(this.take(parts[i]!)));
    this.keep(parts[parts.length - 1]!);
    if (flush && (this.partial !== '' || this.cut > 0)) records.push(this.parser.parse(this.take('')));
    return records;
  }

  private keep(text: string): void {
    const room = MAX_LINE - this.partial.length;
    if (text.length <= room) {
      this.partial += text;
    } else {
      this.partial += text.slice(0, room);
      this.cut += text.length - room;
    }
  }

  private take(end: string): string {
    this.keep(end);
    const line = this.cut > 0 ? `${this.partial} … (${this.cut} more characters not shown)` : this.partial;
    this.partial = '';
    this.cut = 0;
    return line;
  }
}
