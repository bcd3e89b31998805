import { readSync } from 'node:fs';
import { lineMarks } from './log-records.js';
import type { ParserState } from './log-records.js';

/** How much of a log is read at a time. */
export const CHUNK = 64 * 1024;
/** Of a longer line, only this much is looked at for its stamp and task (a worker's own lines are short). */
const PREFIX = 64 * 1024;
const NEWLINE = 0x0a;
/** What every line that changes the task a log is in holds (see LogParser). */
const MARKERS = ['▶ task ', '✔ task ', '✘ task ', '⏸ task ', ' interrupted after ', ': report refused'].map((m) => Buffer.from(m));

/** The bytes [from, to) of a file, in `buffer` (fewer if the file is shorter now). */
export function readAt(fd: number, buffer: Buffer, from: number, to: number): Buffer {
  let done = 0;
  while (done < to - from) {
    const n = readSync(fd, buffer, done, to - from - done, from + done);
    if (n <= 0) break;
    done += n;
  }
  return buffer.subarray(0, done);
}

/** The position of the last newline before `pos`, or -1. */
function newlineBefore(fd: number, buffer: Buffer, pos: number): number {
  for (; pos > 0; pos = Math.max(0, pos - buffer.length)) {
    const chunk = readAt(fd, buffer, Math.max(0, pos - buffer.length), pos);
    const at = chunk.lastIndexOf(NEWLINE);
    if (at !== -1) return Math.max(0, pos - buffer.length) + at;
  }
  return -1;
}

/**
 * Where the last `n` lines of a log of `size` bytes start, and how many lines there are from there;
 * `finished`: only lines that end with a newline (while following, an unfinished last line is left
 * for later). Reads backwards from the end a chunk at a time, so memory stays small whatever the size.
 */
export function lastLines(fd: number, size: number, n: number, finished: boolean, chunkSize = CHUNK): { start: number; count: number } {
  const buffer = Buffer.alloc(chunkSize);
  const end = finished ? newlineBefore(fd, buffer, size) + 1 : size;
  if (n === 0 || end === 0) return { start: end, count: 0 };
  // The line that ends at `end` is the first; each newline before its last byte starts one more.
  let count = 1;
  for (let pos = end - 1; pos > 0; ) {
    const from = Math.max(0, pos - chunkSize);
    const chunk = readAt(fd, buffer, from, pos);
    for (let i = chunk.length - 1; i >= 0; ) {
      const at = chunk.lastIndexOf(NEWLINE, i);
      if (at === -1) break;
      if (count === n) return { start: from + at + 1, count };
      count += 1;
      i = at - 1;
    }
    pos = from;
  }
  return { start: 0, count };
}

/**
 * The parser's state at `start`, the start of a line: the time of the nearest stamped line before
 * it, and the task set by the nearest line before it that sets one. Reads backwards a chunk at a
 * time, and passes over chunks that cannot hold such a line without looking at their lines.
 */
export function stateAt(fd: number, start: number, chunkSize = CHUNK): ParserState {
  let lastTime: string | undefined;
  let current: string | null | undefined;
  const buffer = Buffer.alloc(chunkSize);
  const prefix = Buffer.alloc(PREFIX);
  const look = (from: number, chunk: Buffer, lineStart: number, lineEnd: number) => {
    const inChunk = lineStart >= from && lineEnd <= from + chunk.length;
    const bytes = inChunk ? chunk.subarray(lineStart - from, lineEnd - from) : readAt(fd, prefix, lineStart, Math.min(lineEnd, lineStart + PREFIX));
    const marks = lineMarks(bytes.toString('utf8'));
    lastTime ??= marks.time;
    if (current === undefined && marks.sets) current = marks.after;
  };
  // `lineEnd`: the newline of the line looked at next (the one just before `start`, at first).
  let lineEnd = start - 1;
  for (let pos = start; pos > 0 && (lastTime === undefined || current === undefined); ) {
    const from = Math.max(0, pos - chunkSize);
    const chunk = readAt(fd, buffer, from, pos);
    if (chunk.length < pos - from) break; // cut short meanwhile
    const quick = lastTime !== undefined && !MARKERS.some((m) => chunk.includes(m));
    for (let first = true; lineEnd > 0 && (lastTime === undefined || current === undefined); first = false) {
      const last = Math.min(lineEnd - 1, pos - 1) - from;
      const at = last < 0 ? -1 : chunk.lastIndexOf(NEWLINE, last);
      if (at === -1 && from > 0) break; // the line starts in an earlier chunk
      const lineStart = at === -1 ? 0 : from + at + 1;
      look(from, chunk, lineStart, lineEnd);
      lineEnd = lineStart - 1;
      // No line in this chunk sets a task: on to the line that starts in an earlier one.
      if (quick && first && lineEnd >= from) lineEnd = from + chunk.indexOf(NEWLINE);
    }
    pos = from;
  }
  return { current: current ?? null, lastTime: lastTime ?? '' };
}
