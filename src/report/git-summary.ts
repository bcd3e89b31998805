import type { QueueState } from '../queue/types.js';

export interface GitTaskView {
  id: string;
  status: string;
  branch: string;
  commit: string | null;
  merge: string | null;
  files_changed: string[];
  conflict_paths?: string[];
}

export interface GitSummary {
  base: string | null;
  /** The remote the base branch is on (workers on several machines), or null for the local branch. */
  remote: string | null;
  merge_mode: string | null;
  on_conflict: string | null;
  counts: { merged: number; conflict: number; skipped: number };
  tasks: GitTaskView[];
  conflicts: GitTaskView[];
  /** Things the user should know, such as a checkout of the base branch left behind. */
  notes: string[];
}

/** Branches and merge outcomes of the tasks that ran isolated (`--isolate worktree`). Pure. */
export function gitSummary(state: QueueState): GitSummary | null {
  const run = state.meta.run;
  const tasks: GitTaskView[] = state.tasks
    .filter((t) => typeof t.branch === 'string')
    .map((t) => ({
      id: t.id,
      status: t.status,
      branch: t.branch as string,
      commit: typeof t.commit === 'string' ? t.commit : null,
      merge: typeof t.merge === 'string' ? t.merge : null,
      files_changed: Array.isArray(t.files_changed) ? (t.files_changed as string[]) : [],
      ...(Array.isArray(t.conflict_paths) ? { conflict_paths: t.conflict_paths as string[] } : {}),
    }));
  if (tasks.length === 0 && !run?.isolate) return null;
  const count = (m: string) => tasks.filter((t) => t.merge === m).length;
  // The latest merge says how the user's checkout stands (an earlier note may be stale).
  const latest = state.tasks
    .filter((t) => t.merge === 'merged' && typeof t.completed_at === 'string')
    .sort((a, b) => String(a.completed_at).localeCompare(String(b.completed_at)))
    .at(-1);
  const notes = typeof latest?.note === 'string' ? [latest.note] : [];
  return {
    base: run?.base ?? null,
    remote: run?.remote ?? null,
    merge_mode: run?.merge ?? null,
    on_conflict: run?.on_conflict ?? null,
    counts: { merged: count('merged'), conflict: count('conflict'), skipped: count('skipped') },
    tasks,
    conflicts: tasks.filter((t) => t.merge === 'conflict'),
    notes,
  };
}
