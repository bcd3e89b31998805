import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { runGitAsync } from '../git/run.js';
import { branchSlug, parseLogName, parseSummary } from './logs.js';
import type { SummaryFacts } from './logs.js';
import { ROLES } from './tail-logs/options.js';
import type { Role } from './tail-logs/options.js';
import { commitFor, indexSyncCommits, newestByIteration, selectIterations } from './tail-logs/select.js';
import type { LogFile, SyncCommit } from './tail-logs/select.js';

/** One iteration of one actor as the dashboard lists it: its summary's facts and its handoff commit. */
export interface IterationView extends SummaryFacts {
  actor: Role;
  iteration: number;
  /** The summary, relative to the repository. */
  file: string;
  /** The `[SYNC i=…]` commit that handed the turn over after it, when there is one on HEAD's history. */
  commit?: SyncCommit;
}

const GIT_TIMEOUT_MS = 5000;
/** How far before the oldest iteration listed its handoff commits are looked for (another machine's clock). */
const CLOCK_SLACK_MS = 86_400_000;

/**
 * The last `count` iterations' summaries of the branch checked out in `cwd` (`<logdir>/<branch>/
 * galph-summaries/` and `ralph-summaries/`), newest first, each with its handoff commit: what
 * `ralph tail-logs --source summaries` reads, for the dashboard. Nothing (not an error) where there
 * are none. Without blocking: the history is read back only to the oldest iteration listed, by a
 * git given 5 s (then the commits are left out).
 */
export async function recentIterations(cwd: string, options: { logdir: string; branch: string; count: number }): Promise<IterationView[]> {
  const dir = (role: Role) => join(options.logdir, branchSlug(options.branch), `${role}-summaries`);
  const files: LogFile[] = (
    await Promise.all(
      ROLES.map(async (role) => {
        const names = await readdir(resolve(cwd, dir(role))).catch(() => [] as string[]);
        return names.flatMap((name) => {
          const parsed = parseLogName(name, 'summaries');
          return parsed ? [{ role, name, ...parsed }] : [];
        });
      }),
    )
  ).flat();
  const byIter = newestByIteration(files);
  const iters = selectIterations(byIter.keys(), { count: options.count }).reverse();
  if (iters.length === 0) return [];
  const listed = iters.flatMap((iteration) => [...ROLES].reverse().flatMap((actor) => byIter.get(iteration)?.get(actor) ?? []));
  const oldest = Math.min(...listed.map((f) => stampTime(f.stamp)));
  const since = Number.isNaN(oldest) ? [] : [`--since=${new Date(oldest - CLOCK_SLACK_MS).toISOString()}`];
  const log = await runGitAsync(
    cwd,
    ['-c', 'log.showSignature=false', 'log', '--format=%h%x09%s', '--grep=^\\[SYNC i=', ...since, 'HEAD', '--'],
    GIT_TIMEOUT_MS,
  );
  const commits = indexSyncCommits(log.code === 0 ? log.stdout : '');
  return Promise.all(
    listed.map(async (file): Promise<IterationView> => {
      const path = join(dir(file.role), file.name);
      // Gone meanwhile: listed without its facts.
      const text = await readFile(resolve(cwd, path), 'utf8').catch(() => '');
      const commit = commitFor(commits, file.role, file.iter);
      return { actor: file.role, iteration: file.iter, file: path, ...parseSummary(text), ...(commit ? { commit } : {}) };
    }),
  );
}

/** `YYYYMMDD_HHMMSS` (UTC) → ms since the epoch. */
function stampTime(stamp: string): number {
  const m = /^(\d{4})(\d\d)(\d\d)_(\d\d)(\d\d)(\d\d)$/.exec(stamp);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : NaN;
}
