import type { Role } from './options.js';

/** Which iterations' logs `ralph tail-logs` shows, and the handoff commit of each. Pure. */

export interface LogFile {
  role: Role;
  iter: number;
  /** `YYYYMMDD_HHMMSS` from the name; sorts by time as a string. */
  stamp: string;
  name: string;
}

/** The newest file (by the time in its name, then by name) per iteration and role. */
export function newestByIteration(files: readonly LogFile[]): Map<number, Map<Role, LogFile>> {
  const out = new Map<number, Map<Role, LogFile>>();
  for (const f of files) {
    const roles = out.get(f.iter) ?? new Map<Role, LogFile>();
    out.set(f.iter, roles);
    const seen = roles.get(f.role);
    if (!seen || f.stamp > seen.stamp || (f.stamp === seen.stamp && f.name > seen.name)) roles.set(f.role, f);
  }
  return out;
}

/** Ascending iterations within [minIter, maxIter], then the last `count` of them (0 = all). */
export function selectIterations(available: Iterable<number>, o: { count: number; minIter?: number | undefined; maxIter?: number | undefined }): number[] {
  const inRange = [...available]
    .filter((i) => (o.minIter === undefined || i >= o.minIter) && (o.maxIter === undefined || i <= o.maxIter))
    .sort((a, b) => a - b);
  return o.count === 0 ? inRange : inRange.slice(-o.count);
}

export interface SyncCommit {
  sha: string;
  subject: string;
  /** `ok` or `fail` from the subject; undefined when it says neither. */
  status?: 'ok' | 'fail' | undefined;
}

const SYNC_SUBJECT = /^\[SYNC i=(\d+)\] actor=(galph|ralph)(?:\s|$)/;
const SYNC_STATUS = /\sstatus=(ok|fail)(?:\s|$)/;

/** `git log --format=%h%x09%s` output (newest first) → the handoff commits per `actor:i`, newest first. */
export function indexSyncCommits(gitLog: string): Map<string, SyncCommit[]> {
  const index = new Map<string, SyncCommit[]>();
  for (const line of gitLog.split('\n')) {
    const tab = line.indexOf('\t');
    const subject = line.slice(tab + 1);
    const m = tab > 0 ? SYNC_SUBJECT.exec(subject) : null;
    // Marking a turn running and renewing its lease are not handoffs.
    if (!m || / status=running(?:\s|$)/.test(subject)) continue;
    const key = `${m[2]}:${Number.parseInt(m[1]!, 10)}`;
    const status = SYNC_STATUS.exec(subject)?.[1] as SyncCommit['status'];
    index.set(key, [...(index.get(key) ?? []), { sha: line.slice(0, tab), subject, status }]);
  }
  return index;
}

// A galph log is annotated by its own handoff; a ralph log by the one that advanced to i+1 (success) or else
// by its failure at i. A status=fail at i+1 is iteration i+1's failure, a status=ok at i iteration i-1's success.
export function commitFor(index: ReadonlyMap<string, readonly SyncCommit[]>, role: Role, iter: number): SyncCommit | undefined {
  if (role === 'galph') return index.get(`galph:${iter}`)?.[0];
  return index.get(`ralph:${iter + 1}`)?.find((c) => c.status !== 'fail') ?? index.get(`ralph:${iter}`)?.find((c) => c.status !== 'ok');
}
