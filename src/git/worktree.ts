// biome-ignore-all lint/style/noExcessiveLinesPerFile: to be split into worktree, merge and isolation (issue 15, point 6)
import { existsSync, readdirSync, readFileSync, realpathSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { asideBranchName } from '../queue/isolation.js';
import { taskBranch } from '../queue/branch-name.js';
import type { AsideReason } from '../queue/isolation.js';
import type { MergeMode, TaskGitResult } from '../queue/isolation.js';
import { InputError } from '../errors.js';
import { FileLock } from '../store/lock.js';
import { PRIVATE_FILE, makePrivateDir } from '../process/private.js';
import { writeStateGitignore } from '../store/state-ignore.js';
import { GitError } from './run.js';
import { Repo } from './repo.js';
import type { WorktreeEntry } from './repo.js';

/** Where the worktrees of a state directory live: `<dir>/worktrees/worker-<N>`. */
export function worktreesDir(stateDir: string): string {
  return join(resolve(stateDir), 'worktrees');
}

export function workerWorktreePath(stateDir: string, workerId: number): string {
  return join(worktreesDir(stateDir), `worker-${workerId}`);
}

/** The lock that lets one Ralph process at a time create branches, move them between worktrees or merge. */
export function gitLock(stateDir: string): FileLock {
  return new FileLock(join(resolve(stateDir), 'git.lock'), { leaseMs: 300_000, timeoutMs: 900_000 });
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
  const name = base ?? repo.currentBranch();
  if (name === undefined) {
    throw new GitError(`--isolate worktree needs a base branch: HEAD in ${repo.root} is detached. Check out a branch or pass --base BRANCH.`);
  }
  if (repo.branchTip(name) === undefined) throw new GitError(`--base ${name}: there is no local branch of that name in ${repo.root}.`);
  return name;
}

export interface Logger {
  info(line: string): void;
}

export interface FinishOptions {
  taskId: string;
  type: string;
  /** How the agent's run ended: only a successful one is merged; the others' work is committed and kept on the branch. */
  ended: 'ok' | 'failed' | 'interrupted';
  finding: string;
  merge: MergeMode;
  /** On a conflict, keep the branch under another name so that the task can be redone afresh. */
  setAsideOnConflict: boolean;
}

/** A record kept while the user's checkout of the base branch lags behind the branch (it had uncommitted changes). */
interface CheckoutBehind {
  path: string;
  /** The commit the checkout's index and files still show. */
  at: string;
}

/**
 * One worker's worktree: created once and reused for every task of the worker. Each task gets its
 * branch `ralph/<id>` from the tip of the base branch (or the branch of an earlier attempt, with the
 * commits it made); whatever the agent leaves uncommitted is committed; the branch is merged into the
 * base branch under the git lock. Nothing here deletes a branch or throws away a change.
 */
export class WorkerWorktree {
  readonly path: string;
  private readonly behindFile: string;

  constructor(
    readonly repo: Repo,
    readonly stateDir: string,
    readonly workerId: number,
    readonly base: string,
    private readonly lock: FileLock,
    private readonly log: Logger,
  ) {
    this.path = workerWorktreePath(stateDir, workerId);
    this.behindFile = join(resolve(stateDir), 'checkout-behind.json');
  }

  /** Where in the worktree an agent runs: the same subdirectory as `cwd` in the repository, when it exists there. */
  cwdFor(cwd: string): string {
    const sub = relative(this.repo.root, realpath(cwd));
    if (sub === '' || sub.startsWith('..') || isAbsolute(sub)) return this.path;
    const inside = join(this.path, sub);
    return existsSync(inside) ? inside : this.path;
  }

  /** Creates the worktree, or reuses the one an earlier worker with this id left (saving what it left uncommitted). */
  async ensure(): Promise<void> {
    await this.exclusive('worktree', () => {
      const entry = this.entry();
      if (entry && !entry.prunable) {
        this.saveLeftovers(entry.path, 'left by a worker that stopped');
        return;
      }
      if (entry?.prunable) this.repo.check(['worktree', 'prune']);
      if (existsSync(this.path) && readdirSync(this.path).length > 0) {
        throw new GitError(`${this.path} exists but is not a worktree of ${this.repo.root}; move it away (it may hold work) and start again.`);
      }
      makePrivateDir(dirname(this.path));
      const tip = this.baseTip();
      this.repo.check(['worktree', 'add', '--quiet', '--detach', this.path, tip], this.repo.root, `creating the worktree ${this.path}`);
      this.log.info(`worktree ${this.path} created at ${this.base} (${tip.slice(0, 12)})`);
    });
  }

  /**
   * Puts the worktree on the task's branch. With `resume` (a retry of the task), an existing branch
   * and the commits of the earlier attempt are taken over, from another worker's worktree if need
   * be. Otherwise an existing branch with unmerged commits (an earlier run's task of the same id) is
   * kept as `ralph-previous/…`, and the task starts on a new branch from the base tip.
   */
  async begin(taskId: string, resume: boolean): Promise<{ branch: string; kept: number; note?: string }> {
    const branch = taskBranch(taskId);
    return this.exclusive(`begin ${taskId}`, () => {
      const mine = this.entry();
      if (!mine) throw new GitError(`the worktree ${this.path} is gone; restart the worker to recreate it`);
      const notes: string[] = [];
      const saved = this.saveLeftovers(mine.path, 'left by an interrupted task');
      if (saved) notes.push(saved);
      const baseTip = this.baseTip();
      const tip = this.repo.branchTip(branch);
      const holder = tip === undefined ? undefined : this.repo.worktrees().find((w) => w.branch === branch);
      if (holder && realpath(holder.path) !== realpath(this.path)) {
        if (!isInside(holder.path, worktreesDir(this.stateDir))) {
          throw new GitError(
            `the branch ${branch} is checked out in ${holder.path}, which is not a Ralph worktree; check out another branch there so that the task can use it`,
          );
        }
        // An earlier attempt's worker died with the branch checked out: save what it left, then free it.
        const rescued = this.saveLeftovers(holder.path, 'left by an interrupted attempt');
        if (rescued) notes.push(rescued);
        this.repo.check(['checkout', '--quiet', '--detach'], holder.path, `freeing ${branch} in ${holder.path}`);
      }
      const unmerged = tip === undefined ? 0 : this.repo.ahead(baseTip, tip);
      if (tip !== undefined && unmerged > 0 && resume) {
        if (this.repo.currentBranch(this.path) !== branch) this.repo.check(['checkout', '--quiet', branch], this.path, `checking out ${branch}`);
        notes.unshift(`resumed ${branch} with ${unmerged} commit(s) of an earlier attempt`);
        return { branch, kept: unmerged, note: notes.join('; ') };
      }
      if (tip !== undefined && unmerged > 0) {
        this.detach();
        const aside = this.setAside('previous', branch);
        notes.push(`an earlier ${branch} with ${unmerged} unmerged commit(s) is kept as ${aside}`);
      }
      // A new branch, or one whose commits are all in the base already: from the base tip.
      this.repo.check(['checkout', '--quiet', '--no-track', '-B', branch, baseTip], this.path, `creating the branch ${branch}`);
      return { branch, kept: 0, ...(notes.length > 0 ? { note: notes.join('; ') } : {}) };
    });
  }

  /** Commits what the agent left, merges the branch (unless `none`), and detaches the worktree. */
  async finish(options: FinishOptions): Promise<TaskGitResult> {
    const branch = taskBranch(options.taskId);
    const subject = `ralph: ${options.taskId} (${options.type})${options.ended === 'ok' ? '' : ` [${options.ended} attempt]`}`;
    const result: TaskGitResult = { branch };
    return this.exclusive(`merge ${options.taskId}`, () => {
      try {
        const problem = this.collect(branch, subject, options.finding);
        if (problem) throw new GitError(problem);
        // The user may commit to the base branch meanwhile: then the merge is made again on the new tip.
        for (let attempt = 1; ; attempt++) {
          const tip = this.repo.branchTip(branch);
          if (tip === undefined) throw new GitError(`the branch ${branch} is gone from ${this.repo.root}`);
          const baseTip = this.baseTip();
          result.files_changed = this.repo.filesChanged(baseTip, tip);
          if (this.repo.ahead(baseTip, tip) > 0) result.commit = tip;
          if (options.ended !== 'ok') return result;
          if (result.commit === undefined) {
            result.merge = 'merged';
            return result;
          }
          if (options.merge === 'none') {
            result.merge = 'skipped';
            return result;
          }
          const merged = options.merge === 'rebase' ? this.rebase(branch, baseTip) : this.mergeCommit(branch, tip, baseTip, options.taskId);
          if ('conflict' in merged) {
            result.merge = 'conflict';
            result.conflict_paths = merged.conflict;
            if (options.setAsideOnConflict) {
              this.detach();
              result.branch = this.setAside('conflict', branch);
            }
            return result;
          }
          result.commit = this.repo.branchTip(branch) ?? tip;
          const advanced = this.advanceBase(baseTip, merged.commit);
          if (advanced === 'moved') {
            if (attempt < 3) continue;
            throw new GitError(`${this.base} kept moving while ${branch} was being merged; the branch is kept, merge it by hand`);
          }
          result.merge = 'merged';
          result.merged_into = merged.commit;
          if (advanced) result.note = advanced;
          return result;
        }
      } finally {
        this.detach();
      }
    });
  }

  /** A merge commit of the branch onto the base tip, made without any working tree (`git merge-tree`); a fast-forward when the branch already contains the tip. */
  private mergeCommit(branch: string, tip: string, baseTip: string, taskId: string): { commit: string } | { conflict: string[] } {
    if (this.repo.isAncestor(baseTip, tip)) return { commit: tip };
    const r = this.repo.run(['merge-tree', '--write-tree', '--name-only', '--no-messages', '-z', baseTip, tip]);
    const lines = r.stdout.split('\0').filter(Boolean);
    if (r.code === 1) return { conflict: lines.slice(1) };
    if (r.code !== 0 || !lines[0]) throw new GitError(`git merge-tree ${this.base} ${branch} failed: ${r.stderr.trim()}`);
    const commit = this.repo
      .check(['commit-tree', lines[0], '-p', baseTip, '-p', tip, '-F', '-'], this.repo.root, `the merge commit of ${branch}`, {
        input: `ralph: merge ${branch} (${taskId}) into ${this.base}\n`,
        env: this.repo.commitEnv(),
      })
      .trim();
    return { commit };
  }

  /** Rebases the branch onto the base tip in this worktree; a conflict aborts the rebase and leaves the branch as it was. */
  private rebase(branch: string, baseTip: string): { commit: string } | { conflict: string[] } {
    if (this.repo.currentBranch(this.path) !== branch) this.repo.check(['checkout', '--quiet', branch], this.path);
    const r = this.repo.run(['rebase', '--quiet', '--no-autostash', baseTip], this.path, { env: this.repo.commitEnv() });
    if (r.code === 0) return { commit: this.repo.check(['rev-parse', 'HEAD'], this.path).trim() };
    const paths = this.repo.run(['diff', '--name-only', '-z', '--diff-filter=U'], this.path).stdout.split('\0').filter(Boolean);
    this.repo.run(['rebase', '--abort'], this.path);
    if (paths.length === 0) throw new GitError(`git rebase ${this.base} failed on ${branch}: ${(r.stderr || r.stdout).trim()}`);
    return { conflict: paths };
  }

  /**
   * Moves the base branch from `from` to `commit` (compare-and-swap: 'moved' when someone else moved
   * it meanwhile). A checkout of the base branch (the user's) is brought along when it is clean; with
   * uncommitted changes only the branch moves, its files are not touched, and the note says so.
   */
  private advanceBase(from: string, commit: string): string | 'moved' | undefined {
    const holder = this.repo.worktrees().find((w) => w.branch === this.base && !w.bare);
    // What the checkout's index shows: the branch tip, unless an earlier merge left it behind (and
    // the user did not bring it up by hand since). With changes staged, the record is believed.
    const recorded = holder ? this.readBehind(holder.path) : undefined;
    const matched = holder ? [from, recorded].find((c) => c !== undefined && this.indexMatches(holder.path, c)) : from;
    const shows = matched ?? recorded ?? from;
    // Clean: nothing staged (the index is exactly a commit) and no unstaged change to a tracked file.
    // Untracked files do not count: the two-tree `read-tree -m -u` below refuses to overwrite one.
    const clean = !holder || (matched !== undefined && this.worktreeMatchesIndex(holder.path));
    if (this.repo.run(['update-ref', '-m', 'ralph: merge', `refs/heads/${this.base}`, commit, from]).code !== 0) return 'moved';
    if (!holder) return undefined;
    if (clean && this.repo.run(['read-tree', '-m', '-u', shows, commit], holder.path).code === 0) {
      this.clearBehind();
      return undefined;
    }
    this.writeBehind({ path: holder.path, at: shows });
    return (
      `${holder.path} has uncommitted changes (or an untracked file in the way), so its files were left as they were: ${this.base} moved to ${commit.slice(0, 12)} ` +
      `but that checkout still shows ${shows.slice(0, 12)}. Ralph brings it up to date at a later merge once it is clean, or run ` +
      `\`git -C ${holder.path} read-tree -m -u ${shows.slice(0, 12)} ${this.base}\` (it keeps your changes, and refuses if they overlap).`
    );
  }

  private indexMatches(path: string, commit: string): boolean {
    return this.repo.run(['diff-index', '--quiet', '--cached', commit, '--'], path).code === 0;
  }

  /** No unstaged change to a tracked file. */
  private worktreeMatchesIndex(path: string): boolean {
    this.repo.run(['update-index', '-q', '--refresh'], path);
    return this.repo.run(['diff-files', '--quiet'], path).code === 0;
  }

  private readBehind(path: string): string | undefined {
    try {
      const record = JSON.parse(readFileSync(this.behindFile, 'utf8')) as CheckoutBehind;
      return record.path === path && typeof record.at === 'string' ? record.at : undefined;
    } catch {
      return undefined;
    }
  }

  private writeBehind(record: CheckoutBehind): void {
    writeFileSync(this.behindFile, `${JSON.stringify(record, null, 2)}\n`, { mode: PRIVATE_FILE });
  }

  private clearBehind(): void {
    rmSync(this.behindFile, { force: true });
  }

  /**
   * Brings what the agent did onto the task branch: what it left uncommitted is committed there. If
   * it left an operation unfinished (a merge, rebase, cherry-pick or revert), or left the task
   * branch for another branch or a detached HEAD with commits the branch lacks, its whole state is
   * saved as a `ralph-saved/…` branch instead, the worktree is cleaned, and the returned problem
   * fails the run: such work is kept, never merged unseen.
   */
  private collect(branch: string, subject: string, finding: string): string | undefined {
    const ops = this.unfinished(this.path);
    if (ops.length > 0) {
      const saved = this.saveAside(this.path, `the agent left a ${ops.join(' and ')} unfinished`);
      return `the agent left a ${ops.join(' and ')} unfinished in its worktree; its state (conflict markers and all) is saved as ${saved}, nothing was merged`;
    }
    const head = this.repo.currentBranch(this.path);
    if (head === branch) {
      this.repo.commitAll(this.path, subject, finding || undefined);
      return undefined;
    }
    // The agent switched to another branch or detached HEAD: its commits, and what it left
    // uncommitted, go onto the task branch if they continue it; otherwise they are saved aside.
    const tip = this.repo.branchTip(branch);
    const work = this.repo.isDirty(this.path)
      ? this.snapshot(this.path, `${subject} (left ${head ? `on ${head}` : 'on a detached HEAD'})`)
      : this.headCommit(this.path);
    if (tip !== undefined && (work === tip || this.repo.isAncestor(work, tip))) {
      this.clean(this.path);
      return undefined;
    }
    if (tip !== undefined && this.repo.isAncestor(tip, work)) {
      this.repo.check(['update-ref', `refs/heads/${branch}`, work, tip]);
      this.clean(this.path);
      this.log.info(`the agent left ${branch} (HEAD ${head ? `on ${head}` : 'detached'}); its commits continue the branch and were put on it`);
      return undefined;
    }
    const saved = this.keep('saved', branch, work);
    this.clean(this.path);
    return `the agent left the task branch ${branch} (HEAD ${head ? `on ${head}` : 'detached'}) with work that does not continue it; that work is saved as ${saved}, nothing was merged`;
  }

  /**
   * Makes sure a worktree holds nothing uncommitted before it is used again. On a task branch
   * (`ralph/…`) with no operation unfinished, that is a commit there; anything else (a detached HEAD,
   * another branch, a merge or rebase left in progress) is saved whole as a `ralph-saved/…` branch
   * and the worktree cleaned. Returns what it did, for the log.
   */
  private saveLeftovers(path: string, why: string): string | undefined {
    const ops = this.unfinished(path);
    const head = this.repo.currentBranch(path);
    if (ops.length === 0 && !this.repo.isDirty(path)) return undefined;
    if (ops.length === 0 && head?.startsWith('ralph/')) {
      const commit = this.repo.commitAll(path, `ralph: uncommitted work ${why}`, `Saved by ralph worker ${this.workerId} from ${path}.`);
      const line = `saved uncommitted work ${why} in ${path} as ${commit?.slice(0, 12)} on ${head}`;
      this.log.info(line);
      return line;
    }
    const saved = this.saveAside(path, why);
    const line = `saved the state ${why} in ${path}${ops.length > 0 ? ` (a ${ops.join(' and ')} unfinished)` : ''} as ${saved}`;
    this.log.info(line);
    return line;
  }

  /** Saves a worktree's whole state (on top of its HEAD) as `ralph-saved/…`, then aborts what is unfinished and cleans it. */
  private saveAside(path: string, why: string): string {
    const head = this.repo.currentBranch(path);
    const commit = this.snapshot(path, `ralph: ${why}`);
    const saved = this.keep('saved', head?.startsWith('ralph/') ? head : `ralph/worker-${this.workerId}`, commit);
    for (const op of this.unfinished(path)) {
      if (op !== 'unmerged paths') this.repo.run([op, '--abort'], path);
    }
    this.clean(path);
    return saved;
  }

  /** Keeps `commit` under `ralph-<why>/<name>-<n>` and returns that branch. */
  private keep(why: AsideReason, branch: string, commit: string): string {
    const name = asideBranchName(why, branch, (n) => this.repo.branchTip(n) !== undefined);
    this.repo.check(['update-ref', `refs/heads/${name}`, commit, '']);
    return name;
  }

  /** Renames a branch to `ralph-<why>/…` (it must not be checked out) and returns the new name. */
  private setAside(why: AsideReason, branch: string): string {
    const name = asideBranchName(why, branch, (n) => this.repo.branchTip(n) !== undefined);
    this.repo.check(['branch', '-m', branch, name], this.path, `keeping ${branch} as ${name}`);
    return name;
  }

  /**
   * A commit of the whole working tree (tracked files and untracked ones that are not ignored, as
   * they are, conflict markers included) on top of HEAD, made with a temporary index: HEAD, the
   * index and the files are not touched.
   */
  private snapshot(path: string, message: string): string {
    const index = join(resolve(this.stateDir), `snapshot-${process.pid}-${this.workerId}.index`);
    const env = { GIT_INDEX_FILE: index };
    const head = this.headCommit(path);
    try {
      this.repo.check(['read-tree', head], path, 'snapshot', { env });
      this.repo.check(['add', '-A'], path, 'snapshot', { env });
      const tree = this.repo.check(['write-tree'], path, 'snapshot', { env }).trim();
      return this.repo
        .check(['commit-tree', tree, '-p', head, '-F', '-'], path, 'snapshot', { env: { ...env, ...this.repo.commitEnv() }, input: `${message}\n` })
        .trim();
    } finally {
      try {
        unlinkSync(index);
      } catch {
        /* not made */
      }
    }
  }

  /** Back to HEAD with no change and no untracked file (ignored files stay): only after the state was saved. */
  private clean(path: string): void {
    this.repo.run(['reset', '--quiet', '--hard'], path);
    this.repo.run(['clean', '-fdq'], path);
  }

  private headCommit(path: string): string {
    return this.repo.check(['rev-parse', 'HEAD'], path).trim();
  }

  /** Git operations left unfinished in a worktree: merge, rebase, cherry-pick, revert (or paths still unmerged). */
  private unfinished(path: string): string[] {
    const gitDir = this.gitDirOf(path);
    const ops: string[] = [];
    if (existsSync(join(gitDir, 'MERGE_HEAD'))) ops.push('merge');
    if (existsSync(join(gitDir, 'rebase-merge')) || existsSync(join(gitDir, 'rebase-apply'))) ops.push('rebase');
    if (existsSync(join(gitDir, 'CHERRY_PICK_HEAD'))) ops.push('cherry-pick');
    if (existsSync(join(gitDir, 'REVERT_HEAD'))) ops.push('revert');
    if (ops.length === 0 && this.repo.check(['ls-files', '--unmerged'], path).trim() !== '') ops.push('unmerged paths');
    return ops;
  }

  private readonly gitDirs = new Map<string, string>();

  private gitDirOf(path: string): string {
    let dir = this.gitDirs.get(path);
    if (dir === undefined) {
      const out = this.repo.check(['rev-parse', '--git-dir'], path).trim();
      dir = isAbsolute(out) ? out : resolve(path, out);
      this.gitDirs.set(path, dir);
    }
    return dir;
  }

  private detach(): void {
    this.repo.run(['checkout', '--quiet', '--detach'], this.path);
  }

  private baseTip(): string {
    const tip = this.repo.branchTip(this.base);
    if (tip === undefined) throw new GitError(`the base branch ${this.base} is gone from ${this.repo.root}`);
    return tip;
  }

  private entry(): WorktreeEntry | undefined {
    const want = realpath(this.path);
    return this.repo.worktrees().find((w) => realpath(w.path) === want);
  }

  private async exclusive<T>(purpose: string, body: () => T): Promise<T> {
    const handle = await this.lock.acquire(`worker ${this.workerId}: ${purpose}`);
    try {
      return body();
    } finally {
      handle.release();
    }
  }
}

function realpath(path: string): string {
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
}

/**
 * Checks an isolation choice before anything is started: `--base`, `--merge` and `--on-conflict`
 * only mean something with `--isolate worktree`, which needs a repository with a commit and a base
 * branch. Returns what the workers are given, or undefined without isolation. Throws InputError.
 */
export function resolveIsolation(
  cwd: string,
  choice: IsolationChoice,
): { repo: Repo; base: string; merge: MergeMode; onConflict: 'keep' | 'requeue' } | undefined {
  if (choice.isolate !== 'worktree') {
    if (choice.base !== undefined) throw new InputError('--base only applies with --isolate worktree.');
    return undefined;
  }
  try {
    const repo = Repo.open(cwd);
    return { repo, base: resolveBase(repo, choice.base), merge: choice.merge ?? 'merge', onConflict: choice.onConflict ?? 'keep' };
  } catch (error) {
    if (error instanceof GitError) throw new InputError(error.message);
    throw error;
  }
}
