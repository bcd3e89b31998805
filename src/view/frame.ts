import { formatDuration } from '../report/time.js';
import type { Paint, Style } from './color.js';
import type { ViewSnapshot, WorkerRow } from './snapshot.js';
import { displayWidth, fitWidth, visible } from './width.js';

/**
 * The text of the live view, from a snapshot: a totals line, one row per worker, and the lines that
 * stay (failures, notices). Every line of the live block fits in `columns`; colour is added after
 * fitting, so it never counts as width. Text from tasks and agents reaches here redacted and with its
 * control characters escaped (see run-view.ts). Pure.
 */

/** A piece of a line and how to colour it. */
export type Piece = [text: string, style?: Style];

/** Pieces joined and cut to `columns` (the cut piece ends with `…`, the rest is dropped), then coloured. */
export function fitPieces(pieces: readonly Piece[], columns: number, paint: Paint): string {
  let out = '';
  let left = columns;
  for (const [piece, style] of pieces) {
    // A tab (or any other control character that got here) as the space it is counted as.
    const text = visible(piece);
    const shown = displayWidth(text) <= left ? text : fitWidth(text, left);
    out += style ? paint(style, shown) : shown;
    left -= displayWidth(shown);
    if (shown !== text || left <= 0) break;
  }
  return out;
}

interface Segment {
  long: string;
  short?: string;
  /** At which step of making the line fit it takes its short form, and at which it is left out (never, without one). */
  shortAt?: number;
  dropAt?: number;
  style?: Style;
}

/** When a usage limit lifts, or anything else, as the local time of day (HH:MM). */
export function clock(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '?';
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

function usd(n: number): string {
  return `$${n < 10 ? n.toFixed(2) : n.toFixed(0)}`;
}

/**
 * The totals, each part with the steps at which it is shortened or left out where room is short: the
 * rate and the pending count first, the finished count and the failures never.
 */
function totalsSegments(s: ViewSnapshot): Segment[] {
  const c = s.counts;
  const done = c.completed + c.failed;
  const segments: Segment[] = [{ long: `${done}/${s.total} done`, short: `${done}/${s.total}`, shortAt: 13, style: 'bold' }];
  if (c.failed > 0) segments.push({ long: `${c.failed} failed`, short: `${c.failed}✘`, shortAt: 8, style: 'red' });
  if (s.stop) {
    const budget = s.stop.reason === 'budget';
    segments.push({
      long: `${budget ? 'budget reached' : 'usage limit'}: no new tasks`,
      short: budget ? 'budget reached' : 'usage limit',
      shortAt: 9,
      dropAt: 14,
      style: 'yellow',
    });
  } else if (s.usage_limit) {
    segments.push({
      long: `usage limit until ${clock(s.usage_limit.until)}`,
      short: `limit→${clock(s.usage_limit.until)}`,
      shortAt: 9,
      dropAt: 14,
      style: 'yellow',
    });
  }
  if (c.claimed > 0) segments.push({ long: `${c.claimed} running`, short: `${c.claimed} run`, shortAt: 3, dropAt: 7 });
  if (c.pending > 0) segments.push({ long: `${c.pending} pending`, dropAt: 2 });
  segments.push({ long: `${s.tasks_per_second.toFixed(1)} tasks/s`, short: `${s.tasks_per_second.toFixed(1)}/s`, shortAt: 1, dropAt: 6, style: 'dim' });
  if (s.elapsed_ms !== null) segments.push({ long: `${formatDuration(s.elapsed_ms)} elapsed`, short: formatDuration(s.elapsed_ms), shortAt: 5, dropAt: 12 });
  if (s.eta_ms !== null) segments.push({ long: `ETA ${formatDuration(s.eta_ms)}`, dropAt: 11 });
  // "~$0.42" estimated in part from tokens; "cost unknown" when runs counted tokens and no cost is known.
  const cost = s.cost_usd === 0 && s.cost_unknown > 0 ? 'cost unknown' : `${s.cost_estimated ? '~' : ''}${usd(s.cost_usd)}${s.cost_unknown > 0 ? '+?' : ''}`;
  if (s.max_cost_usd !== null) {
    const over = s.cost_usd >= s.max_cost_usd;
    segments.push({
      long: `${cost} of ${usd(s.max_cost_usd)}`,
      short: `${cost}/${usd(s.max_cost_usd)}`,
      shortAt: 4,
      dropAt: 10,
      ...(over ? { style: 'yellow' as const } : {}),
    });
  } else if (s.cost_usd > 0 || s.cost_unknown > 0) {
    segments.push({ long: cost, dropAt: 10 });
  }
  return segments;
}

const SEP = ' · ';
const STEPS = 14;

/** The totals line: in full where it fits, else step by step with short forms and fewer parts (see totalsSegments). */
export function totalsLine(s: ViewSnapshot, columns: number, paint: Paint): string {
  const segments = totalsSegments(s);
  const forms: Array<string | undefined> = segments.map((seg) => seg.long);
  const width = () => forms.reduce<number>((sum, form) => (form === undefined ? sum : sum + displayWidth(form) + (sum > 0 ? SEP.length : 0)), 0);
  for (let step = 1; step <= STEPS && width() > columns; step++) {
    segments.forEach((seg, i) => {
      if (seg.shortAt === step && forms[i] !== undefined) forms[i] = seg.short;
      if (seg.dropAt === step) forms[i] = undefined;
    });
  }
  // Still too wide: the parts from the end, whole, but the first (which is cut).
  for (let i = forms.length - 1; i > 0 && width() > columns; i--) forms[i] = undefined;
  const pieces: Piece[] = [];
  segments.forEach((seg, i) => {
    const form = forms[i];
    if (form === undefined) return;
    if (pieces.length > 0) pieces.push([SEP, 'dim']);
    pieces.push([form, seg.style]);
  });
  return fitPieces(pieces, columns, paint);
}

/** The same facts in full, for a line that stays (off a terminal). */
export function plainTotals(s: ViewSnapshot, paint: Paint): string {
  return totalsLine(s, Number.POSITIVE_INFINITY, paint);
}

/** One worker's row: its task, for how long, and the agent's last output line. */
export function workerLine(row: WorkerRow, columns: number, paint: Paint): string {
  const pieces: Piece[] = [[`w${row.id} `, 'cyan']];
  switch (row.state) {
    case 'running': {
      const task = fitWidth(row.task ?? '?', Math.max(8, Math.floor(columns * 0.4)));
      pieces.push([task, 'bold'], [` ${formatDuration(row.for_ms ?? 0)}`]);
      const quiet = row.last_output_age_ms !== undefined && row.last_output_age_ms >= 60_000;
      if (quiet) pieces.push([` quiet ${formatDuration(row.last_output_age_ms!)}`, 'yellow']);
      // A task just started has said nothing yet, and it takes its worker a moment to tell.
      if (row.last_output) pieces.push([`  ${row.last_output}`, 'dim']);
      else if ((row.for_ms ?? 0) >= 5000) pieces.push(['  (no output yet)', 'dim']);
      break;
    }
    case 'waiting':
      pieces.push([`waiting for usage limit until ${clock(row.until ?? '')}`, 'yellow']);
      break;
    case 'gone':
      pieces.push(['gone (its process died)', 'red']);
      break;
    default:
      pieces.push([row.state, 'dim']);
  }
  return fitPieces(pieces, columns, paint);
}

/**
 * The live block: the totals line, then a row per worker, in at most `rows` lines (the rows that do
 * not fit are summed up in the last one).
 */
export function liveFrame(s: ViewSnapshot, columns: number, rows: number, paint: Paint): string[] {
  const lines = [totalsLine(s, columns, paint)];
  const room = Math.max(0, rows - 1);
  const shown = s.workers.length <= room ? s.workers : s.workers.slice(0, Math.max(0, room - 1));
  for (const row of shown) lines.push(workerLine(row, columns, paint));
  const rest = s.workers.slice(shown.length);
  if (rest.length > 0 && room > 0) {
    const running = rest.filter((w) => w.state === 'running').length;
    lines.push(fitPieces([[`… ${rest.length} more worker(s), ${running} running`, 'dim']], columns, paint));
  }
  return lines;
}

/** A failure, as it happens: task, one-line cause, log file (on a line of its own where they do not fit on one). */
export interface FailureNote {
  task: string;
  cause: string;
  log: string | null;
  /** It goes back to pending for another attempt. */
  retrying: boolean;
}

export function failureLine(f: FailureNote, columns: number, paint: Paint): string {
  const head: Piece[] = [['✘ ', 'red'], [f.task, 'bold'], [f.retrying ? ' failed, will retry: ' : ' failed: ', 'red'], [f.cause]];
  const log = f.log ? ` (log ${f.log})` : '';
  const width = head.reduce((sum, [text]) => sum + displayWidth(text), 0) + displayWidth(log);
  if (width <= columns) return fitPieces([...head, [log, 'dim']], columns, paint);
  // Too narrow for all of it: the log file on a line of its own, below.
  return [fitPieces(head, columns, paint), ...(f.log ? [fitPieces([[`  log ${f.log}`, 'dim']], columns, paint)] : [])].join('\n');
}
