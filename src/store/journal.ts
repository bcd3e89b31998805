import { closeSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { CorruptStateError, isErrno } from '../errors.js';
import type { Finding, Issue, QueueMeta, Task } from '../queue/types.js';

/**
 * The journal (`journal/queue.ndjson`) holds the changes made since the last snapshot of
 * `work-queue.json` and `results.json`: a header line, then one line per committed transaction.
 * Appending one line is what makes a claim or a report cheap on a queue of any size; the snapshots
 * are rewritten from time to time ("compaction") and the journal starts over.
 */
export interface JournalHeader {
  journal: 1;
  generation: number;
  created_at: string;
}

export interface JournalEntry {
  /** Empties the queue and the results before the rest of the entry applies. */
  reset?: true;
  tasks?: Task[];
  findings?: Finding[];
  issues?: Issue[];
  meta?: Partial<QueueMeta>;
}

export interface JournalRead {
  header: JournalHeader;
  headerLine: string;
  entries: JournalEntry[];
  /** Byte offset just after the last complete line. */
  end: number;
  /** Bytes after `end`: a line torn by a crash mid-append. */
  tornBytes: number;
  ino: number;
  /** The journal was started over since `expectHeaderLine`: the snapshots must be read again. */
  rotated: boolean;
}

const CHUNK = 1 << 16;

/** Reads the journal from `from` (0 = from the header); undefined when there is no journal. */
export function readJournal(path: string, from = 0, expectHeaderLine?: string): JournalRead | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
  try {
    const { size, ino } = fstatSync(fd);
    const headerBytes = readRange(fd, 0, Math.min(size, 4096));
    const newline = headerBytes.indexOf(0x0a);
    if (newline < 0) throw new CorruptStateError(path, 'the header line is missing or torn');
    const headerLine = headerBytes.subarray(0, newline).toString('utf8');
    const header = parseHeader(headerLine, path);
    const rotated = expectHeaderLine !== undefined && headerLine !== expectHeaderLine;
    const start = from === 0 || rotated ? newline + 1 : from;
    const body = start < size ? readRange(fd, start, size - start) : Buffer.alloc(0);
    const lastNewline = body.lastIndexOf(0x0a);
    const complete = lastNewline < 0 ? Buffer.alloc(0) : body.subarray(0, lastNewline + 1);
    const entries: JournalEntry[] = [];
    let lineStart = 0;
    const text = complete.toString('utf8');
    for (const line of text.split('\n')) {
      if (line === '') { lineStart += 1; continue; }
      try {
        entries.push(JSON.parse(line) as JournalEntry);
      } catch (error) {
        throw new CorruptStateError(path, `an unreadable entry at byte ${start + lineStart}`, { cause: error });
      }
      lineStart += Buffer.byteLength(line) + 1;
    }
    const end = start + complete.length;
    return { header, headerLine, entries, end, tornBytes: size - end, ino, rotated };
  } finally {
    closeSync(fd);
  }
}

/** Appends one entry; a torn tail left by a crashed writer is cut off first. Call under the lock. */
export function appendJournal(path: string, entry: JournalEntry, validEnd: number): number {
  const line = `${JSON.stringify(entry)}\n`;
  const fd = openSync(path, 'a');
  try {
    if (fstatSync(fd).size > validEnd) ftruncateSync(fd, validEnd);
    const bytes = Buffer.from(line, 'utf8');
    writeSync(fd, bytes);
    return validEnd + bytes.length;
  } finally {
    closeSync(fd);
  }
}

export function headerLine(generation: number, now: Date): string {
  const header: JournalHeader = { journal: 1, generation, created_at: now.toISOString() };
  return JSON.stringify(header);
}

function parseHeader(line: string, path: string): JournalHeader {
  try {
    const value = JSON.parse(line) as Partial<JournalHeader>;
    if (value.journal === 1 && typeof value.generation === 'number' && typeof value.created_at === 'string') {
      return value as JournalHeader;
    }
  } catch { /* fall through */ }
  throw new CorruptStateError(path, 'the header line is not a journal header');
}

function readRange(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buffer, done, Math.min(CHUNK * 16, length - done), position + done);
    if (n === 0) break;
    done += n;
  }
  return buffer.subarray(0, done);
}
