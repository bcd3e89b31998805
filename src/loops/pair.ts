import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AgentAdapter } from '../agents/agent.js';
import { RalphError } from '../errors.js';
import { Git } from '../git/git.js';
import { isAlive } from '../process/alive.js';
import { HOST } from '../process/machine.js';
import { newToken } from '../store/token.js';
import { killLeftoverAgent } from './leftover-agent.js';
import { checkStartBranch, pushUnpushedHandoff, readState } from './loop.js';
import { turnFinishedEvent } from './loop-events.js';
import type { LoopContext, LoopOptions, LoopSummary } from './options.js';
import type { PolicyOptions } from './policies.js';
import { TurnHeldError, commitState, myRunningTurn, myTurn } from './state-commit.js';
import type { StateCheck } from './state-commit.js';
import { STATE_PATH, formatSyncState, handoffSubject, markRunning, runningSubject, stampHandoff } from './sync-state.js';
import type { Actor, Self, SyncState } from './sync-state.js';
import { decideTurn } from './turn-holder.js';
import { annotate, reviewerPromptPath, turnPrompt } from './workflow.js';
import { routeTurn } from './router.js';
import { readPrompt, runTurn } from './turn.js';
import { pullOrRecover } from './working-tree.js';

/** One actor of a pair: its agent, its prompt and what is auto-committed after its turn. */
export interface PairRole {
  agent: AgentAdapter;
  promptPath: string;
  promptName: string;
  policies: PolicyOptions;
  prepullRecovery: boolean;
}

export type PairOptions = Omit<LoopOptions, 'actor' | 'agent' | 'promptPath' | 'promptName' | 'policies' | 'prepullRecovery'> & {
  roles: Record<Actor, PairRole>;
};

/**
 * `ralph pair`: the supervisor and the engineer in one process, taking turns as `sync/state.json`
 * says (galph, ralph, galph …), `loops` turns in all. Each turn is what the two-process mode makes
 * of it: the state marked running (holder, lease), the agent run, its work auto-committed by that
 * actor's policies, the log and summary written, the handoff stamped and committed (`[SYNC …]`), so
 * `tail-logs` and `stamp-handoff` work on its history. With `syncViaGit` each state commit is pushed
 * as well (another machine can take a role over later); `commits: 'no'` commits nothing (the state
 * file is written in place), `'dry-run'` says what it would commit.
 */
export async function runPair(options: PairOptions): Promise<LoopSummary> {
  const git = new Git(options.cwd, (line) => options.print(`ralph pair: ${line}`));
  const branch = checkStartBranch(git, options.branch);
  for (const role of Object.values(options.roles)) readPrompt(role.promptPath); // a missing prompt: an error before anything happens
  if (options.workflow?.name === 'review-cadence') readPrompt(reviewerPromptPath(options));
  if (options.router) readPrompt(options.router.promptPath);
  const own = { galph: options.roles.galph.promptName, ralph: options.roles.ralph.promptName };
  // This process holds both roles' turns (one token: a turn it left running is its own to resume).
  const token = newToken();
  const contexts = {} as Record<Actor, LoopContext>;
  for (const actor of ['galph', 'ralph'] as const) {
    const self: Self = { actor, host: HOST, pid: process.pid, token, isAlive };
    contexts[actor] = { ...options, ...options.roles[actor], actor, branch, git, self };
    killLeftoverAgent(contexts[actor]);
  }
  if (options.syncViaGit) await pushUnpushedHandoff(contexts.galph);
  let turns = 0;
  while (turns < options.loops) {
    if (options.signal?.aborted) return { turns, failed: true };
    if (options.syncViaGit) await git.exclusive('pull', () => pullOrRecover(contexts.galph));
    const state = readState({ cwd: options.cwd, branch });
    const ctx = contexts[state.expected_actor];
    const decision = decideTurn(state, ctx.self, new Date());
    if (decision.kind === 'held') throw new TurnHeldError(decision.why);
    if (decision.kind === 'wait')
      throw new RalphError('RALPH_TURN_HELD', `${STATE_PATH} says ${decision.expiredLease ?? decision.why}: not a turn this pair can take now.`, {
        exitCode: 2,
      });
    turns++;
    if (decision.note) options.print(`ralph ${ctx.actor}: ${decision.note}`);
    // The prompt of the turn (the workflow's, then the router's), decided before the state changes.
    const { ctx: turnCtx, routed } = await routeTurn(turnPrompt(ctx, state.iteration, own), state.iteration);
    const running = markRunning(state, ctx.self, new Date(), options.leaseMs);
    await saveState(ctx, running, runningSubject(running, ctx.actor), myTurn(ctx.self));
    // The lease is renewed (pushed) only where another machine could take the turn over.
    const result = await runTurn(turnCtx, state.iteration, 'sync', options.syncViaGit ? running : undefined);
    if (result.aborted) return { turns, failed: true };
    const handed = stampHandoff(running, ctx.actor, result.ok, result.workCommit, new Date());
    const stamped = options.workflow
      ? annotate(handed, options.workflow, own, turnCtx.promptName)
      : routed
        ? { ...handed, last_prompt: turnCtx.promptName }
        : handed;
    const subject = handoffSubject(stamped, ctx.actor, result.ok, result.workCommit);
    await saveState(ctx, stamped, subject, myRunningTurn(ctx.self, state.iteration));
    options.print(`ralph ${ctx.actor}: handed off: ${subject}`);
    options.emit?.(
      turnFinishedEvent(
        {
          actor: ctx.actor,
          iteration: state.iteration,
          branch,
          dir: options.cwd,
          mode: 'sync',
          ok: result.ok,
          commit: result.workCommit,
          next: stamped.expected_actor,
        },
        new Date(),
      ),
    );
    if (!result.ok) return { turns, failed: true };
  }
  return { turns, failed: false };
}

/** The state committed (and pushed with --sync-via-git), or only written (--no-git), or written and said (--commit-dry-run). */
async function saveState(ctx: LoopContext, state: SyncState, subject: string, check: StateCheck): Promise<void> {
  const commits = ctx.commits ?? 'yes';
  if (commits === 'yes') return commitState(ctx, state, subject, { push: ctx.syncViaGit, check, autostash: ctx.tolerateDirty === true });
  const path = join(ctx.cwd, STATE_PATH);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, formatSyncState(state));
  if (commits === 'dry-run') ctx.print(`ralph ${ctx.actor}: would commit ${STATE_PATH} (--commit-dry-run): ${subject}`);
}
