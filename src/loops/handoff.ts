import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RalphError } from '../errors.js';
import { Git } from '../git/git.js';
import { checkStartBranch } from './loop.js';
import { commitState } from './state-commit.js';
import { REPAIR_ADVICE, STATE_PATH, handoffSubject, notMyTurn, parseSyncState, stampHandoff } from './sync-state.js';
import type { Actor, SyncState } from './sync-state.js';
import { dirtyTracked } from './working-tree.js';

/** The clone in `cwd` on the branch to stamp (`wanted`, else the current one); an error before anything is touched. */
export function openClone(cwd: string, wanted: string | undefined, say: (line: string) => void): { git: Git; branch: string } {
  const git = new Git(cwd, say);
  return { git, branch: checkStartBranch(git, wanted) };
}

/** Refuses (exit 2, nothing done) when tracked files other than `except` have uncommitted changes. */
export function refuseDirty(git: Git, except?: string): void {
  const dirty = dirtyTracked(git).filter((path) => path !== except);
  if (dirty.length)
    throw new RalphError(
      'RALPH_DIRTY_TREE',
      `tracked files have uncommitted changes: ${dirty.join(', ')}. Nothing was stamped: commit or stash them, or pass --allow-dirty.`,
    );
}

export interface HandoffByHand {
  git: Git;
  branch: string;
  cwd: string;
  actor: Actor;
  ok: boolean;
  /** Fetch and rebase first. */
  pull: boolean;
  push: boolean;
  /** Stash uncommitted changes around the pull and commit. */
  autostash: boolean;
  /** Told when the turn being handed over is not the actor's (stamped all the same). */
  warn: (line: string) => void;
}

/**
 * `ralph stamp-handoff`: flips sync/state.json to the next actor and commits (and pushes) it exactly
 * as a loop does at the end of its turn, without running an agent. A manual stamp is deliberate: it
 * is made even over someone else's turn (with a warning), and not checked again after a rebase.
 */
export async function handoffByHand(h: HandoffByHand): Promise<{ state: SyncState; subject: string }> {
  const { git, branch, cwd, actor } = h;
  if (h.pull) {
    await git.exclusive('pull', async () => {
      const r = await git.pull(branch, { autostash: h.autostash });
      if (r.code !== 0) {
        throw new RalphError('RALPH_GIT', `git pull failed: ${r.stderr.trim()}. Resolve it by hand, or pass --no-pull.`, { exitCode: 1 });
      }
    });
  }
  let text: string;
  try {
    text = readFileSync(join(cwd, STATE_PATH), 'utf8');
  } catch {
    throw new RalphError('RALPH_NO_SYNC_STATE', `${STATE_PATH} not found; create it with \`ralph init --loops\`.`);
  }
  const state = parseSyncState(text);
  if ('problem' in state)
    throw new RalphError('RALPH_BAD_SYNC_STATE', `${STATE_PATH} is not a valid sync state (${state.problem}). ${REPAIR_ADVICE}; then stamp.`);
  // Handing over someone else's turn is likely a slip: say so.
  const notMine = notMyTurn(state, actor);
  if (notMine) h.warn(`ralph: warning: ${notMine}; stamped as asked`);
  const head = git.headShort();
  const stamped = stampHandoff(state, actor, h.ok, head, new Date());
  const subject = handoffSubject(stamped, actor, h.ok, head);
  await commitState({ git, branch, cwd }, stamped, subject, { push: h.push, autostash: h.autostash });
  return { state: stamped, subject };
}
