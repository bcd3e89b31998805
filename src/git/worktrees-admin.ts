import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { RALPH_BRANCH_PREFIXES, pruneDecision, worktreeState } from '../queue/isolation.js';
import type { WorktreeFacts } from '../queue/isolation.js';
import type { Repo } from './repo.js';
import { isInside, worktreesDir } from './isolation.js';

/** A worktree of a worker, as `ralph worktrees list` shows it. */
export interface WorktreeView extends WorktreeFacts {
  name: string;
  state: string;
  /** The worktree's directory is gone (git still lists it): `prune` drops the entry. */
  missing: boolean;
}

/** A `ralph/…` branch, checked out or not. */
export interface BranchView {
  branch: string;
  commit: string;
  unmerged: number;
  /** The worktree it is checked out in, if any. */
  worktree?: string;
  state: string;
}

export interface WorktreesView {
  repo: string;
  base: string;
  worktrees: WorktreeView[];
  branches: BranchView[];
}

/** Which worker uses a worktree right now (`worker-<N>` with a live session), if any. */
export type InUse = (worktreeName: string) => string | undefined;

/** The worktrees under `<stateDir>/worktrees/` and the `ralph/…` branches, with their state against `base`. */
export function inspectWorktrees(repo: Repo, stateDir: string, base: string, inUse: InUse): WorktreesView {
  const baseTip = repo.branchTip(base) ?? repo.check(['rev-parse', base]).trim();
  const root = worktreesDir(stateDir);
  const worktrees: WorktreeView[] = [];
  const entries = repo.worktrees();
  for (const entry of entries) {
    if (!isInside(entry.path, root)) continue;
    const name = basename(entry.path);
    const missing = entry.prunable || !existsSync(entry.path);
    const dirty = missing ? false : repo.isDirty(entry.path);
    const unmerged = entry.head ? repo.ahead(baseTip, entry.head) : 0;
    const user = inUse(name);
    const facts: WorktreeFacts = {
      path: entry.path,
      head: entry.head,
      dirty,
      unmerged,
      ...(entry.branch ? { branch: entry.branch } : {}),
      ...(user ? { inUse: user } : {}),
    };
    worktrees.push({ ...facts, name, missing, state: missing ? 'missing (directory gone)' : worktreeState(facts) });
  }
  const branches: BranchView[] = [];
  const refs = repo
    .check(['for-each-ref', '--format=%(refname:short) %(objectname)', ...RALPH_BRANCH_PREFIXES.map((p) => `refs/heads/${p}`)])
    .split('\n')
    .filter(Boolean);
  for (const line of refs) {
    const [branch, commit] = line.split(' ') as [string, string];
    const unmerged = repo.ahead(baseTip, commit);
    const holder = entries.find((e) => e.branch === branch);
    branches.push({ branch, commit, unmerged, ...(holder ? { worktree: holder.path } : {}), state: worktreeState({ unmerged, dirty: false }) });
  }
  return { repo: repo.root, base, worktrees, branches };
}

export interface PruneResult {
  removed: Array<{ path: string }>;
  kept: Array<{ path: string; why: string }>;
  deletedBranches: string[];
  keptBranches: Array<{ branch: string; why: string }>;
}

/**
 * Removes the worktrees that are clean, fully merged into the base and not in use, and the merged
 * `ralph/…` branches that no worktree has checked out; keeps everything else and says why. Never
 * forces: git itself refuses to remove a worktree with changes, and a branch is deleted only when
 * its tip is unchanged since it was found merged. `dryRun`: decides the same and changes nothing
 * (`removed` and `deletedBranches` then say what would go).
 */
export function pruneWorktrees(repo: Repo, view: WorktreesView, dryRun = false): PruneResult {
  const result: PruneResult = { removed: [], kept: [], deletedBranches: [], keptBranches: [] };
  if (!dryRun) repo.run(['worktree', 'prune']);
  const gone = new Set<string>();
  for (const w of view.worktrees) {
    if (w.missing) {
      result.removed.push({ path: w.path });
      gone.add(w.path);
      continue;
    }
    const decision = pruneDecision(w);
    if (!decision.remove) {
      result.kept.push({ path: w.path, why: decision.why });
      continue;
    }
    const r = dryRun ? { code: 0, stderr: '' } : repo.run(['worktree', 'remove', w.path]);
    if (r.code === 0) {
      result.removed.push({ path: w.path });
      gone.add(w.path);
    } else result.kept.push({ path: w.path, why: `git refused: ${r.stderr.trim().split('\n')[0]}` });
  }
  const stillCheckedOut = new Set(
    repo
      .worktrees()
      .filter((e) => !gone.has(e.path))
      .map((e) => e.branch)
      .filter(Boolean),
  );
  for (const b of view.branches) {
    if (b.unmerged > 0) {
      result.keptBranches.push({ branch: b.branch, why: `${b.unmerged} commit(s) not in ${view.base}` });
      continue;
    }
    if (stillCheckedOut.has(b.branch)) {
      result.keptBranches.push({ branch: b.branch, why: 'checked out in a worktree' });
      continue;
    }
    // Deleted only if it still points where it was found merged (compare-and-delete).
    const r = dryRun ? { code: 0, stderr: '' } : repo.run(['update-ref', '-d', `refs/heads/${b.branch}`, b.commit]);
    if (r.code === 0) result.deletedBranches.push(b.branch);
    else result.keptBranches.push({ branch: b.branch, why: `it moved meanwhile (${r.stderr.trim().split('\n')[0]})` });
  }
  return result;
}
