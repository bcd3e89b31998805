import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GitError } from '../git/git.js';
import type { Git } from '../git/git.js';
import { commitState } from './state-commit.js';
import { STATE_PATH, initialState, parseSyncState } from './sync-state.js';
import type { SyncState } from './sync-state.js';

/** How far back the history is searched for a valid state. */
const HISTORY_LIMIT = 500;

export interface RepairOptions {
  git: Git;
  branch: string;
  cwd: string;
  pull: boolean;
  push: boolean;
}

/** What `repairState` did: where it kept bad content, and what it committed (if anything). */
export interface RepairResult {
  kept: string[];
  restored?: { state: SyncState; from: string | undefined; subject: string };
}

/**
 * `ralph stamp-handoff --repair`. A bad local copy of sync/state.json is kept in .git/ and the
 * committed one checked out; after the pull, a bad committed state is kept too and replaced by the
 * newest valid version in the branch's history (or, with none, the initial state with galph to
 * start), committed and pushed. A valid state is left as it is.
 */
export async function repairState(options: RepairOptions): Promise<RepairResult> {
  const { git, branch, cwd } = options;
  const path = join(cwd, STATE_PATH);
  const kept: string[] = [];
  const keep = (text: string) => {
    const aside = join(git.gitDir, `ralph-bad-state-${new Date().toISOString().replace(/[:.]/g, '-')}-${kept.length + 1}.json`);
    writeFileSync(aside, text);
    kept.push(aside);
  };
  const local = readText(path);
  if (local !== undefined && local !== committedText(git, 'HEAD') && isBad(local)) {
    keep(local);
    await git.exclusive('repair', async () => {
      if (committedText(git, 'HEAD') === undefined) rmSync(path);
      else await git.mutateOrThrow(['checkout', 'HEAD', '--', STATE_PATH], `restoring the committed ${STATE_PATH}`);
    });
  }
  if (options.pull) {
    await git.exclusive('pull', async () => {
      const r = await git.pull(branch);
      if (r.code !== 0) throw new GitError(`git pull failed: ${r.stderr.trim()}. Resolve it by hand, or pass --no-pull.`);
    });
  }
  const committed = readText(path);
  if (committed !== undefined && !isBad(committed)) return { kept };
  if (committed !== undefined) keep(committed);
  const found = lastValidState(git);
  const state = found?.state ?? initialState('galph', new Date());
  const subject = `[SYNC i=${state.iteration}] repair: ${STATE_PATH} restored from ${found ? found.commit : 'scratch (no valid version in the history), galph to start'}`;
  await commitState({ git, branch, cwd }, state, subject, { push: options.push });
  return { kept, restored: { state, from: found?.commit, subject } };
}

/** The newest commit of HEAD's history whose sync/state.json is valid, with that state. */
function lastValidState(git: Git): { commit: string; state: SyncState } | undefined {
  const commits = git
    .check(['log', '--format=%h', '-n', String(HISTORY_LIMIT), 'HEAD', '--', STATE_PATH])
    .split('\n')
    .filter(Boolean);
  for (const commit of commits) {
    const text = committedText(git, commit);
    if (text === undefined) continue; // deleted there
    const parsed = parseSyncState(text);
    if (!('problem' in parsed)) return { commit, state: parsed };
  }
  return undefined;
}

function committedText(git: Git, rev: string): string | undefined {
  const r = git.run(['show', `${rev}:${STATE_PATH}`]);
  return r.code === 0 ? r.stdout : undefined;
}

function readText(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

const isBad = (text: string) => 'problem' in parseSyncState(text);
