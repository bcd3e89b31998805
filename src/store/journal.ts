import { closeSync, fstatSync, ftruncateSync, openSync, readSync, renameSync, statSync, unlinkSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { CorruptStateError, asWriteError, isErrno } from '../errors.js';
import { writeAllSync } from './atomic-write.js';
import type { Finding, Issue, QueueMeta, Task } from '../queue/types.js';
import type { TaskChange } from './task-change.js';
import { jsonSafe } from '../redact/sanitize.js';

/**
 * The journal (`journal/queue.ndjson`) holds the changes made since the last snapshot of
 * `work-queue.json` and `results.json`: a header line, then one line per committed transaction.
 * Appending one line is what makes a claim or a report cheap on a queue of any size; the snapshots
 * are rewritten from time to time ("compaction") and the journal starts over.
 */
export interface JournalHeader {
  /** 2: entries may hold `changes`; 1 (older journals): whole tasks only. */
  journal: 1 | 2;
  generation: number;
  created_at: string;
}

export interface JournalEntry {
  /** Empties the queue and the results before the rest of the entry applies. */
  reset?: true;
  /** Tasks added, whole. */
  tasks?: Task[];
  /** Tasks already queued, changed: only the fields that changed. */
  changes?: TaskChange[];
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
  /** Read from the fenced-off journal (see `fence`): to be folded into the snapshots before anything is appended. */
  fenced: boolean;
}

const CHUNK = 1 << 16;

interface OpenJournal {
  fd: number;
  ino: number;
  header: JournalHeader;
  headerLine: string;
  /** Byte offset of the first entry. */
  bodyStart: number;
  fenced: boolean;
  /** Opened read-only: why it could not be opened for writing. */
  readOnly?: unknown;
}

/**
 * The journal file of one store, kept open between transactions: a transaction then costs a stat, a
 * read of the new lines and a write, instead of opening the file twice. The journal is only ever
 * replaced by a rename, never rewritten in place, so while the path names the inode held open its
 * header is the one read when it was opened (and an inode held open cannot be reused).
 */
export class JournalFile {
  readonly path: string;
  /** Where `fence` moves the journal. */
  readonly fencedPath: string;
  private current: OpenJournal | undefined;

  constructor(path: string) {
    this.path = path;
    this.fencedPath = `${path}.fenced`;
  }

  /**
   * Moves the journal aside (the new holder of a lock taken over does this first): a holder that
   * lost the lock while paused can append only to the file moved aside, never to a journal anyone
   * appends to after this. Until the next compaction writes a new journal (and removes this one),
   * readers read the entries from there, and nothing is appended.
   */
  fence(): void {
    try {
      renameSync(this.path, this.fencedPath);
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error;
    }
  }

  /** Removes the journal moved aside by `fence`, once its entries are in the snapshots. */
  dropFenced(): void {
    try {
      unlinkSync(this.fencedPath);
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error;
    }
  }

  /** Reads from `from` (0 = from the header); undefined when there is no journal. */
  read(from = 0, expectHeaderLine?: string): JournalRead | undefined {
    const file = this.openCurrent();
    if (!file) return undefined;
    const { journal, size } = file;
    const rotated = expectHeaderLine !== undefined && journal.headerLine !== expectHeaderLine;
    const start = from === 0 || rotated ? journal.bodyStart : from;
    const body = start < size ? readRange(journal.fd, start, size - start) : Buffer.alloc(0);
    const lastNewline = body.lastIndexOf(0x0a);
    const complete = lastNewline < 0 ? Buffer.alloc(0) : body.subarray(0, lastNewline + 1);
    const entries: JournalEntry[] = [];
    let lineStart = 0;
    for (const line of complete.toString('utf8').split('\n')) {
      if (line === '') {
        lineStart += 1;
        continue;
      }
      try {
        entries.push(JSON.parse(line) as JournalEntry);
      } catch (error) {
        throw corruptJournal(journal.fenced ? this.fencedPath : this.path, `an unreadable entry at byte ${start + lineStart}`, error);
      }
      lineStart += Buffer.byteLength(line) + 1;
    }
    const end = start + complete.length;
    return { header: journal.header, headerLine: journal.headerLine, entries, end, tornBytes: size - end, ino: journal.ino, rotated, fenced: journal.fenced };
  }

  /**
   * Appends entries, a line each, in one write, to the journal this object last read (never one
   * opened since: a holder that lost the lock while paused then writes into a journal that was
   * replaced, where it harms nothing); a torn tail left by a crashed writer is cut off first. An
   * append that fails part-way (a full disk, a file-size limit) is cut back to `validEnd`, so that
   * no line of a transaction that failed is left to be read, and thrown as a StateWriteError. Call
   * under the lock, after `read`.
   */
  append(entries: readonly JournalEntry[], validEnd: number): number {
    const file = this.current;
    if (!file || file.fenced) throw Object.assign(new Error(`${this.path} was not read before appending to it`), { code: 'ENOENT' });
    if (file.readOnly) throw asWriteError(file.readOnly, this.path);
    let text = '';
    for (const entry of entries) text += `${JSON.stringify(entry)}\n`;
    const bytes = Buffer.from(jsonSafe(text), 'utf8');
    const fd = file.fd;
    try {
      if (fstatSync(fd).size > validEnd) ftruncateSync(fd, validEnd);
      writeAllSync(fd, bytes, validEnd);
    } catch (error) {
      // Should this fail too, what is left is at worst a torn last line, which readers skip and the
      // next append cuts off; a complete line of this batch would not be: hence the cut.
      try {
        ftruncateSync(fd, validEnd);
      } catch {
        /* reported below */
      }
      throw asWriteError(error, this.path);
    }
    return validEnd + bytes.length;
  }

  close(): void {
    if (this.current) closeSync(this.current.fd);
    this.current = undefined;
  }

  /** The journal the path names now, with its size; opened again when it was replaced. */
  private openCurrent(): { journal: OpenJournal; size: number } | undefined {
    // No journal, but one fenced off by a takeover that has not compacted yet: its entries count.
    // (One of the two is there at any moment: moving it aside is one rename, and a compaction
    // writes the new journal before it removes the fenced one. A reader between the two looks again.)
    for (let attempt = 0; attempt < 3; attempt++) {
      for (const path of [this.path, this.fencedPath]) {
        const opened = this.open(path);
        if (opened) return opened;
      }
    }
    this.close();
    return undefined;
  }

  // The journal at `path`, with its size: the one open when it is still that file; undefined when missing.
  private open(path: string): { journal: OpenJournal; size: number } | undefined {
    const fenced = path !== this.path;
    const seen = statIfAny(path);
    if (!seen) return undefined;
    // Shorter than its header: rewritten in place (by hand, or a disk that filled up); read it afresh.
    const current = this.current;
    if (current?.ino === seen.ino && current.fenced === fenced && seen.size >= current.bodyStart) return { journal: current, size: seen.size };
    this.close();
    let fd: number;
    let readOnly: unknown;
    try {
      ({ fd, readOnly } = openForUpdate(path));
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return undefined;
      throw error;
    }
    try {
      // The path may have been replaced between the stat and the open: what was opened counts.
      const { size, ino } = fstatSync(fd);
      const headerBytes = readRange(fd, 0, Math.min(size, 4096));
      const newline = headerBytes.indexOf(0x0a);
      if (newline < 0) throw corruptJournal(path, 'the header line is missing or torn');
      const line = headerBytes.subarray(0, newline).toString('utf8');
      this.current = { fd, ino, header: parseHeader(line, path), headerLine: line, bodyStart: newline + 1, fenced, ...(readOnly ? { readOnly } : {}) };
      return { journal: this.current, size };
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }
}

function statIfAny(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
}

// Read-write, so that one descriptor serves reads and appends; read-only where writing is not
// allowed (`ralph status` on someone else's queue), where an append then fails, saying why.
function openForUpdate(path: string): { fd: number; readOnly?: unknown } {
  try {
    return { fd: openSync(path, 'r+') };
  } catch (error) {
    if (isErrno(error, 'EACCES') || isErrno(error, 'EROFS') || isErrno(error, 'EPERM')) return { fd: openSync(path, 'r'), readOnly: error };
    throw error;
  }
}

/** Reads a journal once (opened and closed again); undefined when there is no journal. */
export function readJournal(path: string, from = 0, expectHeaderLine?: string): JournalRead | undefined {
  const file = new JournalFile(path);
  try {
    return file.read(from, expectHeaderLine);
  } finally {
    file.close();
  }
}

export function headerLine(generation: number, now: Date): string {
  const header: JournalHeader = { journal: 2, generation, created_at: now.toISOString() };
  return JSON.stringify(header);
}

function parseHeader(line: string, path: string): JournalHeader {
  try {
    const value = JSON.parse(line) as Partial<JournalHeader>;
    if ((value.journal === 1 || value.journal === 2) && typeof value.generation === 'number' && typeof value.created_at === 'string') {
      return value as JournalHeader;
    }
  } catch {
    /* fall through */
  }
  throw corruptJournal(path, 'the header line is not a journal header');
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

/**
 * A damaged journal. It holds only the changes since the snapshots were last written (about a
 * second's worth during a run), so moving it aside loses little: the snapshots are then taken as
 * they are, and the next change starts a new journal. The advice is a command to run as it is.
 */
function corruptJournal(path: string, problem: string, cause?: unknown): CorruptStateError {
  const aside = `${path}.corrupt-${fileStamp(new Date())}`;
  const fix = `to go on from the snapshots as they were last written (dropping the changes made since, which this journal holds), set it aside with \`mv ${shellWord(path)} ${shellWord(aside)}\`; or start over with \`ralph run --reset\` (with your usual flags; it keeps the damaged files as *.corrupt-<time>)`;
  return new CorruptStateError(path, problem, { fix, ...(cause === undefined ? {} : { cause }) });
}

/** A time for a file name: `2026-01-31T12-00-00-000Z`. */
export function fileStamp(now: Date): string {
  return now.toISOString().replace(/[:.]/g, '-');
}

function shellWord(text: string): string {
  return /^[\w./@%+=:,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
