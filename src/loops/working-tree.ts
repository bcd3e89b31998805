import { statSync } from 'node:fs';
import { join } from 'node:path';
import { GitError } from '../git/git.js';
import type { Git } from '../git/git.js';
import type { LoopContext } from './options.js';
import { planAutoCommit } from './policies.js';
import type { ChangedFile, CommitPlan, PolicyOptions } from './policies.js';
import { refuseSecrets, secretsIn, workingTree } from './secret-files.js';

/*
 * The clone's working tree as the loops see it: what changed (for the auto-commit policies), the
 * policies' commits, and a pull that galph unblocks in the documented order.
 */

/** `git pull` (fetch + rebase); galph first clears what blocks it, in the documented order. */
export async function pullOrRecover(ctx: LoopContext): Promise<void> {
  const { git, branch } = ctx;
  let r = await git.pull(branch);
  if (r.code === 0) return;
  const localChanges = /local changes|unstaged changes|uncommitted changes|would be overwritten|untracked working tree files/i.test(r.stderr);
  if (localChanges && ctx.prepullRecovery) {
    const steps: Array<[string, () => Promise<void>]> = [
      [
        'submodule scrub',
        async () => {
          await git.mutate(['submodule', 'sync', '--recursive']);
          await git.mutate(['submodule', 'update', '--init', '--recursive', '--checkout', '--force']);
        },
      ],
      ['tracked outputs auto-commit', () => autoCommit(ctx, 'pre-pull', { trackedOutputs: ctx.policies.trackedOutputs }).then(() => undefined)],
      ['doc/meta whitelist auto-commit', () => autoCommit(ctx, 'pre-pull', { docs: ctx.policies.docs }).then(() => undefined)],
    ];
    for (const [name, step] of steps) {
      ctx.print(`ralph ${ctx.actor}: pull blocked by local changes; trying ${name}`);
      await step();
      r = await git.pull(branch);
      if (r.code === 0) return;
    }
  }
  const dirty = dirtyTracked(git);
  throw new GitError(
    `git pull (fetch + rebase onto origin/${branch}) failed: ${r.stderr.trim()}${dirty.length ? `\nDirty paths: ${dirty.join(', ')}` : ''}\n` +
      'Resolve it by hand (commit, stash or move the changes), then rerun.',
  );
}

/** The working tree's changes, for the auto-commit policies. */
export function changedFiles(git: Git, withIgnored = false): ChangedFile[] {
  const out = git.check(['status', '--porcelain=v1', '-z', '--untracked-files=all', ...(withIgnored ? ['--ignored=matching'] : [])]);
  const parts = out.split('\0');
  const files: ChangedFile[] = [];
  for (let i = 0; i < parts.length; i++) {
    const entry = parts[i]!;
    if (entry.length < 4) continue;
    const xy = entry.slice(0, 2);
    const path = entry.slice(3);
    if (xy[0] === 'R' || xy[0] === 'C') i++; // the rename's source follows
    if (path.endsWith('/')) continue; // a whole ignored directory
    const state = xy === '??' ? 'untracked' : xy === '!!' ? 'ignored' : xy.includes('D') ? 'deleted' : xy[0] === 'A' ? 'added' : 'modified';
    let bytes = 0;
    if (state !== 'deleted') {
      try {
        bytes = statSync(join(git.cwd, path)).size;
      } catch {
        /* vanished */
      }
    }
    files.push({ path, state, bytes });
  }
  return files;
}

/** Tracked files with uncommitted changes (untracked and ignored files do not count). */
export function dirtyTracked(git: Git): string[] {
  return changedFiles(git)
    .filter((f) => f.state !== 'untracked' && f.state !== 'ignored')
    .map((f) => f.path);
}

/** Applies the policies: one commit per policy that has files. Returns the plan (violations included). */
export async function autoCommit(ctx: LoopContext, why: string, policies: PolicyOptions): Promise<CommitPlan> {
  const { git } = ctx;
  const plan = planAutoCommit(changedFiles(git, policies.reports?.forceAdd === true), policies);
  refuseSecrets(secretsIn([...plan.trackedOutputs, ...plan.docs, ...plan.reports], workingTree(git.cwd)), {
    refused: 'nothing was auto-committed',
    fix: 'Take the secret out of the file',
  });
  const groups: Array<[string, string[]]> = [
    ['tracked outputs', plan.trackedOutputs],
    ['docs', plan.docs],
    ['reports', plan.reports],
  ];
  for (const [name, paths] of groups) {
    if (paths.length === 0) continue;
    if (ctx.commits === 'no') continue;
    if (ctx.commits === 'dry-run') {
      ctx.print(`ralph ${ctx.actor}: would auto-commit ${name} (--commit-dry-run): ${paths.join(', ')}`);
      continue;
    }
    const force = paths.filter((p) => plan.forceAdd.includes(p));
    const normal = paths.filter((p) => !plan.forceAdd.includes(p));
    if (normal.length) await git.mutateOrThrow(['add', '-A', '--', ...normal]);
    if (force.length) await git.mutateOrThrow(['add', '-f', '--', ...force]);
    await git.mutateOrThrow(
      ['commit', '--quiet', '--no-verify', '-m', `ralph ${ctx.actor}: auto-commit ${name} (${why})`, '--', ...paths],
      `auto-committing ${name}`,
    );
    ctx.print(`ralph ${ctx.actor}: auto-committed ${name}: ${paths.join(', ')}`);
  }
  for (const s of plan.skipped) ctx.print(`ralph ${ctx.actor}: not auto-committed: ${s.path}: ${s.why}`);
  return plan;
}
