import type { Task } from './types.js';

/** `--isolate`: `none` runs every agent in the current directory; `worktree` gives each worker its own git worktree. */
export type IsolateMode = 'none' | 'worktree';
/** `--merge`: how a completed task's branch reaches the base branch. */
export type MergeMode = 'merge' | 'rebase' | 'none';
/** `--on-conflict`: keep a conflicting branch and report it, or redo the task once on the new tip. */
export type ConflictPolicy = 'keep' | 'requeue';
export type MergeOutcome = 'merged' | 'conflict' | 'skipped';

export const ISOLATE_MODES: readonly IsolateMode[] = ['none', 'worktree'];
export const MERGE_MODES: readonly MergeMode[] = ['merge', 'rebase', 'none'];
export const CONFLICT_POLICIES: readonly ConflictPolicy[] = ['keep', 'requeue'];

/** What a task's run did in git; kept on the task and on its finding or issue. */
export interface TaskGitResult {
  branch: string;
  /** The tip of the task branch after the run (absent when the task changed nothing). */
  commit?: string;
  /** Absent for a failed task: nothing is merged then. */
  merge?: MergeOutcome;
  /** The base-branch commit that contains the task's work once merged. */
  merged_into?: string;
  /** The base branch's tip the branch was merged onto (or did not merge onto): `base_tip..merged_into` is what the task brought. */
  base_tip?: string;
  files_changed?: string[];
  conflict_paths?: string[];
  /** Something the user should know (a checkout left alone, work saved from an earlier attempt). */
  note?: string;
}

/** Why an earlier run of a task was redone: its branch did not merge. */
export interface ConflictNote {
  branch: string;
  commit: string;
  paths: string[];
}

/** How many times a task may be redone after a conflict (`--on-conflict requeue`). */
export const CONFLICT_REDOS = 1;

/**
 * Why a branch is set aside (kept under another name) rather than used: `conflict` (it did not
 * merge and the task is redone), `previous` (an earlier run of a task with the same id left it),
 * `saved` (what an agent left outside its task branch). Each has its own `ralph-<why>/` namespace,
 * apart from the task branches under `ralph/`, so that no task id can ever name one of them.
 */
export type AsideReason = 'conflict' | 'previous' | 'saved';

/** Every branch namespace Ralph writes to, for `ralph worktrees`. */
export const RALPH_BRANCH_PREFIXES = ['ralph/', 'ralph-conflict/', 'ralph-previous/', 'ralph-saved/'] as const;

/** `ralph-<why>/<name>-<n>` for the task branch `ralph/<name>`, with the first free n. */
export function asideBranchName(why: AsideReason, branch: string, taken: (name: string) => boolean): string {
  const name = branch.startsWith('ralph/') ? branch.slice('ralph/'.length) : branch;
  for (let n = 1; ; n++) {
    const candidate = `ralph-${why}/${name}-${n}`;
    if (!taken(candidate)) return candidate;
  }
}

export function conflictRedos(task: Task): number {
  return typeof task.conflict_redos === 'number' ? task.conflict_redos : 0;
}

/** Is a conflicting task put back to be redone on the new tip (once), rather than kept as a conflict? */
export function redoesConflict(task: Task, policy: ConflictPolicy): boolean {
  return policy === 'requeue' && conflictRedos(task) < CONFLICT_REDOS;
}

/** The paragraph added to the prompt of a task redone after a conflict. */
export function conflictPromptNote(task: Task): string | undefined {
  const conflict = task.conflict as ConflictNote | undefined;
  if (!conflict || typeof conflict !== 'object' || typeof conflict.branch !== 'string') return undefined;
  const paths = Array.isArray(conflict.paths) && conflict.paths.length > 0 ? conflict.paths.join(', ') : 'unknown files';
  const commit = typeof conflict.commit === 'string' && conflict.commit !== '' ? `, commit ${conflict.commit.slice(0, 12)}` : '';
  return (
    `Note: an earlier run of this task (branch ${conflict.branch}${commit}) ` +
    `conflicted with work merged meanwhile, in: ${paths}. Do the task again on the current code, which already has that work.`
  );
}

/** What `ralph worktrees` knows of one worktree of a worker. */
export interface WorktreeFacts {
  path: string;
  branch?: string;
  head: string;
  /** Uncommitted changes, untracked files included. */
  dirty: boolean;
  /** Commits on HEAD that the base branch does not have. */
  unmerged: number;
  /** A live worker that uses it (then it is never removed). */
  inUse?: string;
}

export type PruneDecision = { remove: true } | { remove: false; why: string };

/** `ralph worktrees prune` removes a worktree only when it is clean, fully merged and unused. Pure. */
export function pruneDecision(w: WorktreeFacts): PruneDecision {
  const reasons: string[] = [];
  if (w.inUse) reasons.push(`in use by ${w.inUse}`);
  if (w.dirty) reasons.push('uncommitted changes');
  if (w.unmerged > 0) reasons.push(`${w.unmerged} commit(s) not in the base branch`);
  return reasons.length === 0 ? { remove: true } : { remove: false, why: reasons.join('; ') };
}

/** One word for a worktree's state, as `ralph worktrees list` shows it. */
export function worktreeState(w: Pick<WorktreeFacts, 'dirty' | 'unmerged'>): string {
  const parts = [w.unmerged > 0 ? `unmerged (${w.unmerged} commit${w.unmerged === 1 ? '' : 's'})` : 'merged'];
  if (w.dirty) parts.push('dirty');
  return parts.join(', ');
}
