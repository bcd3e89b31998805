import type { Paint, Style } from './color.js';
import { readableLine } from '../agents/agent-line.js';
import type { Piece } from './frame.js';
import { fitPieces } from './frame.js';

/** One line of a worker's log, as `ralph logs --json` prints it. */
export interface LogRecord {
  /** ISO-8601 UTC; a line the worker did not stamp (a crash's stack trace) has the time of the line before. */
  time: string;
  worker: number;
  /** The task the worker was running then, where the log tells. */
  task: string | null;
  /** The agent's stdout or stderr, or null for the worker's own lines. */
  stream: 'out' | 'err' | null;
  /** The line as logged (redacted, control characters escaped). */
  text: string;
}

// [\s\S], not `.`: a line (split at \n only) may hold U+2028 or U+2029, which `.` does not match.
const STAMPED = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) ([\s\S]*)$/;
const STARTS = /^▶ task ([\s\S]+) \(([\s\S]*)\) attempt \d+$/;
const ENDS = /^[✔✘⏸] task ([\s\S]+?) (?:completed|failed|requeued|back to pending)/;
const TASK_NOTE = /^task ([\s\S]+?)(: | interrupted after | finished within | on branch )/;

/** Where a worker's log is, for the line that comes next: the task it is in, and the last stamp's time. */
export interface ParserState {
  current: string | null;
  lastTime: string;
}

/** For a worker's own line: the task it names, and the task the log is in after it (undefined: unchanged). */
function taskLine(text: string): { task: string; after: string | null | undefined } | undefined {
  const started = STARTS.exec(text);
  if (started) return { task: started[1]!, after: started[1]! };
  const ended = ENDS.exec(text);
  if (ended) return { task: ended[1]!, after: null };
  const noted = TASK_NOTE.exec(text);
  if (!noted) return undefined;
  const task = noted[1]!;
  const over = noted[2] === ' interrupted after ' || text.startsWith(`task ${task}: report refused`);
  return { task, after: over ? null : undefined };
}

/**
 * What a line tells someone reading the log backwards: its stamp's time, and the task the log is in
 * after it (`sets` false: the line leaves that as it was). Pure.
 */
export function lineMarks(line: string): { time: string | undefined; sets: boolean; after: string | null } {
  const m = STAMPED.exec(line);
  if (!m) return { time: undefined, sets: false, after: null };
  const text = m[2]!;
  const noted = text.startsWith('[out] ') || text.startsWith('[err] ') ? undefined : taskLine(text);
  return { time: m[1]!, sets: noted?.after !== undefined, after: noted?.after ?? null };
}

/**
 * Reads one worker's log line by line, knowing which task each line belongs to: the lines between
 * `▶ task X` and the line that tells how X ended (or that it was interrupted) are X's. It may start
 * in the middle of a log, from the state there (see log-seek.ts).
 */
export class LogParser {
  private current: string | null;
  private lastTime: string;

  constructor(
    readonly worker: number,
    state: ParserState = { current: null, lastTime: '' },
  ) {
    this.current = state.current;
    this.lastTime = state.lastTime;
  }

  parse(line: string): LogRecord {
    const m = STAMPED.exec(line);
    if (!m) return { time: this.lastTime, worker: this.worker, task: this.current, stream: null, text: line };
    const time = m[1]!;
    this.lastTime = time;
    let text = m[2]!;
    const stream = text.startsWith('[out] ') ? 'out' : text.startsWith('[err] ') ? 'err' : null;
    if (stream) {
      text = text.slice(6);
      return { time, worker: this.worker, task: this.current, stream, text };
    }
    const noted = taskLine(text);
    if (noted && noted.after !== undefined) this.current = noted.after;
    return { time, worker: this.worker, task: noted ? noted.task : this.current, stream: null, text };
  }
}

export interface LogFilter {
  worker?: number;
  task?: string;
  /** ISO-8601 UTC: records from then on. */
  since?: string;
}

export function matches(record: LogRecord, filter: LogFilter): boolean {
  return (
    (filter.worker === undefined || record.worker === filter.worker) &&
    (filter.task === undefined || record.task === filter.task) &&
    (filter.since === undefined || record.time >= filter.since)
  );
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A time in ms as ISO-8601 UTC; undefined beyond the dates there are (±100,000,000 days from 1970). */
const isoOf = (ms: number): string | undefined => (Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : undefined);

/**
 * `--since`: a duration back from now (`30s`, `10m`, `2h`, `1d`), a time of day today (`14:05`; the
 * day before when that is still ahead), or a date and time (`2026-05-01T14:00`, local unless it says
 * otherwise). Undefined when it is none of these, or no time there is. Pure.
 */
export function parseSince(text: string, now: Date): string | undefined {
  const value = text.trim();
  const duration = /^(\d+(?:\.\d+)?)\s*([smhd])$/.exec(value);
  if (duration) return isoOf(now.getTime() - Number(duration[1]) * UNITS[duration[2]!]!);
  const clock = /^(\d{1,2}):(\d\d)(?::(\d\d))?$/.exec(value);
  if (clock) {
    const [h, m, s] = [Number(clock[1]), Number(clock[2]), Number(clock[3] ?? 0)];
    if (h > 23 || m > 59 || s > 59) return undefined;
    const at = new Date(now);
    at.setHours(h, m, s, 0);
    if (at > now) at.setDate(at.getDate() - 1);
    return at.toISOString();
  }
  return parseDate(value);
}

const DATE = /^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,3}))?)?)?(Z|[+-]\d\d(?::?\d\d)?)?$/i;

/**
 * `2026-05-01`, `2026-05-01T14:00[:05[.250]]` (or with a space for the T): local time, unless it
 * ends with Z or an offset (`+05:30`). A day that does not exist (`2026-02-30`) is undefined, not
 * the day Date would roll it over to; a local time in a daylight-saving gap moves on past the gap.
 */
function parseDate(value: string): string | undefined {
  const m = DATE.exec(value);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]) - 1, Number(m[3])];
  const [h, min, s, ms] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), Number((m[7] ?? '').padEnd(3, '0'))];
  const date = new Date(0);
  date.setUTCFullYear(year, month, day);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month || date.getUTCDate() !== day) return undefined;
  if (h > 23 || min > 59 || s > 59) return undefined;
  const zone = m[8]?.toUpperCase();
  if (zone === undefined) {
    const at = new Date(2000, 0, 1);
    at.setFullYear(year, month, day);
    at.setHours(h, min, s, ms);
    return isoOf(at.getTime());
  }
  const [, sign, oh, om] = /^([+-])(\d\d)(?::?(\d\d))?$/.exec(zone) ?? ['', '+', '0', '0'];
  if (Number(oh) > 23 || Number(om ?? 0) > 59) return undefined;
  date.setUTCHours(h, min, s, ms);
  return isoOf(date.getTime() - (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om ?? 0)) * 60_000);
}

/** The local time of a record: the time of day, with the date when it is not today's. */
export function localTime(iso: string, now: Date): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '--:--:--';
  const pad = (n: number) => String(n).padStart(2, '0');
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const sameDay = d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate();
  return sameDay ? time : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

function styleOf(record: LogRecord): Style | undefined {
  if (record.stream === 'err') return 'yellow';
  if (record.stream === 'out') return undefined;
  if (record.text.startsWith('✘')) return 'red';
  if (record.text.startsWith('✔')) return 'green';
  if (record.text.startsWith('⏸') || record.text.startsWith('usage limit')) return 'yellow';
  return 'dim';
}

/**
 * A record for a person: local time, worker, and the line, an agent's event in one short readable
 * line (never its raw JSON). Its text was made safe when it was logged; `clean` makes it safe again
 * for whoever edited the file since.
 */
export function formatRecord(record: LogRecord, now: Date, paint: Paint, clean: (text: string) => string): string {
  const pieces: Piece[] = [
    [`${localTime(record.time, now)} `, 'dim'],
    [`w${record.worker} `, 'cyan'],
  ];
  const text = clean(record.stream ? readableLine(record.text, 1000) : record.text);
  pieces.push([record.stream ? `[${record.stream}] ${text}` : text, styleOf(record)]);
  return fitPieces(pieces, Number.POSITIVE_INFINITY, paint);
}
