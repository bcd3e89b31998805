// biome-ignore-all lint/style/noExcessiveLinesPerFile: to be split by concept (issue 15, point 7)
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentAdapter, AgentResult } from '../agents/agent.js';
import { runAgent } from '../agents/run-agent.js';
import { RalphError } from '../errors.js';
import { Git, GitError } from '../git/git.js';
import { isAlive } from '../process/alive.js';
import { HOST } from '../process/machine.js';
import { newToken } from '../store/token.js';
import { fileLogger } from '../process/log.js';
import { killTargets, processesWithToken } from '../process/by-token.js';
import type { Logger } from '../process/log.js';
import { LeaseRenewal, TurnLostError, eitherSignal } from './lease-renewal.js';
import { iterationFiles, renderSummary } from './logs.js';
import { planAutoCommit } from './policies.js';
import { refuseSecrets, secretsIn, secretsInCommits, workingTree } from './secret-files.js';
import { redact } from '../redact/process.js';
import type { ChangedFile, CommitPlan, PolicyOptions } from './policies.js';
import { TurnHeldError, assertBranch, commitState, myRunningTurn, myTurn, remoteState } from './state-commit.js';
import { REPAIR_ADVICE, STATE_PATH, handoffSubject, isHandoffSubject, markRunning, parseSyncState, runningSubject, stampHandoff } from './sync-state.js';
import { decideTurn } from './turn-holder.js';
import type { Actor, Self, SyncState } from './sync-state.js';
import { leaseExpiredEvent, turnFinishedEvent } from './loop-events.js';
import type { RalphEvent } from '../events/run-events.js';

export interface LoopOptions {
  actor: Actor;
  /** The repository (the current directory). */
  cwd: string;
  agent: AgentAdapter;
  /** The prompt file, and its short name for log names (`main`, `debug`, `supervisor`). */
  promptPath: string;
  promptName: string;
  /** --branch; required with sync, defaults to the current branch otherwise. */
  branch?: string;
  syncViaGit: boolean;
  loops: number;
  pollMs: number;
  maxWaitMs?: number;
  leaseMs: number;
  agentTimeoutMs?: number;
  /** `--idle-timeout`: the agent is killed as hung once silent this long. */
  agentIdleMs?: number;
  graceMs: number;
  logdir: string;
  verbose: boolean;
  heartbeatMs?: number;
  policies: PolicyOptions;
  /** Galph: recover from a pull blocked by local changes (submodules, tracked outputs, docs). */
  prepullRecovery: boolean;
  /** Console output (state changes, agent output). */
  print: (line: string) => void;
  /** Told each event for `--on-event` (turn-finished, lease-expired); never waits. */
  emit?: (event: RalphEvent) => void;
  signal?: AbortSignal;
}

export interface LoopSummary {
  turns: number;
  failed: boolean;
}

/** `ralph supervisor` and `ralph loop`: run this actor's turns, alone (async) or taking turns through git. */
export async function runLoop(options: LoopOptions): Promise<LoopSummary> {
  const git = new Git(options.cwd, (line) => options.print(`ralph ${options.actor}: ${line}`));
  const branch = checkStartBranch(git, options.branch);
  readPrompt(options.promptPath); // a missing prompt is an error before anything else happens
  // This process, as the holder of the turns it runs; a turn held by another live actor is never run here.
  const self: Self = { actor: options.actor, host: HOST, pid: process.pid, token: newToken(), isAlive };
  const ctx = { ...options, branch, git, self };
  killLeftoverAgent(ctx);
  return options.syncViaGit ? runSync(ctx) : runAsync(ctx);
}

type Ctx = LoopOptions & { branch: string; git: Git; self: Self };

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

function readPrompt(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new RalphError(
      'RALPH_NO_PROMPT',
      `prompt file ${path} not found. Create it (\`ralph init --loops\` writes the defaults) or pick another with --prompt / --prompt-file.`,
    );
  }
}

async function runAsync(ctx: Ctx): Promise<LoopSummary> {
  let iteration = readLocalState(ctx)?.iteration ?? 1;
  for (let turn = 1; turn <= ctx.loops; turn++, iteration++) {
    if (ctx.signal?.aborted) return { turns: turn - 1, failed: true };
    ctx.print(`ralph ${ctx.actor}: iteration ${iteration} (${turn} of ${ctx.loops}, async)`);
    const result = await runTurn(ctx, iteration, 'async', undefined);
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

async function runSync(ctx: Ctx): Promise<LoopSummary> {
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
    const running = markRunning(state, ctx.self, new Date(), ctx.leaseMs);
    await commitState(ctx, running, runningSubject(running, actor), { check: myTurn(ctx.self) });
    const result = await runTurn(ctx, state.iteration, 'sync', running);
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
    const stamped = stampHandoff(running, actor, result.ok, result.workCommit, new Date());
    await commitState(ctx, stamped, handoffSubject(stamped, actor, result.ok, result.workCommit), { check: myRunningTurn(ctx.self, state.iteration) });
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

function readLocalState(ctx: Ctx): SyncState | undefined {
  try {
    const parsed = parseSyncState(readFileSync(join(ctx.cwd, STATE_PATH), 'utf8'));
    return 'problem' in parsed ? undefined : parsed;
  } catch {
    return undefined;
  }
}

function readState(ctx: Ctx): SyncState {
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

/** `git pull` (fetch + rebase); galph first clears what blocks it, in the documented order. */
async function pullOrRecover(ctx: Ctx): Promise<void> {
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
async function autoCommit(ctx: Ctx, why: string, policies: PolicyOptions): Promise<CommitPlan> {
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

interface TurnResult {
  ok: boolean;
  aborted: boolean;
  workCommit: string;
}

/** One turn: run the agent (lease renewed meanwhile), auto-commit, write the log and the summary. */
async function runTurn(ctx: Ctx, iteration: number, mode: 'sync' | 'async', running: SyncState | undefined): Promise<TurnResult> {
  const { git, actor } = ctx;
  const startedAt = new Date();
  const names = iterationFiles(ctx.branch, actor, iteration, startedAt, ctx.promptName);
  const logPath = join(ctx.logdir, names.log);
  mkdirSync(dirname(logPath), { recursive: true });
  const log: Logger = fileLogger(logPath);
  const say = (line: string) => {
    log.info(line);
    ctx.print(line);
  };
  const cleared = git.clearStaleIndexLock(); // before the agent, whose own git would trip over it
  const before = git.headShort();
  let renewal: LeaseRenewal | undefined;
  try {
    say(`ralph ${actor}: iteration ${iteration} on ${ctx.branch} (${mode}), prompt ${relative(ctx.cwd, ctx.promptPath) || ctx.promptPath}`);
    if (cleared) log.info(cleared);
    const prompt = readPrompt(ctx.promptPath);
    const invocation = ctx.agent.invocation({
      task: { id: `${actor}-${iteration}`, type: actor, data: { iteration, branch: ctx.branch }, attempt: 1 },
      prompt,
      promptFile: ctx.promptPath,
      workerId: 0,
      stateDir: ctx.cwd,
      cwd: ctx.cwd,
    });
    const token = newToken();
    Object.assign(invocation.env, { RALPH_ACTOR: actor, RALPH_ITERATION: String(iteration), RALPH_BRANCH: ctx.branch });
    writeFileSync(agentRecord(ctx), `${JSON.stringify({ pid: process.pid, token, iteration, started_at: startedAt.toISOString() })}\n`);
    if (running) renewal = new LeaseRenewal(ctx, running, say);
    const stop = renewal ? eitherSignal(ctx.signal, renewal.lost) : undefined;
    const signal = stop?.signal ?? ctx.signal;
    const { output, result: parsed } = await runAgent(ctx.agent, invocation, {
      token,
      graceMs: ctx.graceMs,
      ...(ctx.agentTimeoutMs === undefined ? {} : { timeoutMs: ctx.agentTimeoutMs }),
      ...(ctx.agentIdleMs === undefined ? {} : { idleTimeoutMs: ctx.agentIdleMs }),
      ...(signal ? { signal } : {}),
      onLine: (_stream, shown) => {
        log.info(shown);
        ctx.print(shown);
      },
    });
    stop?.dispose();
    await renewal?.stop();
    rmSync(agentRecord(ctx), { force: true });
    if (renewal?.lostWhy !== undefined) {
      throw new TurnLostError(
        `my turn was taken from me while the agent worked: ${renewal.lostWhy}. I stopped the agent; its commits and changes stay in this clone, unpublished (\`git log origin/${ctx.branch}..HEAD\`, \`git status\`).`,
      );
    }
    if (output.interrupted) {
      say(`ralph ${actor}: interrupted; the turn stays mine (${running ? `state ${running.status}` : 'async'}) and is resumed when I am restarted`);
      return { ok: false, aborted: true, workCommit: before };
    }
    let ok = parsed.ok;
    let error = parsed.error;
    if (!ok) say(`ralph ${actor}: agent failed: ${error ?? 'unknown'}`);
    // Publish what the agent left, by policy. Anything else dirty aborts the handoff.
    let ownCommits: string[] = [];
    let ownFiles: string[] = [];
    const plan = await git.exclusive('auto-commit', async () => {
      assertBranch(git, ctx.branch);
      const made = await autoCommit(ctx, `${actor} iteration ${iteration}`, ctx.policies);
      // This turn's own commits, before they are rebased onto the lease renewals and anyone else's.
      const mine = git.headShort();
      if (mine !== before) {
        ownCommits = git
          .check(['log', '--format=%h %s', `${before}..${mine}`])
          .split('\n')
          .filter(Boolean);
        ownFiles = git.check(['diff', '--name-only', before, mine]).split('\n').filter(Boolean);
        refuseSecrets(secretsInCommits(git, before, mine, ownFiles), {
          refused: `this turn's commits (${before}..${mine}) were not pushed`,
          fix: 'Take the secret out of those commits (git commit --amend, git rebase -i)',
        });
      }
      // Lease renewals were pushed on top of the remote branch: put this turn's commits on them.
      if (running && made.violations.length === 0) {
        const r = await git.pull(ctx.branch, { autostash: true });
        if (r.code !== 0) {
          throw new GitError(`could not rebase this turn's commits onto origin/${ctx.branch}: ${r.stderr.trim()}`);
        }
      }
      return made;
    });
    const after = git.headShort();
    // After a rebase the same commits have new names: the top ones of HEAD.
    const commits =
      ownCommits.length === 0
        ? []
        : git
            .check(['log', '--format=%h %s', '-n', String(ownCommits.length), after])
            .split('\n')
            .filter(Boolean);
    const filesChanged = ownFiles;
    const summaryPath = join(ctx.logdir, names.summary);
    const writeSummary = () => {
      mkdirSync(dirname(summaryPath), { recursive: true });
      writeFileSync(
        summaryPath,
        redact(
          renderSummary({
            actor,
            iteration,
            branch: ctx.branch,
            mode,
            prompt: ctx.promptName,
            startedAt,
            endedAt: new Date(),
            exitCode: output.exitCode,
            signal: output.signal,
            timedOut: output.timedOut,
            ...(output.idleMs === undefined ? {} : { idleMs: output.idleMs }),
            ok,
            ...(error ? { error } : {}),
            commits,
            filesChanged,
            finding: parsed.finding,
            log: logPath,
            ...(parsed.agent ? { agent: describeUsage(parsed) } : {}),
          }),
        ),
      );
    };
    if (plan.violations.length > 0) {
      ok = false;
      error = `dirty tracked file(s) outside every auto-commit policy: ${plan.violations.join(', ')}`;
      writeSummary();
      say(`ralph ${actor}: handoff aborted: ${error}`);
      throw new RalphError(
        'RALPH_DIRTY_TREE',
        `handoff aborted, state not changed: ${error}. Commit or revert them (or widen --autocommit-whitelist), then rerun; the turn is resumed.`,
        { exitCode: 1 },
      );
    }
    writeSummary();
    say(`ralph ${actor}: iteration ${iteration} ${ok ? 'done' : 'failed'}; ${commits.length} commit(s); summary ${summaryPath}`);
    return { ok, aborted: false, workCommit: after };
  } finally {
    await renewal?.stop();
    log.close();
  }
}

/** Where a running agent is recorded, so that a restarted loop can stop one its crashed predecessor left. */
function agentRecord(ctx: Ctx): string {
  return join(ctx.git.gitDir, `ralph-${ctx.actor}-agent.json`);
}

/**
 * A loop killed mid-turn leaves its agent running in its own process group. Before the turn is
 * resumed, that agent is killed (found by the token in its environment), so that two agents never
 * work on one turn.
 */
function killLeftoverAgent(ctx: Ctx): void {
  let record: { pid: number; token: string; iteration: number; started_at?: string };
  try {
    record = JSON.parse(readFileSync(agentRecord(ctx), 'utf8'));
  } catch {
    return;
  }
  if (record.pid !== process.pid && isAlive(record.pid)) {
    throw new RalphError(
      'RALPH_LOOP_RUNNING',
      `another \`ralph ${ctx.actor === 'galph' ? 'supervisor' : 'loop'}\` (pid ${record.pid}, iteration ${record.iteration}, since ${record.started_at ?? 'an unknown time'}) is running its agent in this clone; wait for it to hand off, or stop it (kill ${record.pid}) and rerun. (If pid ${record.pid} is something else now, after a reboot, delete ${agentRecord(ctx)}.)`,
    );
  }
  killTargets(processesWithToken(record.token), (target) =>
    ctx.print(
      `ralph ${ctx.actor}: killed the agent left running by a crashed earlier run (iteration ${record.iteration}, ${target < 0 ? `process group ${-target}` : `pid ${target}`})`,
    ),
  );
  rmSync(agentRecord(ctx), { force: true });
}

/** "claude (model m), $0.0123, 1200 in / 300 out tokens, session s" for the iteration summary ("~$0.0123 (estimated)", "cost unknown"). */
function describeUsage(r: AgentResult): string {
  const parts = [`${r.agent}${r.model ? ` (model ${r.model})` : ''}`];
  if (r.costUsd !== undefined) parts.push(r.costEstimated ? `~$${r.costUsd.toFixed(4)} (estimated)` : `$${r.costUsd.toFixed(4)}`);
  else if (r.tokens) parts.push('cost unknown');
  if (r.tokens) parts.push(`${r.tokens.input ?? 0} in / ${r.tokens.output ?? 0} out tokens`);
  if (r.sessionId) parts.push(`session ${r.sessionId}`);
  return parts.join(', ');
}
