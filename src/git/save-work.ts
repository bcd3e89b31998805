import { existsSync, unlinkSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { asideBranchName } from '../queue/isolation.js';
import type { AsideReason } from '../queue/isolation.js';
import type { Repo } from './repo.js';

export interface Logger {
  info(line: string): void;
}

/**
 * Nothing an agent did in a worktree is lost: what it left uncommitted is committed on its task
 * branch, and a state that cannot go there (an operation left unfinished, another branch, a detached
 * HEAD with commits the branch lacks) is saved whole as a `ralph-saved/…` branch before the worktree
 * is cleaned. Branches are set aside (`ralph-previous/…`, `ralph-conflict/…`), never deleted.
 */
export class WorkSaver {
  constructor(
    private readonly repo: Repo,
    private readonly stateDir: string,
    private readonly workerId: number,
    /** The worker's worktree. */
    private readonly path: string,
    private readonly log: Logger,
  ) {}

  /**
   * Brings what the agent did onto the task branch: what it left uncommitted is committed there. If
   * it left an operation unfinished (a merge, rebase, cherry-pick or revert), or left the task
   * branch for another branch or a detached HEAD with commits the branch lacks, its whole state is
   * saved as a `ralph-saved/…` branch instead, the worktree is cleaned, and the returned problem
   * fails the run: such work is kept, never merged unseen.
   */
  collect(branch: string, subject: string, finding: string): string | undefined {
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
  saveLeftovers(path: string, why: string): string | undefined {
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
  keep(why: AsideReason, branch: string, commit: string): string {
    const name = asideBranchName(why, branch, (n) => this.repo.branchTip(n) !== undefined);
    this.repo.check(['update-ref', `refs/heads/${name}`, commit, '']);
    return name;
  }

  /** Renames a branch to `ralph-<why>/…` (it must not be checked out) and returns the new name. */
  setAside(why: AsideReason, branch: string): string {
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
  clean(path: string): void {
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
}
