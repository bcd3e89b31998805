import { join, resolve } from 'node:path';
import { FileLock } from '../store/lock.js';

/*
 * Ralph's two git locks, both the stale-safe FileLock of the queue. They guard different things and
 * are kept apart on purpose: the loops hold theirs across network steps (a pull on every poll, a
 * push with its retries), which a worktree merge must never wait behind.
 */

/**
 * The loops' lock: `orchestrator.lock` in the clone's git directory, held around each git step of a
 * supervisor or engineer (pull, push, handoff commits). A long lease: a push with its retries is one step.
 */
export function loopsGitLock(gitDir: string): FileLock {
  return new FileLock(join(gitDir, 'orchestrator.lock'), { leaseMs: 600_000, timeoutMs: 900_000 });
}

/**
 * The merge queue's lock: `<state dir>/git.lock`, held by one worker at a time while it creates or
 * takes over a task branch, or merges one (`--isolate worktree`). Local steps, and with a base on a
 * shared remote the fetches and pushes of those steps (each try given up after two minutes, three
 * tries at most).
 */
export function worktreeGitLock(stateDir: string): FileLock {
  return new FileLock(join(resolve(stateDir), 'git.lock'), { leaseMs: 300_000, timeoutMs: 900_000 });
}
