import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RalphError } from '../errors.js';
import { Git } from '../git/git.js';
import { isAlive } from '../process/alive.js';
import { HOST } from '../process/machine.js';
import { newToken } from '../store/token.js';
import { killLeftoverAgent } from './leftover-agent.js';
import { leaseExpiredEvent, turnFinishedEvent } from './loop-events.js';
import type { LoopContext, LoopOptions } from './options.js';
import { TurnHeldError, commitState, myRunningTurn, myTurn, remoteState } from './state-commit.js';
import { REPAIR_ADVICE, STATE_PATH, handoffSubject, isHandoffSubject, markRunning, parseSyncState, runningSubject, stampHandoff } from './sync-state.js';
import type { Actor, Self, SyncState } from './sync-state.js';
import { annotate, reviewerPromptPath, turnPrompt } from './workflow.js';
import { routeTurn } from './router.js';
import { readPrompt, runTurn } from './turn.js';
import { decideTurn } from './turn-holder.js';
import { pullOrRecover } from './working-tree.js';

export type { LoopOptions } from './options.js';

export interface LoopSummary {
  turns: number;
  failed: boolean;
}

/** `ralph supervisor` and `ralph loop`: run this actor's turns, alone (async) or taking turns through git. */
export async function runLoop(options: LoopOptions): Promise<LoopSummary> {
  const git = new Git(options.cwd, (line) => options.print(`ralph ${options.actor}: ${line}`));
  const branch = checkStartBranch(git, options.branch);
  readPrompt(options.promptPath); // a missing prompt is an error before anything else happens
  if (options.workflow?.name === 'review-cadence') readPrompt(reviewerPromptPath(options));
  if (options.router) readPrompt(options.router.promptPath);
  // This process, as the holder of the turns it runs; a turn held by another live actor is never run here.
  const self: Self = { actor: options.actor, host: HOST, pid: process.pid, token: newToken(), isAlive };
  const ctx = { ...options, branch, git, self };
  killLeftoverAgent(ctx);
  return options.syncViaGit ? runSync(ctx) : runAsync(ctx);
}

/** The branch to work on (`wanted`, else the current one), or an error before anything is touched. */
export function checkStartBranch(git: Git, wanted: string | undefined): string {
  const current = git.currentBranch();
  const branch = wanted ?? current;
  if (branch === undefined) throw new RalphError('RALPH_GIT_BRANCH', 'HEAD is detached; check out the branch to work on, or pass --branch.');
  if (current !== branch) {
    throw new RalphError(
      'RALPH_GIT_BRANCH',
      `the current branch is ${current ?? '(detached HEAD)'}, not ${branch}. Nothing was touched. Run \`git checkout ${branch}\` or pass --branch ${current ?? 'NAME'}.`,
    );
  }
  return branch;
}

async function runAsync(ctx: LoopContext): Promise<LoopSummary> {
  let iteration = readLocalState(ctx)?.iteration ?? 1;
  for (let turn = 1; turn <= ctx.loops; turn++, iteration++) {
    if (ctx.signal?.aborted) return { turns: turn - 1, failed: true };
    ctx.print(`ralph ${ctx.actor}: iteration ${iteration} (${turn} of ${ctx.loops}, async)`);
    const { ctx: turnCtx } = await routeTurn(turnPrompt(ctx, iteration, ownPrompts(ctx)), iteration);
    const result = await runTurn(turnCtx, iteration, 'async', undefined);
    if (!result.aborted)
      ctx.emit?.(
        turnFinishedEvent(
          { actor: ctx.actor, iteration, branch: ctx.branch, dir: ctx.cwd, mode: 'async', ok: result.ok, commit: result.workCommit },
          new Date(),
        ),
      );
    if (!result.ok) return { turns: turn, failed: true };
  }
  return { turns: ctx.loops, failed: false };
}

async function runSync(ctx: LoopContext): Promise<LoopSummary> {
  const { git, branch, actor } = ctx;
  await pushUnpushedHandoff(ctx);
  let turns = 0;
  let waitingSince = Date.now();
  let lastWhy = '';
  let lastHeartbeat = Date.now();
  while (turns < ctx.loops) {
    if (ctx.signal?.aborted) return { turns, failed: true };
    await git.exclusive('pull', () => pullOrRecover(ctx));
    const state = readState(ctx);
    const now = new Date();
    const decision = decideTurn(state, ctx.self, now);
    if (decision.kind === 'held') throw new TurnHeldError(decision.why);
    if (decision.kind === 'wait') {
      const why = decision.expiredLease ?? decision.why;
      if (why !== lastWhy) {
        if (decision.expiredLease) {
          ctx.print(`ralph ${actor}: LEASE EXPIRED: ${decision.expiredLease}`);
          ctx.emit?.(leaseExpiredEvent(actor, state, { branch, dir: ctx.cwd }, decision.expiredLease, new Date()));
        } else if (ctx.verbose) ctx.print(`ralph ${actor}: ${decision.why}`);
        lastWhy = why;
      }
      if (ctx.heartbeatMs !== undefined && Date.now() - lastHeartbeat >= ctx.heartbeatMs) {
        ctx.print(`ralph ${actor}: still ${decision.why}; waited ${Math.round((Date.now() - waitingSince) / 1000)}s`);
        lastHeartbeat = Date.now();
      }
      if (ctx.maxWaitMs !== undefined && Date.now() - waitingSince > ctx.maxWaitMs) {
        throw new RalphError(
          'RALPH_MAX_WAIT',
          `gave up after --max-wait-sec ${ctx.maxWaitMs / 1000}: it was ${state.expected_actor}'s turn (iteration ${state.iteration}, status ${state.status}) since ${state.last_update ?? 'an unknown time'}.`,
          { exitCode: 1 },
        );
      }
      await sleep(ctx.pollMs, undefined, { signal: ctx.signal }).catch(() => undefined);
      continue;
    }
    turns++;
    lastWhy = '';
    if (decision.note) ctx.print(`ralph ${actor}: ${decision.note}`);
    else if (ctx.verbose) ctx.print(`ralph ${actor}: my turn: iteration ${state.iteration}`);
    // The prompt of the turn (the workflow's, then the router's), decided before the state changes.
    const { ctx: turnCtx, routed } = await routeTurn(turnPrompt(ctx, state.iteration, ownPrompts(ctx)), state.iteration);
    const running = markRunning(state, ctx.self, new Date(), ctx.leaseMs);
    await commitState(ctx, running, runningSubject(running, actor), { check: myTurn(ctx.self) });
    const result = await runTurn(turnCtx, state.iteration, 'sync', running);
    if (result.aborted) return { turns, failed: true };
    // Stamp only over my own running turn: never over a manual stamp or the other side's move.
    const remote = remoteState(git, branch);
    const veto = remote && myRunningTurn(ctx.self, state.iteration)(remote);
    if (veto) {
      throw new RalphError(
        'RALPH_STATE_MOVED',
        `not stamping the handoff: ${veto}. My work is committed locally (${git.headShort()}) and not pushed; look at \`git log origin/${branch}\`, then push it or stamp by hand with \`ralph stamp-handoff\`.`,
        { exitCode: 1 },
      );
    }
    const handed = stampHandoff(running, actor, result.ok, result.workCommit, new Date());
    const stamped = ctx.workflow
      ? annotate(handed, ctx.workflow, ownPrompts(ctx), turnCtx.promptName)
      : routed
        ? { ...handed, last_prompt: turnCtx.promptName }
        : handed;
    // Dirty files tolerated (--tolerate-doc-dirty) are set aside while the handoff is rebased onto the remote.
    await commitState(ctx, stamped, handoffSubject(stamped, actor, result.ok, result.workCommit), {
      check: myRunningTurn(ctx.self, state.iteration),
      autostash: ctx.tolerateDirty === true,
    });
    ctx.print(`ralph ${actor}: handed off: ${handoffSubject(stamped, actor, result.ok, result.workCommit)}`);
    ctx.emit?.(
      turnFinishedEvent(
        { actor, iteration: state.iteration, branch, dir: ctx.cwd, mode: 'sync', ok: result.ok, commit: result.workCommit, next: stamped.expected_actor },
        new Date(),
      ),
    );
    if (!result.ok) return { turns, failed: true };
    waitingSince = Date.now();
  }
  return { turns, failed: false };
}

function readLocalState(ctx: LoopContext): SyncState | undefined {
  try {
    const parsed = parseSyncState(readFileSync(join(ctx.cwd, STATE_PATH), 'utf8'));
    return 'problem' in parsed ? undefined : parsed;
  } catch {
    return undefined;
  }
}

export function readState(ctx: Pick<LoopContext, 'cwd' | 'branch'>): SyncState {
  const path = join(ctx.cwd, STATE_PATH);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new RalphError(
      'RALPH_NO_SYNC_STATE',
      `${STATE_PATH} not found on branch ${ctx.branch}. Create it with \`ralph init --loops --start galph\`, commit and push it.`,
    );
  }
  const parsed = parseSyncState(text);
  if ('problem' in parsed)
    throw new RalphError('RALPH_BAD_SYNC_STATE', `${STATE_PATH} is not a valid sync state (${parsed.problem}). ${REPAIR_ADVICE}; then rerun.`);
  return parsed;
}

/** A crash between a handoff commit and its push: push it now, rather than redo the turn. */
export async function pushUnpushedHandoff(ctx: LoopContext): Promise<void> {
  const { git, branch, actor } = ctx;
  await git.exclusive('recover', async () => {
    const remote = await git.fetch(branch);
    const unpushed = remote ? git.unpushed(branch) : [];
    // A crash between the handoff commit and its push: push it now, do not redo the turn.
    if (unpushed.some(isHandoffSubject)) {
      ctx.print(`ralph ${actor}: found ${unpushed.length} unpushed commit(s) from an earlier run (${unpushed[0]}); pushing them`);
      await pullOrRecover(ctx);
      await git.push(branch, () => undefined);
    }
  });
}

/** Each actor's own prompt, as far as this one knows: the supervisor's, and the engineer's (its --prompt when it is the engineer). */
function ownPrompts(ctx: LoopContext): Record<Actor, string> {
  return { galph: ctx.actor === 'galph' ? ctx.promptName : 'supervisor', ralph: ctx.actor === 'ralph' ? ctx.promptName : 'main' };
}
