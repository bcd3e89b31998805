import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '../errors.js';
import { fileStamp } from '../store/journal.js';
import type { StatePaths } from '../store/paths.js';
import { makePrivateDir } from '../process/private.js';
import { HOST } from '../process/machine.js';
import { isSameProcessAlive } from '../process/alive.js';
import { holderOf } from '../worker/registration.js';
import type { Sessions } from '../store/sessions.js';

/** How many archives of earlier runs `<dir>/archive/` keeps: the oldest go first. */
export const ARCHIVES_KEPT = 3;
/** A worker log larger than this when a run starts is moved to the archive; a smaller one is appended to. */
export const LOG_ROTATE_BYTES = 8 * 1024 * 1024;

/** What an earlier run left: files by worker id (a name in the state directory, relative to it). */
export interface LeftBehind {
  logs: Array<{ id: number; name: string; bytes: number }>;
  /** Sessions and prompts. */
  others: Array<{ id: number; name: string }>;
}

/**
 * What a run starting now moves to the archive. With `--reset`, everything the earlier run left of
 * its workers (logs, sessions, prompts), so that status and the report show only the new run's;
 * without, only the logs that grew past `rotateBytes` (a resume goes on with the same queue, and its
 * earlier failures point into the logs). A worker still alive (`live`: one of the earlier run still
 * stopping, one started by hand) keeps its files. Pure.
 */
export function toArchive(left: LeftBehind, live: ReadonlySet<number>, reset: boolean, rotateBytes = LOG_ROTATE_BYTES): string[] {
  const logs = left.logs.filter((l) => reset || l.bytes > rotateBytes);
  return [...logs, ...(reset ? left.others : [])].filter((f) => !live.has(f.id)).map((f) => f.name);
}

/** The archives to delete so that `kept` are left: the oldest (their names are times, sortable). */
export function archivesToPrune(names: readonly string[], kept = ARCHIVES_KEPT): string[] {
  return [...names].sort().slice(0, Math.max(0, names.length - kept));
}

/** The worker files in a state directory. */
export function leftBehind(paths: StatePaths): LeftBehind {
  const left: LeftBehind = { logs: [], others: [] };
  for (const name of list(paths.dir)) {
    const id = workerId(name, /^worker-(\d+)\.log$/);
    if (id !== undefined) left.logs.push({ id, name, bytes: statSync(join(paths.dir, name), { throwIfNoEntry: false })?.size ?? 0 });
  }
  for (const [dir, sub] of [
    [paths.sessions, 'sessions'],
    [paths.prompts, 'prompts'],
  ] as const) {
    for (const name of list(dir)) {
      const id = workerId(name, /^worker-(\d+)\./);
      if (id !== undefined) left.others.push({ id, name: `${sub}/${name}` });
    }
  }
  return left;
}

/**
 * Moves `names` (relative to the state directory) into `<dir>/archive/<time>/`, and deletes all but
 * the last ARCHIVES_KEPT archives. Returns the archive's path, or undefined when there was nothing to move.
 */
export function archive(paths: StatePaths, names: readonly string[], now = new Date()): string | undefined {
  if (names.length === 0) return undefined;
  const root = join(paths.dir, 'archive');
  let target = join(root, fileStamp(now));
  for (let n = 2; existsSync(target); n++) target = join(root, `${fileStamp(now)}-${n}`);
  makePrivateDir(target);
  for (const name of names) {
    const to = join(target, name);
    if (name.includes('/')) makePrivateDir(join(to, '..'));
    try {
      renameSync(join(paths.dir, name), to);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error; // gone meanwhile: nothing to keep
    }
  }
  for (const old of archivesToPrune(list(root))) rmSync(join(root, old), { recursive: true, force: true });
  return target;
}

/**
 * At the start of a run (it owns the queue by now): moves what `toArchive` says to the archive, and
 * says so; a failure to is said too, and the run goes on. A worker that holds its id still (alive, or another host's, heard from within `silentMs`)
 * keeps its files.
 */
export function archiveEarlierRun(paths: StatePaths, sessions: Sessions, reset: boolean, silentMs: number, say: (line: string) => void): void {
  const me = { pid: process.pid, host: HOST };
  const live = new Set(
    sessions
      .readLenient()
      .sessions.filter((s) => holderOf(s, me, { alive: isSameProcessAlive, now: new Date(), silentMs }) !== undefined)
      .map((s) => s.worker_id),
  );
  let moved: string | undefined;
  try {
    moved = archive(paths, toArchive(leftBehind(paths), live, reset));
  } catch (error) {
    // Tidying up is not worth stopping the run for (a full disk stops it soon enough, and says so).
    say(`ralph: could not move the earlier run's files to ${join(paths.dir, 'archive')}/ (${errorMessage(error)}); what was not moved stays where it was`);
    return;
  }
  if (!moved) return;
  say(
    reset
      ? `ralph: --reset: moved the earlier run's worker logs, sessions and prompts to ${moved}/ (the last ${ARCHIVES_KEPT} archives are kept)`
      : `ralph: moved worker logs over ${LOG_ROTATE_BYTES / 1024 / 1024} MiB to ${moved}/ (the last ${ARCHIVES_KEPT} archives are kept)`,
  );
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function workerId(name: string, pattern: RegExp): number | undefined {
  const match = pattern.exec(name);
  return match ? Number(match[1]) : undefined;
}
