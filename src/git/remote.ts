import { asideBranchName } from '../queue/isolation.js';
import type { AsideReason } from '../queue/isolation.js';
import type { Repo } from './repo.js';
import { GitError } from './run.js';

/** Is a push's refusal a compare-and-swap loss (the remote's ref moved), rather than a failure? */
export function pushWasRejected(stderr: string): boolean {
  return /\[rejected\]|\(stale info\)|non-fast-forward|fetch first|failed to update ref|cannot lock ref/i.test(stderr);
}

/**
 * The base branch and the task branches on a shared git remote (`--isolate worktree` with a queue
 * on several machines): each machine's clone fetches the base, publishes its task branches, and
 * moves the remote's base by a push that is never forced (a push refused because the base moved is
 * 'moved', and the merge is made again on the new tip). A task branch is published with a lease on
 * the tip this clone last saw, so that an attempt whose claim was taken over cannot overwrite the
 * branch of the attempt that took it.
 */
export class RemoteBase {
  constructor(
    private readonly repo: Repo,
    readonly remote: string,
    readonly base: string,
  ) {}

  /** The remote's base tip, fetched now. */
  fetchBase(): string {
    const tip = this.fetch(this.base);
    if (tip === undefined) throw new GitError(`the base branch ${this.base} is gone from the remote ${this.remote}`);
    return tip;
  }

  /** The tip of a branch on the remote, fetched now (its objects too); undefined when the remote has no such branch. */
  fetch(branch: string): string | undefined {
    const tracking = `refs/remotes/${this.remote}/${branch}`;
    const r = this.repo.run(['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', this.remote, `+refs/heads/${branch}:${tracking}`]);
    if (r.code !== 0) {
      if (/couldn't find remote ref/i.test(r.stderr)) {
        this.repo.run(['update-ref', '-d', tracking]);
        return undefined;
      }
      throw new GitError(`git fetch ${this.remote} ${branch} failed: ${r.stderr.trim()}`);
    }
    return this.repo.check(['rev-parse', '--verify', `${tracking}^{commit}`]).trim();
  }

  /**
   * Publishes `commit` as the remote's `branch`, if the remote's branch is still at `expected`
   * (undefined: it must not exist). Throws a GitError when it moved: another attempt published there.
   */
  publish(branch: string, commit: string, expected: string | undefined): void {
    const r = this.push([`--force-with-lease=refs/heads/${branch}:${expected ?? ''}`, `${commit}:refs/heads/${branch}`]);
    if (r.code === 0) return;
    if (pushWasRejected(`${r.stderr}${r.stdout}`)) {
      throw new GitError(
        `${branch} on ${this.remote} moved meanwhile (another attempt of the task published there); this attempt's work is kept on the local ${branch}`,
      );
    }
    throw new GitError(`git push ${this.remote} ${branch} failed: ${r.stderr.trim()}`);
  }

  /** Moves the remote's base to `commit` (which contains its tip): 'moved' when the push was refused because the base moved meanwhile. */
  advance(commit: string): 'moved' | undefined {
    const r = this.push([`${commit}:refs/heads/${this.base}`]);
    if (r.code === 0) return undefined;
    if (pushWasRejected(`${r.stderr}${r.stdout}`)) return 'moved';
    throw new GitError(`git push ${this.remote} ${this.base} failed: ${r.stderr.trim()}`);
  }

  /**
   * Keeps the remote's `branch` (at `tip`) under a `ralph-<why>/…` name and removes `branch`, in one
   * atomic push: the task can start afresh, and nothing it had is lost. Returns the new name.
   */
  setAside(why: AsideReason, branch: string, tip: string): string {
    const listed = this.repo.run(['ls-remote', '--heads', this.remote, `refs/heads/ralph-${why}/*`]);
    if (listed.code !== 0) throw new GitError(`git ls-remote ${this.remote} failed: ${listed.stderr.trim()}`);
    const taken = new Set(listed.stdout.split('\n').map((line) => line.split('\t')[1]?.replace(/^refs\/heads\//, '')));
    const name = asideBranchName(why, branch, (n) => taken.has(n) || this.repo.branchTip(n) !== undefined);
    const r = this.push([
      '--atomic',
      `--force-with-lease=refs/heads/${branch}:${tip}`,
      `--force-with-lease=refs/heads/${name}:`,
      `${tip}:refs/heads/${name}`,
      `:refs/heads/${branch}`,
    ]);
    if (r.code !== 0) throw new GitError(`keeping ${branch} as ${name} on ${this.remote} failed: ${r.stderr.trim()}`);
    this.repo.run(['update-ref', '-d', `refs/remotes/${this.remote}/${branch}`]);
    return name;
  }

  /** How a user gets a branch kept on the remote. */
  fetchHint(branch: string): string {
    return `git fetch ${this.remote} ${branch}:${branch}`;
  }

  private push(args: string[]) {
    return this.repo.run(['push', '--quiet', '--no-verify', this.remote, ...args]);
  }
}
