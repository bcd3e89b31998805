import { realpathSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { makePrivateDir } from '../process/private.js';
import type { MergeMode } from '../queue/isolation.js';
import { writeStateGitignore } from '../store/state-ignore.js';
import { Repo } from './repo.js';
import { GitError } from './run.js';
import { said } from './remote.js';

/*
 * `--isolate worktree` as the CLI chooses it, and where it puts things: the worktrees under the state
 * directory, the state directory kept out of git, the base branch checked.
 */

/** Where the worktrees of a state directory live: `<dir>/worktrees/worker-<N>`. */
export function worktreesDir(stateDir: string): string {
  return join(resolve(stateDir), 'worktrees');
}

export function workerWorktreePath(stateDir: string, workerId: number): string {
  return join(worktreesDir(stateDir), `worker-${workerId}`);
}

/**
 * A state directory inside the repository is kept out of git by a `.gitignore` of its own that
 * ignores everything in it (`*`): queue files, logs and the worktrees never show up in `git status`
 * and are never committed. Returns the file written, if one was.
 */
export function ignoreStateDir(repo: Repo, stateDir: string): string | undefined {
  const dir = resolve(stateDir);
  makePrivateDir(dir);
  const inside = relative(repo.root, realpathSync(dir));
  if (inside.startsWith('..') || isAbsolute(inside)) return undefined;
  return writeStateGitignore(dir);
}

/**
 * Refuses to go on when the repository cannot be isolated into: the base branch must exist.
 * Returns the base branch to use (the given one, or the branch checked out in the repository).
 */
export function resolveBase(repo: Repo, base: string | undefined): string {
  const name = baseName(repo, base);
  if (repo.branchTip(name) === undefined) throw new GitError(`--base ${name}: there is no local branch of that name in ${repo.root}.`);
  return name;
}

/** `--base`, or the branch checked out in the repository. */
function baseName(repo: Repo, base: string | undefined): string {
  const name = base ?? repo.currentBranch();
  if (name === undefined) {
    throw new GitError(`--isolate worktree needs a base branch: HEAD in ${repo.root} is detached. Check out a branch or pass --base BRANCH.`);
  }
  return name;
}

export function realpath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/** Is `path` strictly inside `dir` (symbolic links resolved)? */
export function isInside(path: string, dir: string): boolean {
  const rel = relative(realpath(dir), realpath(path));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

export interface IsolationChoice {
  isolate?: 'none' | 'worktree';
  base?: string;
  merge?: MergeMode;
  onConflict?: 'keep' | 'requeue';
  /** `--remote NAME`: the base and the task branches on that remote of the clone. */
  remote?: string;
}

/** What workers are given for `--isolate worktree`. */
export interface ResolvedIsolation {
  repo: Repo;
  base: string;
  merge: MergeMode;
  onConflict: 'keep' | 'requeue';
  /** The remote the base branch is on, shared by workers on several machines. */
  remote?: string;
}

/**
 * Checks an isolation choice before anything is started: `--base`, `--merge`, `--on-conflict` and
 * `--remote` only mean something with `--isolate worktree`, which needs a repository with a commit
 * and a base branch. Workers of a queue in a database (`shared`) work on a base branch of a remote
 * (`--remote`, default `origin`), which must have it. Returns what the workers are given, or
 * undefined without isolation. Throws InputError.
 */
export async function resolveIsolation(cwd: string, choice: IsolationChoice, shared = false): Promise<ResolvedIsolation | undefined> {
  if (choice.isolate !== 'worktree') {
    if (choice.base !== undefined) throw new InputError('--base only applies with --isolate worktree.');
    if (choice.remote !== undefined) throw new InputError('--remote only applies with --isolate worktree.');
    return undefined;
  }
  try {
    const repo = Repo.open(cwd);
    const merge = choice.merge ?? 'merge';
    const onConflict = choice.onConflict ?? 'keep';
    const remote = choice.remote ?? (shared ? 'origin' : undefined);
    if (remote === undefined) return { repo, base: resolveBase(repo, choice.base), merge, onConflict };
    return { repo, base: await resolveRemoteBase(repo, remote, choice.base), merge, onConflict, remote };
  } catch (error) {
    if (error instanceof GitError) throw new InputError(error.message);
    throw error;
  }
}

/** The base branch on a remote: the remote must be one of the clone's, and have the branch (by default the one checked out now). */
export async function resolveRemoteBase(repo: Repo, remote: string, base: string | undefined): Promise<string> {
  if (repo.run(['remote', 'get-url', remote]).code !== 0) {
    throw new GitError(
      `--isolate worktree on a shared queue works through the git remote ${JSON.stringify(remote)}, which ${repo.root} does not have; clone the repository from the shared remote, or name one with --remote NAME.`,
    );
  }
  const name = baseName(repo, base);
  const listed = await repo.runAsync(['ls-remote', '--heads', remote, `refs/heads/${name}`], 60_000);
  if (listed.code !== 0) throw new GitError(`cannot reach the git remote ${remote}: ${said(listed)}`);
  if (listed.stdout.trim() === '') throw new GitError(`--base ${name}: the remote ${remote} has no branch of that name; push it there first.`);
  return name;
}
