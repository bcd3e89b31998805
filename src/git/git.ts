import { existsSync, statSync, unlinkSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { NotAGitRepositoryError } from '../errors.js';
import type { FileLock } from '../store/lock.js';
import { loopsGitLock } from './lock.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { PushRefusedError, classifyPushFailure } from './push-failure.js';
import { GitError, checkGit, runGit } from './run.js';
import type { GitResult } from './run.js';

export { GitError } from './run.js';
export type { GitResult } from './run.js';

/** An index.lock older than this was left by a git that crashed; a younger one belongs to a live git. */
export const STALE_INDEX_LOCK_MS = 60_000;
/** How long a mutating command waits for a live git's index.lock before it fails. */
export const INDEX_LOCK_WAIT_MS = 10_000;
const PUSH_ATTEMPTS = 5;

/**
 * Git for the loops: every command from an argument array (never a shell string), English output,
 * no prompts. Mutating commands run under `.git/orchestrator.lock` (lock.ts: one mutex for every Ralph
 * process on this clone; stale-lock safe) and wait a bounded time for git's own `index.lock`.
 */
export class Git {
  readonly cwd: string;
  readonly gitDir: string;
  private readonly log: (line: string) => void;
  private readonly mutex: FileLock;

  constructor(cwd: string, log: (line: string) => void = () => {}) {
    this.cwd = cwd;
    this.log = log;
    const top = this.run(['rev-parse', '--git-dir']);
    if (top.code !== 0)
      throw new NotAGitRepositoryError(
        cwd,
        top.stderr.trim().split('\n')[0] ?? '',
        'Run the loops and `ralph stamp-handoff` in a clone of the shared repository.',
      );
    const dir = top.stdout.trim();
    this.gitDir = isAbsolute(dir) ? dir : join(cwd, dir);
    // Held around whole git steps (a push with its retries, a submodule update).
    this.mutex = loopsGitLock(this.gitDir);
  }

  /** Runs git; never throws for a non-zero exit. */
  run(args: string[], input?: string, env: Record<string, string> = {}): GitResult {
    return runGit(this.cwd, args, { ...(input === undefined ? {} : { input }), env });
  }

  /** Runs git and returns stdout, or throws with git's own message and what was attempted. */
  check(args: string[], what?: string): string {
    return checkGit(this.cwd, args, what);
  }

  /** Runs `body` holding the orchestrator mutex (never proceeds without it). */
  async exclusive<T>(purpose: string, body: () => T | Promise<T>): Promise<T> {
    const handle = await this.mutex.acquire(purpose);
    try {
      return await body();
    } finally {
      handle.release();
    }
  }

  /** A mutating command: waits for a live git's index.lock (bounded), removes a stale one. Call inside `exclusive`. */
  async mutate(args: string[]): Promise<GitResult> {
    const deadline = Date.now() + INDEX_LOCK_WAIT_MS;
    let delay = 50;
    for (;;) {
      this.clearStaleIndexLock();
      const r = this.run(args);
      if (r.code === 0 || !/index\.lock/.test(r.stderr)) return r;
      if (Date.now() >= deadline) {
        throw new GitError(
          `git ${args[0]} failed: ${join(this.gitDir, 'index.lock')} is held by another git for more than ${INDEX_LOCK_WAIT_MS / 1000}s. ` +
            `If no git command is running, remove it (it is removed automatically once it is ${STALE_INDEX_LOCK_MS / 1000}s old).`,
        );
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 1000);
    }
  }

  /** Removes an index.lock left by a git that crashed; returns what it did, for the log. */
  clearStaleIndexLock(): string | undefined {
    const lock = join(this.gitDir, 'index.lock');
    try {
      const age = Date.now() - statSync(lock).mtimeMs;
      if (age >= STALE_INDEX_LOCK_MS) {
        unlinkSync(lock);
        const message = `removed a stale ${lock} (${Math.round(age / 1000)}s old, left by a git that crashed)`;
        this.log(message);
        return message;
      }
    } catch {
      /* no lock */
    }
    return undefined;
  }

  async mutateOrThrow(args: string[], what?: string): Promise<string> {
    const r = await this.mutate(args);
    if (r.code !== 0) throw new GitError(`${what ?? `git ${args.join(' ')}`} failed: ${(r.stderr || r.stdout).trim()}`);
    return r.stdout;
  }

  currentBranch(): string | undefined {
    const r = this.run(['symbolic-ref', '--quiet', '--short', 'HEAD']);
    return r.code === 0 ? r.stdout.trim() : undefined;
  }

  headShort(): string {
    return this.check(['rev-parse', '--short', 'HEAD']).trim();
  }

  rebaseInProgress(): boolean {
    return existsSync(join(this.gitDir, 'rebase-merge')) || existsSync(join(this.gitDir, 'rebase-apply'));
  }

  /** Does `origin/<branch>` exist after a fetch? */
  async fetch(branch: string): Promise<boolean> {
    const r = await this.mutate(['fetch', '--quiet', 'origin', branch]);
    if (r.code === 0) return true;
    if (/couldn't find remote ref/i.test(r.stderr)) return false;
    throw new GitError(`git fetch origin ${branch} failed: ${r.stderr.trim()}. Check the remote (git remote -v) and your network or credentials.`);
  }

  /**
   * Pushes a commit that changes one file on top of origin/<branch>, without touching HEAD, the
   * index or the working tree (a temporary index): for the lease, while an agent works in this tree.
   * Returns false when the remote moved (the push was rejected).
   */
  async pushFileChange(branch: string, path: string, content: string, subject: string): Promise<boolean> {
    const tip = this.check(['rev-parse', `origin/${branch}`]).trim();
    const index = join(this.gitDir, `ralph-lease-${process.pid}.index`);
    const env = { GIT_INDEX_FILE: index };
    try {
      const blob = this.runWith(['hash-object', '-w', '--stdin'], env, content).trim();
      this.runWith(['read-tree', tip], env);
      this.runWith(['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`], env);
      const tree = this.runWith(['write-tree'], env).trim();
      const commit = this.runWith(['commit-tree', tree, '-p', tip, '-m', subject], env).trim();
      const r = this.run(['push', '--quiet', 'origin', `${commit}:refs/heads/${branch}`]);
      if (r.code === 0) return true;
      const failure = classifyPushFailure(r.stderr);
      if (failure.kind === 'behind') return false;
      const command = `git push origin ${commit.slice(0, 12)}:${branch}`;
      if (failure.kind === 'refused') throw new PushRefusedError(command, failure, 'This lease renewal was not published.');
      throw new GitError(`${command} failed: ${failure.said}`);
    } finally {
      try {
        unlinkSync(index);
      } catch {
        /* not created */
      }
    }
  }

  private runWith(args: string[], env: Record<string, string>, input?: string): string {
    const r = this.run(args, input, env);
    if (r.code !== 0) throw new GitError(`git ${args[0]} failed: ${r.stderr.trim()}`);
    return r.stdout;
  }

  /** Commits on HEAD that origin/<branch> does not have. */
  unpushed(branch: string): string[] {
    const r = this.run(['log', '--format=%s', `origin/${branch}..HEAD`]);
    return r.code === 0 ? r.stdout.split('\n').filter(Boolean) : [];
  }

  /**
   * Brings HEAD up to origin/<branch>: fast-forward, or rebase local commits onto it. A rebase that
   * fails is aborted, so HEAD and the working tree are left as they were.
   */
  async pull(branch: string, options: { autostash?: boolean } = {}): Promise<GitResult> {
    if (this.rebaseInProgress()) {
      this.log('aborting a rebase left in progress by an earlier run');
      await this.mutate(['rebase', '--abort']);
    }
    if (!(await this.fetch(branch))) return { code: 0, stdout: '', stderr: '' };
    const r = await this.mutate(['rebase', '--quiet', ...(options.autostash ? ['--autostash'] : []), `origin/${branch}`]);
    if (r.code !== 0 && this.rebaseInProgress()) await this.mutate(['rebase', '--abort']);
    return r;
  }

  /**
   * `git push origin HEAD:<branch>`, never forced. A push rejected because someone pushed first
   * fetches, lets `recheck` veto (is it still my turn?), rebases onto the remote, and tries again, a
   * bounded number of times. A push the remote refuses (a hook, a protected branch, permissions) is
   * reported at once with git's reason: pushing again cannot help.
   */
  async push(branch: string, recheck: () => string | undefined, options: { autostash?: boolean } = {}): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const r = await this.mutate(['push', '--quiet', 'origin', `HEAD:${branch}`]);
      if (r.code === 0) return;
      const failure = classifyPushFailure(r.stderr);
      const command = `git push origin HEAD:${branch}`;
      // Only someone pushing first is worth a retry; the remote's "no" is final.
      if (failure.kind === 'refused') {
        throw new PushRefusedError(
          command,
          failure,
          `My commits stay local (\`git log origin/${branch}..HEAD\`); once the remote accepts them, \`${command}\` publishes them, and a restarted loop pushes them first.`,
        );
      }
      if (failure.kind === 'failed') throw new GitError(`${command} failed: ${failure.said}`);
      if (attempt >= PUSH_ATTEMPTS) {
        throw new GitError(
          `${command} was still rejected after ${attempt} attempts: the remote branch keeps moving (someone else pushes to it all the time). Nothing was forced; rerun later.`,
        );
      }
      this.log(`push rejected (the other side pushed first); fetching and rebasing, attempt ${attempt + 1} of ${PUSH_ATTEMPTS}`);
      // What the remote now says is checked before rebasing onto it: a move that vetoes my push
      // (another actor took the turn) is reported as such, not as a rebase conflict.
      await this.fetch(branch);
      const veto = recheck();
      if (veto) throw new GitError(`not pushing: ${veto}`);
      const rebased = await this.pull(branch, options);
      if (rebased.code !== 0) {
        throw new GitError(
          `the remote moved and my commits do not rebase onto it: ${rebased.stderr.trim()}. Nothing was forced; resolve by hand (git pull --rebase origin ${branch}) and rerun.`,
        );
      }
    }
  }
}
