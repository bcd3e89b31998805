import { asideBranchName } from '../queue/isolation.js';
import type { AsideReason } from '../queue/isolation.js';
import { redact } from '../redact/process.js';
import type { Repo } from './repo.js';
import { GitError } from './run.js';
import type { GitResult } from './run.js';

/** How long one fetch or push may take before it is given up (and tried again). */
const NETWORK_TIMEOUT_MS = 120_000;
/** Tries of a fetch or push that failed for another reason than a refusal (a network blip). */
const TRIES = 3;

/** Is a push's refusal a compare-and-swap loss (the remote's ref moved), rather than a failure? */
export function pushWasRejected(output: string): boolean {
  return /\[rejected\]|\(stale info\)|non-fast-forward|fetch first|failed to update ref|cannot lock ref/i.test(output);
}

/** git's own words, on one line, with any password of a remote's URL left out. */
export function said(r: GitResult): string {
  return redact((r.stderr || r.stdout).trim().split('\n').filter(Boolean).join(' / ')).replace(/(:\/\/[^/\s:@]+):[^/\s@]+@/g, '$1:***@');
}

/**
 * The base branch and the task branches on a shared git remote (`--isolate worktree` with a queue
 * on several machines): each machine's clone fetches the base, publishes its task branches, and
 * moves the remote's base by a push that is never forced (a push refused because the base moved is
 * 'moved', and the merge is made again on the new tip). A task branch is published with a lease on
 * the tip this clone last saw, so that an attempt whose claim was taken over cannot overwrite the
 * branch of the attempt that took it. Network steps do not block the worker (its heartbeat goes
 * on), are given up after two minutes, and are tried again on a failure that is not a refusal.
 */
export class RemoteBase {
  constructor(
    private readonly repo: Repo,
    readonly remote: string,
    readonly base: string,
  ) {}

  /** The remote's base tip, fetched now. */
  async fetchBase(): Promise<string> {
    const tip = await this.fetch(this.base);
    if (tip === undefined) throw new GitError(`the base branch ${this.base} is gone from the remote ${this.remote}`);
    return tip;
  }

  /** The tip of a branch on the remote, fetched now (its objects too); undefined when the remote has no such branch. */
  async fetch(branch: string): Promise<string | undefined> {
    const tracking = `refs/remotes/${this.remote}/${branch}`;
    const r = await this.network(['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', this.remote, `+refs/heads/${branch}:${tracking}`], (out) =>
      /couldn't find remote ref/i.test(out),
    );
    if (r.code !== 0) {
      if (/couldn't find remote ref/i.test(r.stderr)) {
        this.repo.run(['update-ref', '-d', tracking]);
        return undefined;
      }
      throw new GitError(`git fetch ${this.remote} ${branch} failed: ${said(r)}`);
    }
    return this.repo.check(['rev-parse', '--verify', `${tracking}^{commit}`]).trim();
  }

  /**
   * Publishes `commit` as the remote's `branch`, if the remote's branch is still at `expected`
   * (undefined: it must not exist). Throws a GitError when it moved: another attempt published there.
   */
  async publish(branch: string, commit: string, expected: string | undefined): Promise<void> {
    const r = await this.push([`--force-with-lease=refs/heads/${branch}:${expected ?? ''}`, `${commit}:refs/heads/${branch}`]);
    if (r.code === 0) return;
    if (pushWasRejected(`${r.stderr}${r.stdout}`)) {
      // Refused: by another attempt's push, or by this one's own, tried again after its answer was lost.
      if ((await this.fetch(branch).catch(() => undefined)) === commit) return;
      throw new GitError(
        `${branch} on ${this.remote} moved meanwhile (another attempt of the task published there); this attempt's work is kept on the local ${branch}`,
      );
    }
    throw new GitError(`git push ${this.remote} ${branch} failed: ${said(r)}`);
  }

  /**
   * Moves the remote's base to `commit` (which contains its tip): 'moved' when the push was refused
   * because the base moved meanwhile. A push whose answer was lost is looked up: if the base has
   * the commit, it went through.
   */
  async advance(commit: string): Promise<'moved' | undefined> {
    const r = await this.push([`${commit}:refs/heads/${this.base}`]);
    if (r.code === 0) return undefined;
    if (pushWasRejected(`${r.stderr}${r.stdout}`)) return 'moved';
    const tip = await this.fetch(this.base).catch(() => undefined);
    if (tip !== undefined && this.repo.isAncestor(commit, tip)) return undefined;
    throw new GitError(`git push ${this.remote} ${this.base} failed: ${said(r)}`);
  }

  /**
   * Keeps the remote's `branch` (at `tip`) under a `ralph-<why>/…` name and removes `branch`, in one
   * atomic push: the task can start afresh, and nothing it had is lost. Returns the new name.
   */
  async setAside(why: AsideReason, branch: string, tip: string): Promise<string> {
    const name = await this.freeName(why, branch);
    const r = await this.push([
      '--atomic',
      `--force-with-lease=refs/heads/${branch}:${tip}`,
      `--force-with-lease=refs/heads/${name}:`,
      `${tip}:refs/heads/${name}`,
      `:refs/heads/${branch}`,
    ]);
    if (r.code !== 0) throw new GitError(`keeping ${branch} as ${name} on ${this.remote} failed: ${said(r)}`);
    this.repo.run(['update-ref', '-d', `refs/remotes/${this.remote}/${branch}`]);
    return name;
  }

  /** Publishes `commit` under a new `ralph-<why>/…` name (the work of an attempt that may not publish as the task's branch). */
  async saveAside(why: AsideReason, branch: string, commit: string): Promise<string> {
    const name = await this.freeName(why, branch);
    await this.publish(name, commit, undefined);
    return name;
  }

  /** How a user gets a branch kept on the remote. */
  fetchHint(branch: string): string {
    return `git fetch ${this.remote} ${branch}:${branch}`;
  }

  /** The first `ralph-<why>/<name>-<n>` that neither the remote nor this clone has. */
  private async freeName(why: AsideReason, branch: string): Promise<string> {
    const listed = await this.network(['ls-remote', '--heads', this.remote, `refs/heads/ralph-${why}/*`]);
    if (listed.code !== 0) throw new GitError(`git ls-remote ${this.remote} failed: ${said(listed)}`);
    const taken = new Set(listed.stdout.split('\n').map((line) => line.split('\t')[1]?.replace(/^refs\/heads\//, '')));
    return asideBranchName(why, branch, (n) => taken.has(n) || this.repo.branchTip(n) !== undefined);
  }

  private push(args: string[]): Promise<GitResult> {
    return this.network(['push', '--quiet', '--no-verify', this.remote, ...args], (out) => pushWasRejected(out));
  }

  /** A fetch or push, tried again (after 1 s, then 2 s) when it failed for another reason than `final` says. */
  private async network(args: string[], final: (output: string) => boolean = () => false): Promise<GitResult> {
    for (let attempt = 1; ; attempt++) {
      const r = await this.repo.runAsync(args, NETWORK_TIMEOUT_MS);
      if (r.code === 0 || attempt >= TRIES || final(`${r.stderr}${r.stdout}`)) return r;
      await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
    }
  }
}
