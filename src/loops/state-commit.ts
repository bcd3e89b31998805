import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RalphError } from '../errors.js';
import { GitError } from '../git/git.js';
import type { Git } from '../git/git.js';
import { REPAIR_ADVICE, STATE_PATH, formatSyncState, parseSyncState } from './sync-state.js';
import { decideTurn } from './turn-holder.js';
import type { Self, SyncState } from './sync-state.js';
import { describeHolder } from './turn-holder.js';

/** My role's turn is held by another live actor (or one whose lease has not lapsed): this one does not start. */
export class TurnHeldError extends RalphError {
  constructor(why: string) {
    super('RALPH_TURN_HELD', why, { exitCode: 2 });
  }
}

/** What a state must allow before I commit and push my change of it; the reason not to, or undefined. */
export type StateCheck = (state: SyncState) => string | undefined;

/** "ralph's turn, running-ralph, iteration 3, held by pid 42 on host h, since …" */
export function describeState(state: SyncState): string {
  return `${state.expected_actor}'s turn, ${state.status}, iteration ${state.iteration}${state.holder ? `, held by ${describeHolder(state.holder)}` : ''}`;
}

/** Marking my turn running: the state must still say it is my turn; a turn another actor holds throws `TurnHeldError`. */
export const myTurn =
  (self: Self): StateCheck =>
  (state) => {
    const decision = decideTurn(state, self, new Date());
    if (decision.kind === 'held') throw new TurnHeldError(decision.why);
    return decision.kind === 'run'
      ? undefined
      : `the other side moved meanwhile (remote state: ${state.expected_actor}'s turn, ${state.status}, iteration ${state.iteration}); rerun to re-read whose turn it is`;
  };

/** Handing off or renewing: the state must still hold my own running turn of this iteration, under my token (no manual stamp, no takeover, no other side). */
export const myRunningTurn =
  (self: Self, iteration: number): StateCheck =>
  (state) =>
    state.status === `running-${self.actor}` && state.iteration === iteration && state.holder?.token === self.token
      ? undefined
      : `the remote ${STATE_PATH} changed during my turn (now: ${describeState(state)}, by a manual stamp, a takeover or the other side)`;

/** The state on origin/<branch> as last fetched, if there is one. */
export function remoteState(git: Git, branch: string): SyncState | undefined {
  return stateAt(git, `origin/${branch}`, 'the remote');
}

function stateAt(git: Git, rev: string, where: string): SyncState | undefined {
  const r = git.run(['show', `${rev}:${STATE_PATH}`]);
  if (r.code !== 0) return undefined;
  const parsed = parseSyncState(r.stdout);
  if ('problem' in parsed)
    throw new RalphError('RALPH_BAD_SYNC_STATE', `${where} ${STATE_PATH} is not a valid sync state (${parsed.problem}). ${REPAIR_ADVICE}; then rerun.`, {
      exitCode: 1,
    });
  return parsed;
}

/** The agent may have switched branches; nothing is committed or pushed from another one. */
export function assertBranch(git: Git, branch: string): void {
  const current = git.currentBranch();
  if (current !== branch) {
    throw new RalphError(
      'RALPH_GIT_BRANCH',
      `the clone is now on ${current ?? 'a detached HEAD'}, not ${branch} (did the agent switch branches?). Nothing was committed or pushed from it, and the state was not flipped. Run \`git checkout ${branch}\` (bring over any commits you want to keep), then rerun: the turn resumes.`,
      { exitCode: 1 },
    );
  }
}

/**
 * Writes, commits (that file only) and pushes the state. `check` is applied to the state in HEAD
 * first (another loop of this clone may have moved it since I decided: both commit under the clone's
 * mutex), and to the remote state after a rejected push; a push it vetoes takes my state commit
 * back, so that no restart publishes it later.
 */
export async function commitState(
  ctx: { git: Git; branch: string; cwd: string },
  state: SyncState,
  subject: string,
  { push = true, autostash = false, check }: { push?: boolean; autostash?: boolean; check?: StateCheck } = {},
): Promise<void> {
  const { git } = ctx;
  await git.exclusive('handoff', async () => {
    assertBranch(git, ctx.branch);
    const here = check && stateAt(git, 'HEAD', 'the committed');
    const veto = here && check(here);
    if (veto) throw new GitError(`not committing ${STATE_PATH}: ${veto}`);
    const path = join(ctx.cwd, STATE_PATH);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, formatSyncState(state));
    await git.mutateOrThrow(['add', '--', STATE_PATH]);
    await git.mutateOrThrow(['commit', '--quiet', '--no-verify', '-m', subject, '--', STATE_PATH], 'committing sync/state.json');
    if (!push) return;
    const mine = git.check(['rev-parse', 'HEAD']).trim();
    let vetoed = false;
    const recheck = (): string | undefined => {
      const remote = check ? remoteState(git, ctx.branch) : undefined;
      try {
        const why = remote && check ? check(remote) : undefined;
        vetoed = why !== undefined;
        return why;
      } catch (error) {
        vetoed = true;
        throw error;
      }
    };
    try {
      await git.push(ctx.branch, recheck, { autostash });
    } catch (error) {
      if (vetoed && git.check(['rev-parse', 'HEAD']).trim() === mine)
        await git.mutateOrThrow(['reset', '--quiet', '--keep', 'HEAD~1'], 'taking back my sync/state.json commit');
      throw error;
    }
  });
}
