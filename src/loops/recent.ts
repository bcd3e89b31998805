import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runGit } from '../git/run.js';
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

/**
 * The last `count` iterations' summaries of the branch checked out in `cwd` (`<logdir>/<branch>/
 * galph-summaries/` and `ralph-summaries/`), newest first, each with its handoff commit: what
 * `ralph tail-logs --source summaries` reads, for the dashboard. Nothing (not an error) where
 * there are none.
 */
export function recentIterations(cwd: string, options: { logdir: string; branch: string; count: number }): IterationView[] {
  const dir = (role: Role) => join(options.logdir, branchSlug(options.branch), `${role}-summaries`);
  const files: LogFile[] = ROLES.flatMap((role) => {
    let names: string[];
    try {
      names = readdirSync(resolve(cwd, dir(role)));
    } catch {
      return [];
    }
    return names.flatMap((name) => {
      const parsed = parseLogName(name, 'summaries');
      return parsed ? [{ role, name, ...parsed }] : [];
    });
  });
  const byIter = newestByIteration(files);
  const iters = selectIterations(byIter.keys(), { count: options.count }).reverse();
  if (iters.length === 0) return [];
  const log = runGit(cwd, ['-c', 'log.showSignature=false', 'log', '--format=%h%x09%s', '--grep=^\\[SYNC i=', '-n', '500', 'HEAD', '--']);
  const commits = indexSyncCommits(log.code === 0 ? log.stdout : '');
  return iters.flatMap((iteration) =>
    [...ROLES].reverse().flatMap((actor): IterationView[] => {
      const file = byIter.get(iteration)?.get(actor);
      if (!file) return [];
      const path = join(dir(actor), file.name);
      let text = '';
      try {
        text = readFileSync(resolve(cwd, path), 'utf8');
      } catch {
        /* gone meanwhile: listed without its facts */
      }
      const commit = commitFor(commits, actor, iteration);
      return [{ actor, iteration, file: path, ...parseSummary(text), ...(commit ? { commit } : {}) }];
    }),
  );
}
