import type { StatusCounts, Task } from '../queue/types.js';
import type { LockInspection } from '../store/lock.js';
import { describeOwner } from '../store/lock.js';
import type { LoopsView } from '../loops/view.js';
import type { Check } from './check.js';
import { judgeLoops } from './loops-check.js';

export type { Check, Level } from './check.js';

export const SHOWN_FAILURES = 20;

/** What doctor looked at; gathered by `gather.ts`, judged here without I/O. */
export interface Facts {
  dir: string;
  /** A queue in a database (`--queue`), as shown (no password): it has no lock file, no snapshots. */
  database?: string;
  queueProblem?: string;
  /** There is no queue at all (`queueProblem` then says so). */
  queueMissing?: boolean;
  /** The supervisor/engineer loops' state in this repository, when it has one. */
  loops?: LoopsView;
  sessionProblems: string[];
  counts?: StatusCounts;
  findingsCount?: number;
  liveWorkers: number;
  /** The file store's lock (a database's queue has none). */
  lock?: LockInspection;
  staleClaims: Array<Pick<Task, 'id' | 'worker_id'> & { why: string }>;
  failed: Array<{ id: string; error: string; log: string; logLines: string[] }>;
  /** How many tasks failed, when `failed` lists only the first of them (a database's queue). */
  failedCount?: number;
  agentCmd?: string;
  agentProblem?: string;
  /** The agent is an agent CLI (`--agent`), not a command line of the user's. */
  agentIsCli?: boolean;
  tempFiles: string[];
  /** How agents are started; absent when not looked at. */
  spawn?: { backend: 'posix_spawn' | 'child_process'; why?: string };
  /** Whether the state directory can be used and written; absent when not looked at. */
  stateDir?: StateDirFacts;
}

export interface StateDirFacts {
  /** Why it cannot be a state directory at all (a file, a dangling link); nothing else was looked at. */
  problem?: string;
  /** Why it cannot be written (read-only file system, permissions). */
  unwritable?: { errno: string; what: string; fix: string };
  /** Free bytes on its file system, and what the next compaction needs (both snapshots once more). */
  freeBytes?: number;
  snapshotBytes?: number;
}

/** Room for a new copy of both snapshots, plus some for the journal and the logs. */
export const SPARE_BYTES = 1024 * 1024;

export function judge(f: Facts, now = new Date()): Check[] {
  const checks: Check[] = [];
  // A repository that only runs the loops: their state, not a missing queue (nor its lock and workers).
  if (f.loops && f.queueMissing) return [judgeLoops(f.loops, now), ...judgeCommon(f)];
  if (f.loops) checks.push(judgeLoops(f.loops, now));
  if (f.stateDir?.problem) {
    checks.push({
      level: 'error',
      check: 'state dir',
      found: f.stateDir.problem,
      fix: 'Pass --dir with a directory (or a path where one can be made), or move that out of the way.',
    });
    return checks;
  }
  if (f.stateDir) checks.push(judgeStateDir(f.dir, f.stateDir));
  if (f.queueProblem) {
    checks.push({
      level: 'error',
      check: 'queue',
      found: f.queueProblem,
      fix: f.database
        ? 'A missing queue: `ralph queue init --queue URL` (or `ralph run --queue URL --tasks FILE`) creates it. A database that cannot be reached: check the URL, the credentials and that the server is up.'
        : 'A missing queue: `ralph init` or `ralph run --tasks FILE` creates it. A damaged file: do what the message says; `ralph run --reset` starts over, keeping the damaged files as *.corrupt-<time>.',
    });
  } else if (f.counts) {
    const c = f.counts;
    checks.push({
      level: 'ok',
      check: 'queue',
      found: `${f.database ?? `${f.dir}/work-queue.json`} is readable: pending ${c.pending}, claimed ${c.claimed}, completed ${c.completed}, failed ${c.failed}`,
    });
  }
  for (const problem of f.sessionProblems)
    checks.push({ level: 'error', check: 'sessions', found: problem, fix: 'Delete the broken session file; the worker writes a new one when it starts.' });

  if (!f.lock) {
    // A database's queue: no lock file to look at.
  } else if (f.lock.state === 'stale')
    checks.push({
      level: 'warn',
      check: 'lock',
      found: `stale lock: ${f.lock.why}`,
      fix: 'Workers take it over by themselves; `ralph unlock` removes it now.',
    });
  else if (f.lock.state === 'held' && f.lock.ageMs > 10_000)
    checks.push({
      level: 'warn',
      check: 'lock',
      found: `held for ${Math.round(f.lock.ageMs / 1000)}s by ${describeOwner(f.lock.owner)}; locks are normally held for milliseconds`,
      fix: 'If that process is stuck, stop it; `ralph unlock --force` removes the lock.',
    });
  else checks.push({ level: 'ok', check: 'lock', found: f.lock.state === 'free' ? 'free' : `held by ${describeOwner(f.lock.owner)}` });

  if (f.counts && f.counts.pending > 0 && f.liveWorkers === 0) {
    checks.push({
      level: 'warn',
      check: 'workers',
      found: `${f.counts.pending} task(s) pending but no live worker`,
      fix: f.database
        ? 'Start workers on any machine with `ralph worker --queue URL --workers N` (or a run with `ralph run --queue URL`).'
        : 'Start a run with `ralph run --agent-cmd CMD` (or add workers with `ralph worker --id N --agent-cmd CMD`).',
    });
  } else {
    checks.push({ level: 'ok', check: 'workers', found: `${f.liveWorkers} live worker(s)` });
  }
  if (f.staleClaims.length > 0) {
    const list = f.staleClaims
      .slice(0, 10)
      .map((t) => `${t.id} (worker ${t.worker_id ?? '?'}: ${t.why})`)
      .join(', ');
    checks.push({
      level: 'warn',
      check: 'claims',
      found: `${f.staleClaims.length} claimed task(s) whose worker stopped: ${list}`,
      fix: 'Any live worker or `ralph run` puts them back to pending (attempts count); start one to resume.',
    });
  }
  // The commands that say what to do name the database's queue when it is one.
  const onQueue = f.database ? ' --queue URL' : '';
  for (const t of f.failed.slice(0, SHOWN_FAILURES)) {
    const lines = t.logLines.length > 0 ? `\n  ${t.log}:\n${t.logLines.map((l) => `    ${l}`).join('\n')}` : '';
    checks.push({
      level: 'warn',
      check: 'failed task',
      found: `${t.id}: ${t.error.split('\n')[0]}${lines}`,
      fix: `Fix the cause, then \`ralph queue retry --failed${onQueue}\` and \`ralph run${onQueue}\`.`,
    });
  }
  const failedCount = Math.max(f.failed.length, f.failedCount ?? 0);
  if (failedCount > SHOWN_FAILURES)
    checks.push({
      level: 'warn',
      check: 'failed task',
      found: `… and ${failedCount - SHOWN_FAILURES} more failed task(s)`,
      fix: `\`ralph queue list --status failed${onQueue}\` lists them all.`,
    });
  if (f.counts && f.counts.completed > 0 && f.findingsCount === 0) {
    checks.push({
      level: 'error',
      check: 'results',
      found: `${f.counts.completed} task(s) completed but ${f.dir}/results.json has no findings`,
      fix: 'results.json was replaced or emptied by hand; the findings are also on each completed task in work-queue.json (`finding`).',
    });
  }
  return [...checks, ...judgeCommon(f)];
}

/** The checks that do not depend on a queue: the agent, how agents are started, leftover files. */
function judgeCommon(f: Facts): Check[] {
  const checks: Check[] = [];
  // An agent CLI's problem says what to do itself; a command line's gets the advice here.
  if (f.agentProblem)
    checks.push({
      level: 'error',
      check: 'agent',
      found: f.agentProblem,
      ...(f.agentIsCli ? {} : { fix: 'Install it, fix the path, or `chmod +x` the script; check with `sh -c "<your command>"`.' }),
    });
  else if (f.agentCmd) checks.push({ level: 'ok', check: 'agent', found: `agent command found: ${f.agentCmd}` });
  if (f.spawn?.backend === 'posix_spawn') checks.push({ level: 'ok', check: 'spawn', found: 'agents are started with posix_spawn (native helper built)' });
  else if (f.spawn)
    checks.push({
      level: 'warn',
      check: 'spawn',
      found: `agents are started with Node's child_process, about 2 ms more CPU per task: ${f.spawn.why ?? 'native helper not available'}`,
      fix: 'Only matters for many short tasks: `npm rebuild ralph-orchestrator` where it is installed, or `npm run build:native` in a clone of Ralph (needs python3, make and a C compiler).',
    });
  if (f.tempFiles.length > 0)
    checks.push({
      level: 'warn',
      check: 'temp files',
      found: `${f.tempFiles.length} temporary file(s) left by crashed writers: ${f.tempFiles.slice(0, 5).join(', ')}`,
      fix: 'Harmless; the next `ralph run` removes them.',
    });
  return checks;
}

function judgeStateDir(dir: string, d: StateDirFacts): Check {
  if (d.unwritable) {
    return {
      level: 'error',
      check: 'state dir',
      found: `${dir} cannot be written: ${d.unwritable.what} (${d.unwritable.errno})`,
      fix: `Every command that changes the queue refuses until then: ${d.unwritable.fix}.`,
    };
  }
  if (d.freeBytes === undefined) return { level: 'ok', check: 'state dir', found: `${dir} is writable` };
  const free = mib(d.freeBytes);
  const needed = (d.snapshotBytes ?? 0) + SPARE_BYTES;
  if (d.freeBytes < needed) {
    return {
      level: 'error',
      check: 'state dir',
      found: `${dir} is on a nearly full file system: ${free} free, and writing the snapshots once more takes ${mib(d.snapshotBytes ?? 0)}`,
      fix: 'Free some space (old worker logs, `rm .ralph/worker-*.log`, are safe to remove); nothing is lost meanwhile, and `ralph run` resumes.',
    };
  }
  return { level: 'ok', check: 'state dir', found: `${dir} is writable; ${free} free` };
}

function mib(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${Math.round(bytes / 1024)} KiB`;
}
