import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError, NotAGitRepositoryError, RalphError, isErrno } from '../../errors.js';
import { GitError, runGit } from '../../git/run.js';
import { parseLogName } from '../logs.js';
import { resolveTailLogsOptions } from './options.js';
import type { Resolved, Role, TailLogsOptions } from './options.js';
import { renderTailLogs } from './render.js';
import type { Listing, LogEntry } from './render.js';
import { commitFor, indexSyncCommits, newestByIteration, selectIterations } from './select.js';
import type { LogFile, SyncCommit } from './select.js';

/**
 * The last iterations' supervisor (galph) and engineer (ralph) logs or summaries under
 * `<logdir>/<prefix>/`, as an XML document, each log with its handoff commit and a listing of
 * `lsPaths` at that commit. Throws RalphError (exit 2) on bad options, outside a git repository,
 * or when `<logdir>/<prefix>` does not exist.
 */
export function tailLogs(options: TailLogsOptions): string {
  const o = resolveTailLogsOptions(options);
  assertGitRepository(o.cwd);
  assertPrefixDir(o.cwd, o.logdir, o.prefix);
  const byIter = newestByIteration(o.roles.flatMap((role) => listLogFiles(o, role)));
  const iters = selectIterations(byIter.keys(), o);
  const commits = iters.length > 0 ? readSyncCommits(o.cwd) : new Map<string, SyncCommit[]>();
  const listed = new Map<string, Listing | undefined>();
  const listing = (commit: string, path: string): Listing | undefined => {
    const key = `${commit}\0${path}`;
    if (!listed.has(key)) {
      const names = lsTree(o.cwd, commit, path);
      listed.set(key, names.length > 0 ? { path, commit, names } : undefined);
    }
    return listed.get(key);
  };
  const entries = iters.flatMap((iter) =>
    o.roles.flatMap((role): LogEntry[] => {
      const file = byIter.get(iter)?.get(role);
      if (!file) return [];
      const dir = roleDir(o, role);
      const commit = commitFor(commits, role, iter);
      const listings = commit && o.ls ? o.lsPaths.flatMap((p) => listing(commit.sha, p) ?? []) : [];
      return [{ role, iter, path: join(dir, file.name), content: readFileSync(resolve(o.cwd, dir, file.name), 'utf8'), commit, listings }];
    }),
  );
  return renderTailLogs({ prefix: o.prefix, source: o.source, count: iters.length }, entries);
}

function roleDir(o: Resolved, role: Role): string {
  return join(o.logdir, o.prefix, o.source === 'logs' ? role : `${role}-summaries`);
}

function listLogFiles(o: Resolved, role: Role): LogFile[] {
  const names = listDir(resolve(o.cwd, roleDir(o, role)), false) ?? [];
  return names.flatMap((name) => {
    const parsed = parseLogName(name, o.source);
    return parsed ? [{ role, name, ...parsed }] : [];
  });
}

// The names of the directories (or of the other entries) in `dir`; undefined when it is not a directory.
function listDir(dir: string, directories: boolean): string[] | undefined {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter(
        (d) => (d.isDirectory() || (d.isSymbolicLink() && statSync(join(dir, d.name), { throwIfNoEntry: false })?.isDirectory() === true)) === directories,
      )
      .map((d) => d.name)
      .sort();
  } catch (error) {
    if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) return undefined;
    throw error;
  }
}

function assertPrefixDir(cwd: string, logdir: string, prefix: string): void {
  if (statSync(resolve(cwd, logdir, prefix), { throwIfNoEntry: false })?.isDirectory()) return;
  const prefixes = listDir(resolve(cwd, logdir), true);
  if (prefixes === undefined) throw new InputError(`No log directory ${logdir} in ${cwd}: run in the repository the loops write to, or pass --logdir PATH.`);
  throw new InputError(
    `No logs for prefix \`${prefix}\`: ${join(logdir, prefix)} is not a directory. Prefixes under ${logdir}: ${prefixes.join(', ') || '(none)'}.`,
  );
}

// git as the user's shell would run it (GIT_DIR and the like are followed): tail-logs only reads.
function git(cwd: string, args: readonly string[]): string {
  const failed = (said: string) => new RalphError('RALPH_GIT_FAILED', `\`git ${args.join(' ')}\` failed in ${cwd}: ${said}`, { exitCode: 1 });
  let r: ReturnType<typeof runGit>;
  try {
    r = runGit(cwd, args, { maxBuffer: 256 * 1024 * 1024, inheritLocation: true });
  } catch (error) {
    if (error instanceof GitError) throw failed(error.message);
    throw error;
  }
  if (r.code === 0) return r.stdout;
  throw failed(r.stderr.trim().split('\n')[0] || `exit ${r.code}`);
}

function assertGitRepository(cwd: string): void {
  const r = runGit(cwd, ['rev-parse', '--git-dir'], { inheritLocation: true });
  if (r.code !== 0) throw new NotAGitRepositoryError(cwd, r.stderr.trim().split('\n')[0] ?? '', 'Run `ralph tail-logs` in the repository the loops commit to.');
}

// One `git log` for every handoff subject on HEAD's history; --grep only narrows what git prints.
function readSyncCommits(cwd: string): Map<string, SyncCommit[]> {
  try {
    return indexSyncCommits(git(cwd, ['-c', 'log.showSignature=false', 'log', '--format=%h%x09%s', '--grep=^\\[SYNC i=', 'HEAD', '--']));
  } catch (error) {
    if (!hasHead(cwd)) return new Map();
    throw error;
  }
}

function hasHead(cwd: string): boolean {
  try {
    git(cwd, ['rev-parse', '--verify', '--quiet', 'HEAD']);
    return true;
  } catch {
    return false;
  }
}

// -z: names come unquoted, as they are, whatever core.quotePath says.
function lsTree(cwd: string, commit: string, path: string): string[] {
  return git(cwd, ['ls-tree', '-r', '-z', '--name-only', commit, '--', path])
    .split('\0')
    .filter((n) => n !== '');
}
