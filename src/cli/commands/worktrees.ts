import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { Repo } from '../../git/repo.js';
import { GitError } from '../../git/run.js';
import { said } from '../../git/remote.js';
import { resolveBase } from '../../git/isolation.js';
import { inspectWorktrees, pruneWorktrees } from '../../git/worktrees-admin.js';
import type { InUse, WorktreesView } from '../../git/worktrees-admin.js';
import { openStore } from '../../store/open.js';
import { HOST } from '../../process/machine.js';
import { isAlive } from '../../process/alive.js';
import { columns, print, printJson } from '../output.js';
import { dirOption, openExistingQueue, queueOf, queueOption } from './common.js';
import type { QueueFlags } from './common.js';
import type { RunInfo } from '../../queue/types.js';
import type { WorkerSession } from '../../store/sessions.js';

interface Flags extends QueueFlags {
  base?: string;
  json?: boolean;
}

export function registerWorktrees(program: Command): void {
  const worktrees = program
    .command('worktrees')
    .description('the git worktrees and ralph/… branches of --isolate worktree: list their state, prune the merged ones');
  const list = options(worktrees.command('list').description("each worker's worktree and each ralph/… branch: merged, unmerged commits, dirty, in use"));
  list.addHelpText(
    'after',
    `
Example:
  $ ralph worktrees list
  worker-1  ralph/fix-login      unmerged (2 commits), dirty   .ralph/worktrees/worker-1
  worker-2  (detached)           merged                        .ralph/worktrees/worker-2`,
  );
  list.action(async (flags: Flags) => {
    const { view } = await gather(flags);
    if (flags.json) {
      printJson(view);
      return;
    }
    printView(view);
  });

  const prune = options(
    worktrees
      .command('prune')
      .description('remove the worktrees that are clean, merged into the base and not in use, and the merged ralph/… branches; keep the rest and say why'),
  );
  prune.addHelpText(
    'after',
    `
Nothing with work in it is ever removed: a worktree with uncommitted changes or commits that the base
branch does not have, a worktree a live worker uses, and a branch with unmerged commits are kept.

Example:
  $ ralph worktrees prune --dry-run     # what would go
  $ ralph worktrees prune`,
  );
  prune.option('--dry-run', 'say what would be removed and deleted, and change nothing');
  prune.action(async (flags: Flags & { dryRun?: boolean }) => {
    const { repo, view } = await gather(flags);
    const dry = flags.dryRun === true;
    const result = pruneWorktrees(repo, view, dry);
    if (flags.json) {
      printJson(dry ? { dry_run: true, ...result } : result);
      return;
    }
    // Aligned either way: "removed"/"kept    ", or "would remove"/"kept        ".
    const [removed, deleted, kept] = dry ? ['would remove', 'would delete branch', 'kept        '] : ['removed', 'deleted branch', 'kept   '];
    for (const r of result.removed) print(`${removed} ${r.path}`);
    for (const k of result.kept) print(`${kept} ${k.path}: ${k.why}`);
    for (const b of result.deletedBranches) print(`${deleted} ${b} (merged into ${view.base})`);
    for (const b of result.keptBranches) print(`${kept} branch ${b.branch}: ${b.why}`);
    if (result.removed.length + result.kept.length + result.deletedBranches.length + result.keptBranches.length === 0) print('nothing to prune');
    else if (dry) print('dry run: nothing was removed or deleted; `ralph worktrees prune` does it');
  });
}

function options(command: Command): Command {
  command
    .option('--base <branch>', 'what "merged" is measured against (default: the last run\'s base, on its remote when it had one; else the branch checked out)')
    .option('--json', 'machine-readable output');
  return queueOption(dirOption(command));
}

async function gather(flags: Flags): Promise<{ repo: Repo; view: WorktreesView }> {
  const repo = (() => {
    try {
      return Repo.open(process.cwd(), 'Run `ralph worktrees` in the repository that `ralph run --isolate worktree` ran in.');
    } catch (error) {
      throw asInput(error);
    }
  })();
  const { run, sessions } = await lastRun(flags);
  try {
    // Workers of several machines merged onto their remote's base: measured against it, fetched now.
    const base =
      flags.base === undefined && run?.remote && run.base ? await remoteBase(repo, run.remote, run.base) : resolveBase(repo, flags.base ?? run?.base);
    const inUse: InUse = (name) => {
      const session = sessions.find((s) => `worker-${s.worker_id}` === name);
      if (!session || session.status === 'stopped' || session.host !== HOST || !isAlive(session.pid)) return undefined;
      return `worker ${session.worker_id} (pid ${session.pid})`;
    };
    return { repo, view: inspectWorktrees(repo, flags.dir, base, inUse) };
  } catch (error) {
    throw asInput(error);
  }
}

/** The last run of the queue (the files under --dir, or a database's) and its workers' sessions. */
async function lastRun(flags: Flags): Promise<{ run: RunInfo | undefined; sessions: WorkerSession[] }> {
  if (!queueOf(flags)) {
    const store = openStore(flags.dir);
    const state = store.exists() ? store.read() : undefined;
    store.close();
    return { run: state?.meta.run, sessions: store.sessions.readLenient().sessions };
  }
  const store = await openExistingQueue(flags, { load: false });
  try {
    const { meta } = await store.overview();
    return { run: meta.run, sessions: store.sessions.readAll() };
  } finally {
    await store.close();
  }
}

/** `<remote>/<base>`, brought up to date (what this clone last fetched of it, when the remote cannot be reached). */
async function remoteBase(repo: Repo, remote: string, base: string): Promise<string> {
  const tracking = `refs/remotes/${remote}/${base}`;
  const fetched = await repo.runAsync(['fetch', '--quiet', '--no-tags', remote, `+refs/heads/${base}:${tracking}`], 60_000);
  if (fetched.code !== 0 && repo.run(['rev-parse', '--verify', '--quiet', tracking]).code !== 0) {
    throw new GitError(`cannot fetch ${base} from the remote ${remote}: ${said(fetched)}`);
  }
  return `${remote}/${base}`;
}

function asInput(error: unknown): unknown {
  return error instanceof GitError ? new InputError(error.message.replace('--isolate worktree needs', '`ralph worktrees` needs')) : error;
}

function printView(view: WorktreesView): void {
  print(`${view.repo}: worktrees of ${view.base}`);
  if (view.worktrees.length === 0) print('  no worktrees (they appear with `ralph run --isolate worktree`)');
  const rows = view.worktrees.map((w) => [w.name, w.branch ?? '(detached)', `${w.state}${w.inUse ? `, in use by ${w.inUse}` : ''}`, w.path]);
  for (const row of columns(rows)) print(`  ${row}`);
  const loose = view.branches.filter((b) => !b.worktree);
  if (loose.length > 0) {
    print('branches:');
    for (const row of columns(loose.map((b) => [b.branch, b.commit.slice(0, 12), b.state]))) print(`  ${row}`);
  }
}
