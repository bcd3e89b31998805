import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Repo } from './repo.js';

/**
 * What a `--verify` check leaves in a task's worktree (coverage, build output, test results) is not
 * the agent's work: it is neither committed nor merged. The paths changed before the check are
 * noted; after it, a path it changed or created that was clean before goes back to what it was
 * (a tracked file checked out again, a new file removed). Files git ignores are left alone, as a
 * commit would leave them; a path both the agent and the check changed keeps the check's change.
 */
export function changedPaths(repo: Repo, path: string): Map<string, string> {
  const out = repo.check(['status', '--porcelain=v1', '-z', '--untracked-files=all'], path);
  const changed = new Map<string, string>();
  const entries = out.split('\0');
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    if (entry.length < 4) continue;
    const code = entry.slice(0, 2);
    changed.set(entry.slice(3), code);
    if (code.startsWith('R') || code.startsWith('C')) i++; // a rename's original path follows
  }
  return changed;
}

/** Puts back what changed in the worktree at `path` since `before` (see changedPaths); returns the paths put back. */
export function dropLeftovers(repo: Repo, path: string, before: ReadonlyMap<string, string>): string[] {
  const dropped: string[] = [];
  for (const [file, code] of changedPaths(repo, path)) {
    if (before.has(file)) continue;
    if (code === '??') rmSync(join(path, file), { force: true, recursive: true });
    else repo.check(['checkout', '--quiet', 'HEAD', '--', file], path);
    dropped.push(file);
  }
  return dropped;
}
