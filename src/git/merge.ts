import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PRIVATE_FILE } from '../process/private.js';
import type { Repo } from './repo.js';
import { GitError } from './run.js';

/** A record kept while the user's checkout of the base branch lags behind the branch (it had uncommitted changes). */
interface CheckoutBehind {
  path: string;
  /** The commit the checkout's index and files still show. */
  at: string;
}

/**
 * The merge strategies of the merge queue, onto the base branch: a merge commit made without a
 * working tree, or a rebase in the worker's worktree; then the base branch moved by compare-and-swap,
 * with the user's checkout of it brought along when clean (and a side file, `checkout-behind.json`,
 * remembering what it still shows when not). Called under the git lock.
 */
export class BaseMerge {
  private readonly behindFile: string;

  constructor(
    private readonly repo: Repo,
    private readonly base: string,
    /** The worker's worktree (where a rebase runs). */
    private readonly path: string,
    stateDir: string,
  ) {
    this.behindFile = join(resolve(stateDir), 'checkout-behind.json');
  }

  /** A merge commit of the branch onto the base tip, made without any working tree (`git merge-tree`); a fast-forward when the branch already contains the tip. */
  mergeCommit(branch: string, tip: string, baseTip: string, taskId: string): { commit: string } | { conflict: string[] } {
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
  rebase(branch: string, baseTip: string): { commit: string } | { conflict: string[] } {
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
  advanceBase(from: string, commit: string): string | 'moved' | undefined {
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
}
