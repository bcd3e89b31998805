import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { InputError } from '../../errors.js';
import { processRedactor } from '../../redact/process.js';
import { openStore } from '../../store/open.js';
import { statePaths } from '../../store/paths.js';
import { stringifyJson } from '../../redact/sanitize.js';
import { paintFor } from '../../view/color.js';
import { LogReader, logFiles } from '../../view/log-files.js';
import { formatRecord, parseSince } from '../../view/log-records.js';
import type { LogFilter, LogRecord } from '../../view/log-records.js';
import { cleanText } from '../../view/run-view.js';
import { nonNegativeInt, positiveInt } from '../../config/parsers.js';
import { note } from '../output.js';
import { dirOption, untilStopped } from './common.js';

interface LogsFlags {
  dir: string;
  follow?: boolean;
  worker?: number;
  task?: string;
  since?: string;
  lines?: number;
  json?: boolean;
}

/** How often a followed log is looked at. */
const FOLLOW_MS = 250;

export function registerLogs(program: Command, setExit: (code: number) => void): void {
  const command = program
    .command('logs')
    .description("print the workers' logs merged in time order: what each worker did, and its agent's output in one readable line an event")
    .option('-f, --follow', 'keep printing lines as they are logged, until Ctrl-C')
    .option('--worker <n>', "only this worker's log", positiveInt)
    .option('--task <id>', "only the lines of this task (its start, its agent's output, how it ended)")
    .option(
      '--since <when>',
      'only lines from then on: 30s, 10m, 2h, 1d back, a time of day (14:05), or a date or date and time (2026-05-01, 2026-05-01T14:00) in local time unless it ends with Z or an offset',
    )
    .option('-n, --lines <n>', 'only the last N lines (default: all; 10 with --follow)', nonNegativeInt)
    .option('--json', 'one JSON record a line: {time, worker, task, stream, text}');
  dirOption(command);
  command.addHelpText(
    'after',
    `
Examples:
  $ ralph logs --task t-0042               # everything about one task
  $ ralph logs -f --worker 2               # follow one worker
  $ ralph logs --since 10m --json | jq -r 'select(.stream == "err") | .text'`,
  );
  command.action(async (flags: LogsFlags) => {
    const filter: LogFilter = {};
    if (flags.worker !== undefined) filter.worker = flags.worker;
    if (flags.task !== undefined) filter.task = flags.task;
    if (flags.since !== undefined) {
      const since = parseSince(flags.since, new Date());
      if (since === undefined)
        throw new InputError(
          `Expected --since to be a duration (30s, 10m, 2h, 1d), a time of day (14:05) or a date and time in local time (2026-05-01, 2026-05-01T14:00), one that exists, got \`${flags.since}\`.`,
        );
      filter.since = since;
    }
    if (flags.worker !== undefined) checkWorker(flags.dir, flags.worker, flags.follow === true);
    else if (flags.task === undefined && logFiles(flags.dir).length === 0 && !flags.follow)
      note(`ralph: no worker logs in ${flags.dir} yet (they are written by \`ralph run\` and \`ralph worker\`)`);
    const reader = new LogReader(flags.dir, filter);
    let shown = 0;
    const print = printer(flags.json === true);
    const show: Show = (records) => {
      shown += records.length;
      return print(records);
    };
    const checked = () => {
      if (shown === 0) checkTask(flags, reader.taskSeen);
    };
    if (flags.follow) {
      setExit(await follow(reader, filter, flags.lines ?? 10, show, checked));
      return;
    }
    await showFirst(reader, filter, flags.lines, true, show);
    checked();
  });
}

/**
 * `--worker N` without a log: said when N is registered, else an error naming the workers that have
 * one (while following, said: it may be a worker about to start).
 */
function checkWorker(dir: string, worker: number, follow: boolean): void {
  const logs = logFiles(dir).map((log) => log.worker);
  if (logs.includes(worker)) return;
  if (existsSync(statePaths(dir).session(worker))) {
    note(`ralph: worker ${worker} is registered in ${dir} but has no log there (removed?)`);
    return;
  }
  const there = logs.length > 0 ? `the logs there are of worker(s) ${logs.join(', ')}` : 'there are no worker logs there yet';
  unknown(`Worker ${worker} has no log in ${dir} and is not registered there; ${there}`, follow);
}

/**
 * `--task ID` when nothing was printed: lines of it before --since, or a task still waiting for a
 * worker, are said; a task neither queued nor named in any log is an error, a typo most likely
 * (while following, said: it may be a task about to be queued).
 */
function checkTask(flags: LogsFlags, seen: boolean): void {
  if (flags.task === undefined) return;
  const id = JSON.stringify(flags.task);
  if (seen) {
    if (flags.since !== undefined && flags.lines !== 0) note(`ralph: task ${id} has no log lines since ${flags.since}`);
    return;
  }
  const store = openStore(flags.dir);
  const task = store.exists() ? store.read().tasks.find((t) => t.id === flags.task) : undefined;
  if (task) note(`ralph: task ${id} is ${task.status} and has no log lines yet`);
  else unknown(`Task ${id} is not in the queue in ${flags.dir}, and no worker log there names it`, flags.follow === true);
}

function unknown(what: string, follow: boolean): void {
  if (!follow) throw new InputError(`${what}.`);
  note(`ralph: ${what}; following in case it comes (Ctrl-C to stop)`);
}

/**
 * What the logs hold now, or their last `count` lines: read backwards from each log's end when every
 * line counts, else streamed through (keeping the last `count` that pass the filter).
 */
async function showFirst(reader: LogReader, filter: LogFilter, count: number | undefined, flush: boolean, show: Show, signal?: AbortSignal): Promise<void> {
  if (count === undefined) {
    await reader.read(flush, show, signal);
  } else if (filter.since === undefined && filter.task === undefined) {
    let skip = reader.startAtLast(count, flush) - count;
    await reader.read(
      flush,
      (records) => {
        const drop = Math.max(0, Math.min(skip, records.length));
        skip -= drop;
        return drop < records.length ? show(records.slice(drop)) : undefined;
      },
      signal,
    );
  } else {
    let last: LogRecord[] = [];
    await reader.read(
      flush,
      (records) => {
        for (const record of records) last.push(record);
        if (last.length > 2 * count + records.length) last = last.slice(last.length - count);
      },
      signal,
    );
    await show(last.slice(Math.max(0, last.length - count)));
  }
}

type Show = (records: LogRecord[]) => Promise<void> | undefined;

/** Prints records; what it returns settles once stdout can take more (a slow reader holds the reading back). */
function printer(json: boolean): Show {
  const paint = paintFor(process.stdout);
  const redactor = processRedactor();
  return (records) => {
    if (records.length === 0) return undefined;
    const now = new Date();
    const lines = records.map((r) => (json ? stringifyJson(redactor.redactDeep(r)) : formatRecord(r, now, paint, cleanText)));
    if (process.stdout.write(`${lines.join('\n')}\n`)) return undefined;
    return new Promise((resolve) => {
      process.stdout.once('drain', resolve);
    });
  };
}

/**
 * Prints the last `count` lines, then what is appended, until a signal: exits 130 on Ctrl-C (129/143
 * on SIGHUP/SIGTERM), also while stdout is not taking more.
 */
function follow(reader: LogReader, filter: LogFilter, count: number, show: Show, checked: () => void): Promise<number> {
  return untilStopped(async (signal) => {
    const stopped = new Promise<void>((resolve) => {
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    const showing: Show = (records) => {
      const shown = show(records);
      return shown && Promise.race([shown, stopped]);
    };
    await showFirst(reader, filter, count, false, showing, signal);
    checked();
    while (!signal.aborted) {
      await sleep(FOLLOW_MS, undefined, { signal }).catch(() => undefined);
      await reader.read(false, showing, signal);
    }
  });
}
