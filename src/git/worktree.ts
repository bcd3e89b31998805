import { existsSync, readdirSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { makePrivateDir } from '../process/private.js';
import { taskBranch } from '../queue/branch-name.js';
import type { MergeMode, TaskGitResult } from '../queue/isolation.js';
import { changedPaths, dropLeftovers } from './check-leftovers.js';
import type { FileLock } from '../store/lock.js';
import type { MergeLock } from '../store/store.js';
import { isInside, realpath, workerWorktreePath, worktreesDir } from './isolation.js';
import { BaseMerge } from './merge.js';
import type { RemoteBase } from './remote.js';
import type { Repo, WorktreeEntry } from './repo.js';
import { GitError } from './run.js';
import { WorkSaver } from './save-work.js';
import type { Logger } from './save-work.js';

export interface FinishOptions {
  taskId: string;
  type: string;
  /** How the agent's run ended: only a successful one is merged; the others' work is committed and kept on the branch. */
  ended: 'ok' | 'failed' | 'interrupted';
  finding: string;
  merge: MergeMode;
  /** On a conflict, keep the branch under another name so that the task can be redone afresh. */
  setAsideOnConflict: boolean;
  /** The attempt was stopped because its claim was taken over: with a shared base, its work is published aside. */
  claimLost?: boolean;
}

/** A base branch on a shared remote, for workers on several machines (`--isolate worktree` with `--remote`). */
export interface SharedBase {
  remote: RemoteBase;
  /** Held around a merge, one at a time across every machine (the queue's database lock). */
  lock?: MergeLock;
}

/**
 * One worker's worktree: created once and reused for every task of the worker. Each task gets its
 * branch `ralph/<id>` from the tip of the base branch (or the branch of an earlier attempt, with the
 * commits it made); whatever the agent leaves uncommitted is committed; the branch is merged into the
 * base branch under the git lock. Nothing here deletes a branch or throws away a change.
 *
 * With a `shared` base (workers on several machines, each in its own clone), the base is the
 * remote's: a task branch starts from the remote's base tip (or from the remote's task branch, for
 * a retry that another machine may have begun), is published to the remote after every attempt, and
 * is merged by a push of the base, never forced, under a lock shared by every machine.
 */
export class WorkerWorktree {
  readonly path: string;
  private readonly saver: WorkSaver;
  private readonly merging: BaseMerge;
  /** With a shared base: the remote's tip of each task branch as this clone last saw or made it. */
  private readonly published = new Map<string, string | undefined>();

  constructor(
    readonly repo: Repo,
    readonly stateDir: string,
    readonly workerId: number,
    readonly base: string,
    private readonly lock: FileLock,
    private readonly log: Logger,
    private readonly shared?: SharedBase,
  ) {
    this.path = workerWorktreePath(stateDir, workerId);
    this.saver = new WorkSaver(repo, stateDir, workerId, this.path, log);
    this.merging = new BaseMerge(repo, base, this.path, stateDir);
  }

  /** What is changed in the worktree now (before a --verify check: see check-leftovers.ts). */
  changes(): Map<string, string> {
    return changedPaths(this.repo, this.path);
  }

  /** Puts back what a check changed in the worktree since `before`; the paths put back. */
  dropCheckLeftovers(before: ReadonlyMap<string, string>): string[] {
    return dropLeftovers(this.repo, this.path, before);
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
    await this.exclusive('worktree', async () => {
      const entry = this.entry();
      if (entry && !entry.prunable) {
        this.saver.saveLeftovers(entry.path, 'left by a worker that stopped');
        return;
      }
      if (entry?.prunable) this.repo.check(['worktree', 'prune']);
      if (existsSync(this.path) && readdirSync(this.path).length > 0) {
        throw new GitError(`${this.path} exists but is not a worktree of ${this.repo.root}; move it away (it may hold work) and start again.`);
      }
      makePrivateDir(dirname(this.path));
      const tip = this.shared ? await this.shared.remote.fetchBase() : this.baseTip();
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
    return this.exclusive(`begin ${taskId}`, async () => {
      const notes: string[] = [];
      this.freeBranch(branch, notes);
      const begun = this.shared ? await this.beginShared(branch, resume, notes) : this.beginLocal(branch, resume, notes);
      return { branch, kept: begun.kept, ...(notes.length > 0 ? { note: notes.join('; ') } : {}) };
    });
  }

  /** What this worktree left uncommitted is saved, and the branch is freed from the worktree of a worker that died with it checked out. */
  private freeBranch(branch: string, notes: string[]): void {
    const mine = this.entry();
    if (!mine) throw new GitError(`the worktree ${this.path} is gone; restart the worker to recreate it`);
    const saved = this.saver.saveLeftovers(mine.path, 'left by an interrupted task');
    if (saved) notes.push(saved);
    const holder = this.repo.branchTip(branch) === undefined ? undefined : this.repo.worktrees().find((w) => w.branch === branch);
    if (!holder || realpath(holder.path) === realpath(this.path)) return;
    if (!isInside(holder.path, worktreesDir(this.stateDir))) {
      throw new GitError(
        `the branch ${branch} is checked out in ${holder.path}, which is not a Ralph worktree; check out another branch there so that the task can use it`,
      );
    }
    // An earlier attempt's worker died with the branch checked out: save what it left, then free it.
    const rescued = this.saver.saveLeftovers(holder.path, 'left by an interrupted attempt');
    if (rescued) notes.push(rescued);
    this.repo.check(['checkout', '--quiet', '--detach'], holder.path, `freeing ${branch} in ${holder.path}`);
  }

  private beginLocal(branch: string, resume: boolean, notes: string[]): { kept: number } {
    const baseTip = this.baseTip();
    const tip = this.repo.branchTip(branch);
    const unmerged = tip === undefined ? 0 : this.repo.ahead(baseTip, tip);
    if (tip !== undefined && unmerged > 0 && resume) {
      if (this.repo.currentBranch(this.path) !== branch) this.repo.check(['checkout', '--quiet', branch], this.path, `checking out ${branch}`);
      notes.unshift(`resumed ${branch} with ${unmerged} commit(s) of an earlier attempt`);
      return { kept: unmerged };
    }
    if (tip !== undefined && unmerged > 0) {
      this.detach();
      const aside = this.saver.setAside('previous', branch);
      notes.push(`an earlier ${branch} with ${unmerged} unmerged commit(s) is kept as ${aside}`);
    }
    // A new branch, or one whose commits are all in the base already: from the base tip.
    this.startBranch(branch, baseTip);
    return { kept: 0 };
  }

  /**
   * The same with the base on a shared remote: the remote's task branch (published by an attempt on
   * any machine) is what a retry resumes. Local commits the remote never got are resumed when the
   * remote has no such branch, else kept aside; so is an earlier run's unmerged branch on the remote.
   */
  private async beginShared(branch: string, resume: boolean, notes: string[]): Promise<{ kept: number }> {
    const { remote } = this.shared!;
    const baseTip = await remote.fetchBase();
    let published = await remote.fetch(branch);
    const local = this.repo.branchTip(branch);
    const unpublished = local === undefined ? 0 : this.repo.ahead(published ?? baseTip, local);
    // Commits here that continue what the remote has (a push that failed): the retry goes on from them.
    if (resume && unpublished > 0 && (published === undefined || this.repo.isAncestor(published, local!))) {
      this.repo.check(['checkout', '--quiet', branch], this.path, `checking out ${branch}`);
      this.published.set(branch, published);
      const kept = this.repo.ahead(baseTip, local!);
      notes.unshift(`resumed ${branch} with ${kept} commit(s) of an earlier attempt`);
      return { kept };
    }
    if (unpublished > 0) {
      this.detach();
      const aside = this.saver.setAside('previous', branch);
      notes.push(`${unpublished} commit(s) of an earlier ${branch} that ${remote.remote} never got are kept here as ${aside}`);
    }
    if (published !== undefined) {
      const unmerged = this.repo.ahead(baseTip, published);
      if (resume && unmerged > 0) {
        this.startBranch(branch, published);
        this.published.set(branch, published);
        notes.unshift(`resumed ${branch} from ${remote.remote} with ${unmerged} commit(s) of an earlier attempt`);
        return { kept: unmerged };
      }
      if (unmerged > 0) {
        const aside = await remote.setAside('previous', branch, published);
        notes.push(`an earlier ${branch} on ${remote.remote} with ${unmerged} unmerged commit(s) is kept there as ${aside}`);
        published = undefined;
      }
    }
    this.startBranch(branch, baseTip);
    this.published.set(branch, published);
    return { kept: 0 };
  }

  private startBranch(branch: string, at: string): void {
    this.repo.check(['checkout', '--quiet', '--no-track', '-B', branch, at], this.path, `creating the branch ${branch}`);
  }

  /**
   * Commits what the agent left, merges the branch (unless `none`), and detaches the worktree. With
   * a shared base, the branch is published to the remote first (also after a failed or interrupted
   * attempt, for the next attempt on any machine), and merged under the lock of every machine,
   * taken before this clone's (never while holding it: the other workers here go on meanwhile).
   */
  async finish(options: FinishOptions): Promise<TaskGitResult> {
    const branch = taskBranch(options.taskId);
    const subject = `ralph: ${options.taskId} (${options.type})${options.ended === 'ok' ? '' : ` [${options.ended} attempt]`}`;
    const lock = options.ended === 'ok' && options.merge !== 'none' && !options.claimLost ? this.shared?.lock : undefined;
    // A lock that cannot be had (the database lost for long) does not keep the work from being
    // committed and published: the merge alone is given up.
    let lockError: unknown;
    const merging = await lock?.acquire(`worker ${this.workerId}: merge ${options.taskId}`).catch((error: unknown) => {
      lockError = error;
      return undefined;
    });
    try {
      return await this.exclusive(`merge ${options.taskId}`, async () => {
        try {
          const problem = this.saver.collect(branch, subject, options.finding);
          if (problem) throw new GitError(problem);
          if (this.shared && options.claimLost) return await this.saveTakenOver(branch);
          if (this.shared) await this.publish(branch);
          if (lockError !== undefined) throw lockError;
          return await this.merge(branch, options);
        } finally {
          this.detach();
        }
      });
    } finally {
      await merging?.release();
    }
  }

  /** The merge of a collected branch onto the base; made again on the new tip when the base moved meanwhile. */
  private async merge(branch: string, options: FinishOptions): Promise<TaskGitResult> {
    const result: TaskGitResult = { branch };
    const remote = this.shared?.remote;
    for (let attempt = 1; ; attempt++) {
      const tip = this.repo.branchTip(branch);
      if (tip === undefined) throw new GitError(`the branch ${branch} is gone from ${this.repo.root}`);
      const baseTip = remote ? await remote.fetchBase() : this.baseTip();
      result.base_tip = baseTip;
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
      const merged = options.merge === 'rebase' ? this.merging.rebase(branch, baseTip) : this.merging.mergeCommit(branch, tip, baseTip, options.taskId);
      if ('conflict' in merged) {
        result.merge = 'conflict';
        result.conflict_paths = merged.conflict;
        if (options.setAsideOnConflict) {
          this.detach();
          result.branch = remote ? await this.setAsideShared(branch, tip) : this.saver.setAside('conflict', branch);
        }
        if (remote) result.note = `the branch is kept on ${remote.remote}: ${remote.fetchHint(result.branch)}`;
        return result;
      }
      result.commit = this.repo.branchTip(branch) ?? tip;
      const advanced = remote ? await remote.advance(merged.commit) : this.merging.advanceBase(baseTip, merged.commit);
      if (advanced === 'moved') {
        // A rebase made for the old tip is undone: the next one starts from what the remote has.
        if (remote && result.commit !== tip) this.startBranch(branch, tip);
        if (attempt < (remote ? 5 : 3)) continue;
        throw new GitError(`${this.base} kept moving while ${branch} was being merged; the branch is kept, merge it by hand`);
      }
      result.merge = 'merged';
      result.merged_into = merged.commit;
      if (advanced) result.note = advanced;
      // A rebased branch is published as merged (the lease: the tip published before the rebase).
      // The work is in the base already: a failure here is told, not the task's.
      if (remote && result.commit !== tip) {
        await this.publish(branch).catch((error: unknown) => {
          result.commit = tip;
          result.note = `${branch} on ${remote.remote} still has the commits from before the rebase: ${(error as Error).message}`;
        });
      }
      return result;
    }
  }

  /** Publishes the task branch's tip to the remote, with a lease on the tip this clone last saw there. */
  private async publish(branch: string): Promise<void> {
    const remote = this.shared!.remote;
    const tip = this.repo.branchTip(branch);
    if (tip === undefined) return;
    const expected = this.published.has(branch) ? this.published.get(branch) : await remote.fetch(branch);
    if (tip === expected) return;
    await remote.publish(branch, tip, expected);
    this.published.set(branch, tip);
  }

  /**
   * An attempt whose claim was taken over (its lease ran out) publishes its work under a
   * `ralph-saved/` name of its own, never as the task's branch: that is the new attempt's.
   */
  private async saveTakenOver(branch: string): Promise<TaskGitResult> {
    const tip = this.repo.branchTip(branch);
    const published = this.published.get(branch);
    this.published.delete(branch);
    if (tip === undefined || tip === published || (published !== undefined && this.repo.isAncestor(tip, published))) return { branch };
    // No commit of its own (nothing was done, or all of it is in the base already): nothing to keep.
    if (this.repo.isAncestor(tip, await this.shared!.remote.fetchBase())) return { branch };
    const name = await this.shared!.remote.saveAside('saved', branch, tip);
    this.log.info(`the claim on ${branch} was taken over: this attempt's work is kept on ${this.shared!.remote.remote} as ${name}`);
    return { branch: name, commit: tip, note: `this attempt's claim was taken over; its work is kept as ${name}` };
  }

  /** A conflicting branch kept under a `ralph-conflict/` name, here and on the remote, so that the task is redone afresh. */
  private async setAsideShared(branch: string, tip: string): Promise<string> {
    const name = await this.shared!.remote.setAside('conflict', branch, this.published.get(branch) ?? tip);
    this.repo.check(['branch', '-m', branch, name], this.path, `keeping ${branch} as ${name}`);
    this.published.delete(branch);
    return name;
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

  private async exclusive<T>(purpose: string, body: () => T | Promise<T>): Promise<T> {
    const handle = await this.lock.acquire(`worker ${this.workerId}: ${purpose}`);
    try {
      return await body();
    } finally {
      handle.release();
    }
  }
}
