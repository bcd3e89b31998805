import { realpathSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { NotAGitRepositoryError } from '../errors.js';
import { GitError, checkGit, runGit, runGitAsync } from './run.js';
import type { GitResult, GitRunOptions } from './run.js';

/** One entry of `git worktree list --porcelain`. */
export interface WorktreeEntry {
  path: string;
  head: string;
  /** Short branch name, absent when HEAD is detached. */
  branch?: string;
  bare: boolean;
  prunable: boolean;
}

/** Keeps every git that Ralph itself runs from packing or collecting while workers run side by side. */
const QUIET_CONFIG = ['-c', 'gc.auto=0', '-c', 'maintenance.auto=false', '-c', 'advice.detachedHead=false'];

/** A transfer slower than 1 KB/s for a minute is dropped (https). */
const NETWORK_CONFIG = ['-c', 'http.lowSpeedLimit=1000', '-c', 'http.lowSpeedTime=60'];
/** ssh for Ralph's own fetches and pushes: no prompts, and a dead connection found within a minute. */
const NETWORK_SSH = 'ssh -o BatchMode=yes -o ConnectTimeout=30 -o ServerAliveInterval=15 -o ServerAliveCountMax=4';

/** A repository with at least one commit, found from a directory inside it. */
export class Repo {
  /** The top of the working tree the repository was found from. */
  readonly root: string;
  /** The shared `.git` directory (also for a linked worktree). */
  readonly commonDir: string;
  private identity: Record<string, string> | undefined;
  private ssh: Record<string, string> | undefined;

  private constructor(root: string, commonDir: string) {
    this.root = root;
    this.commonDir = commonDir;
  }

  /**
   * The repository `cwd` is in; a clear error when it is not in one or it has no commit yet. `hint`:
   * what to do when it is not in one.
   */
  static open(cwd: string, hint = '--isolate worktree needs one: run `git init` and commit, or run without --isolate.'): Repo {
    const top = runGit(cwd, ['rev-parse', '--show-toplevel', '--git-common-dir']);
    if (top.code !== 0) throw new NotAGitRepositoryError(cwd, top.stderr.trim().split('\n')[0] ?? '', hint);
    const [root, common] = top.stdout.trim().split('\n');
    if (!root || !common) throw new GitError(`--isolate worktree needs a working tree: ${cwd} is inside a bare repository.`);
    if (runGit(root, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']).code !== 0) {
      throw new GitError(`--isolate worktree needs a repository with at least one commit; ${root} has none yet. Commit something first.`);
    }
    return new Repo(realpathSync(root), realpathSync(isAbsolute(common) ? common : resolve(root, common)));
  }

  run(args: readonly string[], cwd: string = this.root, options: GitRunOptions = {}): GitResult {
    return runGit(cwd, [...QUIET_CONFIG, ...args], options);
  }

  /**
   * git that talks to a remote: without blocking, and given up after `timeoutMs`. A connection
   * that stalls is dropped (http low-speed limit; ssh keepalives) and ssh never asks for anything,
   * unless the user set up ssh for git already (GIT_SSH_COMMAND, GIT_SSH, core.sshCommand).
   */
  runAsync(args: readonly string[], timeoutMs: number, cwd: string = this.root): Promise<GitResult> {
    this.ssh ??=
      process.env.GIT_SSH_COMMAND !== undefined || process.env.GIT_SSH !== undefined || this.run(['config', '--get', 'core.sshCommand']).code === 0
        ? {}
        : { GIT_SSH_COMMAND: NETWORK_SSH };
    return runGitAsync(cwd, [...QUIET_CONFIG, ...NETWORK_CONFIG, ...args], timeoutMs, { env: this.ssh });
  }

  check(args: readonly string[], cwd: string = this.root, what?: string, options: GitRunOptions = {}): string {
    return checkGit(cwd, [...QUIET_CONFIG, ...args], what ?? `git ${args.join(' ')}`, options);
  }

  /** The branch checked out in `cwd`, or undefined when HEAD is detached. */
  currentBranch(cwd: string = this.root): string | undefined {
    const r = this.run(['symbolic-ref', '--quiet', '--short', 'HEAD'], cwd);
    return r.code === 0 ? r.stdout.trim() : undefined;
  }

  /** The commit a local branch points at, or undefined when there is no such branch. */
  branchTip(branch: string): string | undefined {
    const r = this.run(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`]);
    return r.code === 0 ? r.stdout.trim() : undefined;
  }

  /** Is `ancestor` reachable from `commit`? */
  isAncestor(ancestor: string, commit: string): boolean {
    return this.run(['merge-base', '--is-ancestor', ancestor, commit]).code === 0;
  }

  /** How many commits `tip` has that `base` does not. */
  ahead(base: string, tip: string): number {
    return Number(this.check(['rev-list', '--count', `${base}..${tip}`]).trim()) || 0;
  }

  /** Files that differ between the merge base of `base` and `tip`, and `tip`. */
  filesChanged(base: string, tip: string): string[] {
    return this.check(['diff', '--name-only', '-z', `${base}...${tip}`])
      .split('\0')
      .filter(Boolean);
  }

  /** Uncommitted changes in a working tree, untracked files included (ignored ones not). */
  isDirty(path: string): boolean {
    return this.check(['status', '--porcelain', '--untracked-files=all'], path).trim() !== '';
  }

  worktrees(): WorktreeEntry[] {
    const out = this.check(['worktree', 'list', '--porcelain']);
    const entries: WorktreeEntry[] = [];
    let current: WorktreeEntry | undefined;
    for (const line of out.split('\n')) {
      if (line.startsWith('worktree ')) {
        current = { path: line.slice('worktree '.length), head: '', bare: false, prunable: false };
        entries.push(current);
      } else if (!current) continue;
      else if (line.startsWith('HEAD ')) current.head = line.slice(5);
      else if (line.startsWith('branch ')) current.branch = line.slice(7).replace(/^refs\/heads\//, '');
      else if (line === 'bare') current.bare = true;
      else if (line.startsWith('prunable')) current.prunable = true;
    }
    return entries;
  }

  /** Author and committer for Ralph's own commits when the repository names none (user.email unset). */
  commitEnv(): Record<string, string> {
    if (this.identity) return this.identity;
    const configured = this.run(['config', 'user.email']).code === 0 && this.run(['config', 'user.name']).code === 0;
    this.identity = configured
      ? {}
      : {
          GIT_AUTHOR_NAME: 'ralph',
          GIT_AUTHOR_EMAIL: 'ralph@localhost',
          GIT_COMMITTER_NAME: 'ralph',
          GIT_COMMITTER_EMAIL: 'ralph@localhost',
        };
    return this.identity;
  }

  /** Adds everything in the working tree at `path` and commits it; returns the new commit, or undefined when there was nothing. */
  commitAll(path: string, subject: string, body?: string): string | undefined {
    if (!this.isDirty(path)) return undefined;
    this.check(['add', '-A'], path);
    const message = body ? `${subject}\n\n${body}` : subject;
    this.check(['commit', '--quiet', '--no-verify', '-F', '-'], path, `committing in ${path}`, { input: message, env: this.commitEnv() });
    return this.check(['rev-parse', 'HEAD'], path).trim();
  }
}
