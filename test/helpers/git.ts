import { execFileSync, spawnSync } from 'node:child_process';

const GIT_ENV = { ...process.env, LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0' };

/** git with an argument array in `cwd`; returns trimmed stdout, throws with git's stderr when it fails. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: GIT_ENV }).trim();
}

/** Whether git succeeds (`merge-base --is-ancestor`, `rev-parse --verify`). */
export function gitOk(cwd: string, ...args: string[]): boolean {
  return spawnSync('git', args, { cwd, encoding: 'utf8', env: GIT_ENV }).status === 0;
}
