import type { Task } from '../queue/types.js';
import { redact } from '../redact/process.js';
import { runGitAsync } from './run.js';

/** What a task's page shows of its work under `--isolate worktree`: the diff (redacted), and what it is of. */
export type TaskDiff = { diff: string; of: string; truncated: boolean } | { none: string };

/** The most of a diff the page is sent (characters; git is stopped past it). */
export const MAX_DIFF_CHARS = 512 * 1024;
const GIT_TIMEOUT_MS = 10_000;

/**
 * The changes a worktree task made, read from the repository in `cwd` (git from an argument array,
 * the task's names after `--end-of-options`): from the base's tip it was merged onto to what it was
 * merged as (any merge mode), or what its branch brings since it left that tip (not merged). A task
 * recorded before `base_tip` was: its merge commit against the first parent, else `base...tip`, else
 * the one commit it was merged as. A task whose commits this repository does not have (made on
 * another machine, not fetched) says so.
 */
export async function taskDiff(cwd: string, task: Task, base: string | undefined): Promise<TaskDiff> {
  const branch = typeof task.branch === 'string' ? task.branch : undefined;
  if (!branch) return { none: 'not a worktree task (--isolate worktree): it has no branch' };
  const tip = typeof task.commit === 'string' ? task.commit : undefined;
  const merged = typeof task.merged_into === 'string' ? task.merged_into : undefined;
  const baseTip = typeof task.base_tip === 'string' ? task.base_tip : undefined;
  if (!tip && !merged) return { none: `${branch} changed nothing` };
  const git = (args: string[]) => runGitAsync(cwd, ['-c', 'core.quotepath=off', ...args], GIT_TIMEOUT_MS);
  let found = false;
  const has = async (ref: string) => {
    const here = (await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`])).code === 0;
    found ||= here && ref !== base && ref !== baseTip;
    return here;
  };
  let slow: string | undefined;
  const diff = async (args: string[], of: string): Promise<TaskDiff | undefined> => {
    // A little more than is shown is read, so that a secret across the cut is redacted whole; then cut at a line's end.
    const r = await runGitAsync(cwd, ['-c', 'core.quotepath=off', 'diff', '--no-color', '--no-ext-diff', '--end-of-options', ...args], GIT_TIMEOUT_MS, {
      maxBuffer: MAX_DIFF_CHARS + 4096,
    });
    if (r.timedOut) slow = r.stderr;
    if (r.code !== 0 || r.stdout === '') return undefined;
    const text = redact(r.stdout);
    if (!r.truncated && text.length <= MAX_DIFF_CHARS) return { diff: text, of, truncated: false };
    const cut = text.lastIndexOf('\n', MAX_DIFF_CHARS);
    return { diff: text.slice(0, cut > 0 ? cut + 1 : MAX_DIFF_CHARS), of, truncated: true };
  };
  if (baseTip && (await has(baseTip))) {
    if (merged && (await has(merged))) {
      const shown = await diff([baseTip, merged], `what it brought onto ${base ?? 'the base'} (${baseTip.slice(0, 12)}..${merged.slice(0, 12)})`);
      if (shown) return shown;
    }
    if (tip && (await has(tip))) {
      const shown = await diff([`${baseTip}...${tip}`], `${branch} (${tip.slice(0, 12)}) since it left ${base ?? 'the base'}`);
      if (shown) return shown;
    }
  }
  // Recorded before base_tip was: the merge commit, else the branch against the base, else the one commit.
  if (merged && (await has(merged))) {
    const parents = (await git(['rev-list', '--parents', '-n', '1', '--end-of-options', merged])).stdout.trim().split(' ');
    if (parents.length > 2) {
      const shown = await diff([`${merged}^1`, merged], `the merge ${merged.slice(0, 12)} against the base before it`);
      if (shown) return shown;
    }
  }
  if (tip && base && (await has(tip)) && (await has(base))) {
    const shown = await diff([`${base}...${tip}`], `${branch} (${tip.slice(0, 12)}) since it left ${base}`);
    if (shown) return shown;
  }
  if (merged && (await has(merged))) {
    const shown = await diff([`${merged}^`, merged], `the commit ${merged.slice(0, 12)} it was merged as`);
    if (shown) return shown;
  }
  if (slow) return { none: slow };
  if (found) return { none: 'its commits change nothing against the base' };
  const missing = [tip, merged].filter((c): c is string => c !== undefined);
  return { none: `${missing.map((c) => c.slice(0, 12)).join(' and ')} not in this repository (made on another machine? git fetch it first)` };
}
