import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { AgentResult } from '../agents/agent.js';
import { runAgent } from '../agents/run-agent.js';
import { RalphError } from '../errors.js';
import { GitError } from '../git/git.js';
import { fileLogger } from '../process/log.js';
import type { Logger } from '../process/log.js';
import { redact } from '../redact/process.js';
import { newToken } from '../store/token.js';
import { LeaseRenewal, TurnLostError, eitherSignal } from './lease-renewal.js';
import { agentRecord } from './leftover-agent.js';
import { iterationFiles, renderSummary } from './logs.js';
import type { LoopContext } from './options.js';
import { refuseSecrets, secretsInCommits } from './secret-files.js';
import { assertBranch } from './state-commit.js';
import { STATE_PATH } from './sync-state.js';
import type { SyncState } from './sync-state.js';
import { autoCommit } from './working-tree.js';

export function readPrompt(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new RalphError(
      'RALPH_NO_PROMPT',
      `prompt file ${path} not found. Create it (\`ralph init --loops\` writes the defaults) or pick another with --prompt / --prompt-file.`,
    );
  }
}

export interface TurnResult {
  ok: boolean;
  aborted: boolean;
  workCommit: string;
}

/** One turn: run the agent (lease renewed meanwhile), auto-commit, write the log and the summary. */
export async function runTurn(ctx: LoopContext, iteration: number, mode: 'sync' | 'async', running: SyncState | undefined): Promise<TurnResult> {
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
    // The agent of this role and prompt (--agent-role, --agent-prompt), else the loop's own.
    const agent = ctx.agentFor?.(actor, ctx.promptName) ?? ctx.agent;
    const invocation = agent.invocation({
      task: { id: `${actor}-${iteration}`, type: actor, data: { iteration, branch: ctx.branch }, attempt: 1 },
      prompt,
      promptFile: ctx.promptPath,
      workerId: 0,
      stateDir: ctx.cwd,
      cwd: ctx.cwd,
    });
    const token = newToken();
    Object.assign(invocation.env, { RALPH_ACTOR: actor, RALPH_ITERATION: String(iteration), RALPH_BRANCH: ctx.branch, RALPH_PROMPT_NAME: ctx.promptName });
    writeFileSync(agentRecord(ctx), `${JSON.stringify({ pid: process.pid, token, iteration, started_at: startedAt.toISOString() })}\n`);
    if (running) renewal = new LeaseRenewal(ctx, running, say);
    const stop = renewal ? eitherSignal(ctx.signal, renewal.lost) : undefined;
    const signal = stop?.signal ?? ctx.signal;
    // A quiet agent is visible: while it prints nothing, a line says so every --prompt-heartbeat-secs.
    let lastLine = Date.now();
    const beat = ctx.promptHeartbeatMs
      ? setInterval(() => {
          const quiet = Date.now() - lastLine;
          if (quiet >= ctx.promptHeartbeatMs!) say(`ralph ${actor}: the agent is still working, quiet for ${Math.round(quiet / 1000)}s`);
        }, ctx.promptHeartbeatMs)
      : undefined;
    const { output, result: parsed } = await runAgent(agent, invocation, {
      token,
      graceMs: ctx.graceMs,
      ...(ctx.agentTimeoutMs === undefined ? {} : { timeoutMs: ctx.agentTimeoutMs }),
      ...(ctx.agentIdleMs === undefined ? {} : { idleTimeoutMs: ctx.agentIdleMs }),
      ...(signal ? { signal } : {}),
      onLine: (_stream, shown) => {
        lastLine = Date.now();
        log.info(shown);
        ctx.print(shown);
      },
    }).finally(() => clearInterval(beat));
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
    // Without commits (--no-git, --commit-dry-run) the files stay as they are: said, and handed over all the same.
    if (plan.violations.length > 0 && (ctx.commits ?? 'yes') !== 'yes') {
      const left = plan.violations.filter((path) => path !== STATE_PATH);
      if (left.length > 0) say(`ralph ${actor}: left uncommitted (${ctx.commits === 'no' ? '--no-git' : '--commit-dry-run'}): ${left.join(', ')}`);
    } else if (plan.violations.length > 0 && ctx.tolerateDirty) {
      say(
        `ralph ${actor}: dirty tracked file(s) outside every auto-commit policy, handed off all the same (--tolerate-doc-dirty): ${plan.violations.join(', ')}`,
      );
    } else if (plan.violations.length > 0) {
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

/** "claude (model m), $0.0123, 1200 in / 300 out tokens, session s" for the iteration summary ("~$0.0123 (estimated)", "cost unknown"). */
function describeUsage(r: AgentResult): string {
  const parts = [`${r.agent}${r.model ? ` (model ${r.model})` : ''}`];
  if (r.costUsd !== undefined) parts.push(r.costEstimated ? `~$${r.costUsd.toFixed(4)} (estimated)` : `$${r.costUsd.toFixed(4)}`);
  else if (r.tokens) parts.push('cost unknown');
  if (r.tokens) parts.push(`${r.tokens.input ?? 0} in / ${r.tokens.output ?? 0} out tokens`);
  if (r.sessionId) parts.push(`session ${r.sessionId}`);
  return parts.join(', ');
}
