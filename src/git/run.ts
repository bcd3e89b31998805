import { spawn, spawnSync } from 'node:child_process';
import { NoGitError, RalphError, isErrno } from '../errors.js';

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
  /** runGitAsync: stdout reached `maxBuffer` (what came is kept, git is stopped), or git gave no answer in time. */
  truncated?: boolean;
  timedOut?: boolean;
}

export class GitError extends RalphError {
  constructor(message: string) {
    super('RALPH_GIT', message, { exitCode: 1 });
  }
}

/**
 * Variables that point git somewhere else than the directory it runs in. They are dropped from
 * every git that Ralph runs and from an agent's environment in a worktree, so that neither can act
 * on another repository or working tree than the one meant.
 */
export const GIT_LOCATION_VARIABLES = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_COMMON_DIR',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_NAMESPACE',
  'GIT_PREFIX',
] as const;

/** `env` without the variables that relocate git. */
export function withoutGitLocation(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  for (const key of GIT_LOCATION_VARIABLES) delete out[key];
  return out;
}

export interface GitRunOptions {
  input?: string;
  /** Added to the environment (after the relocating variables are dropped). */
  env?: Record<string, string>;
  /** The most output taken (default 64 MiB). */
  maxBuffer?: number;
  /** Keep GIT_DIR and the other relocating variables of this process's environment (a reader that follows the user's setup). */
  inheritLocation?: boolean;
}

function gitEnv(options: GitRunOptions): NodeJS.ProcessEnv {
  return {
    ...(options.inheritLocation ? process.env : withoutGitLocation(process.env)),
    LC_ALL: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_EDITOR: 'true',
    GIT_MERGE_AUTOEDIT: 'no',
    ...options.env,
  };
}

/** Runs git in `cwd` from an argument array; English output, no prompts, no editor. Never throws for a non-zero exit. */
export function runGit(cwd: string, args: readonly string[], options: GitRunOptions = {}): GitResult {
  const result = spawnSync('git', args, {
    cwd,
    encoding: 'utf8',
    input: options.input,
    maxBuffer: options.maxBuffer ?? 64 * 1024 * 1024,
    env: gitEnv(options),
  });
  if (result.error) throw isErrno(result.error, 'ENOENT') ? new NoGitError(result.error) : new GitError(`could not run git: ${result.error.message}`);
  return { code: result.status ?? 1, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

/** Runs git and returns stdout, or throws with git's own message and what was attempted. */
export function checkGit(cwd: string, args: readonly string[], what?: string, options: GitRunOptions = {}): string {
  const r = runGit(cwd, args, options);
  if (r.code !== 0) throw new GitError(`${what ?? `git ${args.join(' ')}`} failed: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/**
 * The same, without blocking the event loop (the worker's heartbeat goes on meanwhile), for git that
 * talks to a remote. After `timeoutMs` its whole process group is killed (ssh and the https helper
 * with it) and the answer is an exit code of 1 with the reason as stderr, at once: a helper that
 * still holds the pipes open does not hold the caller.
 */
export function runGitAsync(cwd: string, args: readonly string[], timeoutMs: number, options: GitRunOptions = {}): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd, env: gitEnv(options), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    const stop = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      child.stdout.destroy();
      child.stderr.destroy();
    };
    // With `maxBuffer`, no more than that is taken: git is stopped there and the answer says so.
    const most = options.maxBuffer ?? Infinity;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (settled) return;
      stdout += chunk;
      if (stdout.length <= most) return;
      stdout = stdout.slice(0, most);
      stop();
      settle({ code: 0, stdout, stderr, truncated: true });
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    let settled = false;
    const settle = (result: GitResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(() => {
      stop();
      settle({ code: 1, stdout, stderr: `git ${args[0] ?? ''} gave no answer within ${Math.round(timeoutMs / 1000)} s`, timedOut: true });
    }, timeoutMs);
    child.on('error', (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(isErrno(error, 'ENOENT') ? new NoGitError(error) : new GitError(`could not run git: ${error.message}`));
    });
    child.on('close', (code) => settle({ code: code ?? 1, stdout, stderr }));
  });
}
