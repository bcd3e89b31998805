import { TASK_DATA_ENV_MAX, resultAfterStop, usageOf } from '../agents/agent.js';
import type { AgentAdapter, AgentInvocation } from '../agents/agent.js';
import { runAgent } from '../agents/run-agent.js';
import type { UsageLimitInfo } from '../agents/usage-limit.js';
import { StateWriteError, errorMessage } from '../errors.js';
import type { WorkerWorktree } from '../git/worktree.js';
import type { LeftoverSweeper } from '../process/descendants.js';
import type { Logger } from '../process/log.js';
import { redoesConflict } from '../queue/isolation.js';
import type { ConflictPolicy, MergeMode, TaskGitResult } from '../queue/isolation.js';
import type { RunOutcome } from '../queue/outcome.js';
import { taskPromptText } from '../queue/prompt.js';
import type { Task } from '../queue/types.js';
import { CLAIM_LOST } from './heartbeat.js';
import type { Heartbeat } from './heartbeat.js';
import type { PromptFile } from './prompt-file.js';
import { OUTPUT_WRITES_MS } from './session-writer.js';
import type { SessionWriter } from './session-writer.js';
import type { StepReport } from './step.js';
import type { MessageInbox } from './message-inbox.js';
import { runVerify } from './verify.js';
import type { VerifySettings } from './verify.js';
import { verifyError } from '../queue/verify.js';

/** What a worker reports on its next step about the task it ran. */
export interface PendingReport {
  task: Task;
  token: string;
  outcome?: RunOutcome;
  /** The agent hit a usage limit (the outcome then says so as a failure). */
  usageLimit?: UsageLimitInfo;
  interrupted: boolean;
}

export function stepReport(report: PendingReport): StepReport {
  const { task, ...rest } = report;
  return { taskId: task.id, ...rest };
}

export interface IsolationOptions {
  base: string;
  merge: MergeMode;
  onConflict: ConflictPolicy;
  /** The base branch is on this git remote, shared by workers on several machines. */
  remote?: string;
}

/** The worker's settings that running one task uses (a part of WorkerOptions). */
export interface TaskSettings {
  id: number;
  agent: AgentAdapter;
  promptTemplate: string;
  taskTimeoutMs?: number;
  idleTimeoutMs?: number;
  graceMs: number;
  signal?: AbortSignal;
  isolation?: IsolationOptions;
  /** `--verify`: the check run after an agent that finished, and how long it may take. */
  verify?: VerifySettings;
  /** `--require-changes` (with isolation): a task that commits nothing fails. */
  requireChanges?: boolean;
}

/** What the worker set up once and every task uses. */
export interface TaskRoom {
  log: Logger;
  /** Where the agent runs (in worktree mode: its counterpart in the worktree). */
  cwd: string;
  stateDir: string;
  promptFile: PromptFile;
  dataFile: PromptFile;
  /** The environment agents start from, copied once. */
  baseEnv: NodeJS.ProcessEnv;
  writer: SessionWriter;
  heartbeat: Heartbeat;
  leftovers: LeftoverSweeper;
  /** `--isolate worktree`: the worker's worktree, and the name of a task's branch. */
  worktree?: { tree: WorkerWorktree; branchOf: (taskId: string) => string };
  /** `ralph say`'s messages this worker has not given an agent yet. */
  messages: MessageInbox;
}

/**
 * Runs one claimed task: its worktree branch begun, its prompt written, its agent run under the
 * claim's token (the heartbeat renewing the lease meanwhile), and in worktree mode its work
 * committed and merged. Resolves to the report to make; `cannotWrite` when the state directory
 * cannot be written (the worker then stops once the task is given back).
 */
export async function runTask(
  task: Task,
  token: string,
  settings: TaskSettings,
  room: TaskRoom,
): Promise<{ report: PendingReport; cannotWrite?: StateWriteError }> {
  const { log, writer, heartbeat } = room;
  const { session } = writer;
  const abort = new AbortController();
  const onStop = () => abort.abort();
  if (settings.signal?.aborted) abort.abort();
  settings.signal?.addEventListener('abort', onStop);
  heartbeat.hold({ task, token, abort });
  const release = () => {
    settings.signal?.removeEventListener('abort', onStop);
    heartbeat.hold(undefined);
  };
  log.info(`▶ task ${task.id} (${task.type}) attempt ${task.attempts}`);
  const failedBefore = (reason: 'spawn' | 'git', error: string): { report: PendingReport } => {
    release();
    return { report: { task, token, interrupted: false, outcome: { ok: false, finding: '', exitCode: null, signal: null, durationMs: 0, reason, error } } };
  };
  const worktree = room.worktree?.tree;
  let branch: string | undefined;
  if (room.worktree && worktree) {
    try {
      // A retry continues the earlier attempt's branch; a first attempt starts afresh.
      const begun = await worktree.begin(task.id, task.attempts > 1 || task.branch === room.worktree.branchOf(task.id));
      branch = begun.branch;
      log.info(`task ${task.id} on branch ${branch} in ${worktree.path}${begun.note ? ` (${begun.note})` : ''}`);
    } catch (error) {
      return failedBefore('git', `could not prepare the worktree: ${errorMessage(error)}`);
    }
  }
  let invocation: AgentInvocation;
  try {
    invocation = prepare(task, settings, room, branch);
  } catch (error) {
    // The prompt file cannot be written (a full disk): the task was not run, so it goes back
    // uncounted, and the worker stops once that is recorded.
    if (error instanceof StateWriteError) {
      release();
      return { report: { task, token, interrupted: true }, cannotWrite: error };
    }
    return failedBefore('spawn', `could not prepare the agent: ${errorMessage(error)}`);
  }
  const finishGit = (ended: 'ok' | 'failed' | 'interrupted', finding: string): Promise<TaskGitResult> =>
    worktree!.finish({
      taskId: task.id,
      type: task.type,
      ended,
      finding,
      merge: settings.isolation!.merge,
      setAsideOnConflict: ended === 'ok' && redoesConflict(task, settings.isolation!.onConflict),
      claimLost: abort.signal.reason === CLAIM_LOST,
    });
  session.status = 'running';
  session.current_task = task.id;
  session.task_started_at = new Date().toISOString();
  session.current_token = token;
  writer.lastOutput.reset(session);
  const sweeper = room.leftovers.forTask(token);
  try {
    const { output, result } = await runAgent(settings.agent, invocation, {
      token,
      ...(settings.taskTimeoutMs === undefined ? {} : { timeoutMs: settings.taskTimeoutMs }),
      ...(settings.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: settings.idleTimeoutMs }),
      graceMs: settings.graceMs,
      signal: abort.signal,
      baseEnv: room.baseEnv,
      onSpawn: (pid) => {
        session.agent_pgid = pid;
        writer.touch();
      },
      sweep: sweeper.sweep,
      onLine: (stream, shown) => {
        log.info(`[${stream === 'stdout' ? 'out' : 'err'}] ${shown}`);
        writer.lastOutput.note(shown);
        writer.touch(OUTPUT_WRITES_MS);
      },
    });
    session.agent_pgid = null;
    session.current_token = null;
    session.busy_ms += output.durationMs;
    if (sweeper.killed() > 0) log.info(`task ${task.id}: killed ${sweeper.killed()} process(es) its agent left running outside its process group`);
    if (output.interrupted) {
      // An agent that finished its turn within the grace period has its result recorded.
      if (resultAfterStop(output, result)) {
        log.info(`task ${task.id} finished within the grace period after the stop; its result is recorded`);
      } else {
        log.info(`task ${task.id} interrupted after ${output.durationMs} ms; it goes back to pending`);
        // What the agent did so far is committed on the task's branch, for the next attempt.
        if (worktree) await finishGit('interrupted', '').catch((error: unknown) => log.info(`could not save the worktree: ${errorMessage(error)}`));
        return { report: { task, token, interrupted: true } };
      }
    }
    const outcome: RunOutcome = {
      ok: result.ok,
      finding: result.finding,
      exitCode: output.exitCode,
      signal: output.signal,
      durationMs: output.durationMs,
    };
    if (result.reason) outcome.reason = result.reason;
    if (result.error) outcome.error = result.error;
    const usage = usageOf(result);
    if (usage) outcome.usage = usage;
    // The agent's word is checked before anything is merged: --verify's exit decides.
    if (outcome.ok && settings.verify) {
      const before = leftoversBefore(worktree, log);
      const { record, interrupted } = await runVerify(settings.verify, invocation, {
        baseEnv: room.baseEnv,
        graceMs: settings.graceMs,
        signal: abort.signal,
        log,
        taskId: task.id,
      });
      if (interrupted) {
        log.info(`task ${task.id} interrupted while being verified; it goes back to pending`);
        if (worktree) await finishGit('interrupted', '').catch((error: unknown) => log.info(`could not save the worktree: ${errorMessage(error)}`));
        return { report: { task, token, interrupted: true } };
      }
      // What the check left (coverage, build output) is not the task's work: neither committed nor merged.
      const dropped = dropLeftovers(worktree, before, log);
      if (dropped.length > 0) log.info(`task ${task.id}: what the check left is not committed: ${dropped.join(', ')}`);
      outcome.verify = record;
      if (!record.ok) Object.assign(outcome, { ok: false, reason: 'verify', error: verifyError(record) });
    }
    if (worktree) {
      try {
        outcome.git = await finishGit(outcome.ok ? 'ok' : 'failed', result.finding);
      } catch (error) {
        const message = `the agent's work is kept on ${branch ?? 'its branch'}, but committing or merging it failed: ${errorMessage(error)}`;
        log.info(`task ${task.id}: ${message}`);
        if (outcome.ok) Object.assign(outcome, { ok: false, reason: 'git', error: message });
        if (branch) outcome.git = { branch };
      }
      // What was verified: the commit the check ran on, and what it changed.
      if (outcome.verify && outcome.git?.commit) Object.assign(outcome.verify, { commit: outcome.git.commit, files_changed: outcome.git.files_changed ?? [] });
      if (outcome.ok && settings.requireChanges && !outcome.git?.commit)
        Object.assign(outcome, { ok: false, reason: 'no-changes', error: `the task left ${branch ?? 'its branch'} without a commit (--require-changes)` });
    }
    return { report: { task, token, outcome, interrupted: false, ...(result.usageLimit ? { usageLimit: result.usageLimit } : {}) } };
  } finally {
    release();
  }
}

/** The task's prompt and data written to the worker's files, and the agent's invocation for it. */
function prepare(task: Task, settings: TaskSettings, room: TaskRoom, branch: string | undefined): AgentInvocation {
  const worktree = room.worktree?.tree;
  const prompt = taskPromptText(settings.promptTemplate, task, worktree !== undefined, room.messages.next(task.id, room.log));
  room.promptFile.write(prompt);
  room.dataFile.write(JSON.stringify(task.data ?? null));
  const invocation = settings.agent.invocation({
    task: { id: task.id, type: task.type, data: task.data, attempt: task.attempts },
    prompt,
    promptFile: room.promptFile.path,
    dataFile: room.dataFile.path,
    workerId: settings.id,
    stateDir: room.stateDir,
    cwd: worktree ? worktree.cwdFor(room.cwd) : room.cwd,
    ...(worktree ? { launchDir: room.cwd } : {}),
  });
  if (invocation.env.RALPH_TASK_DATA === undefined)
    room.log.info(
      `task ${task.id}: its data is too large for RALPH_TASK_DATA (over ${TASK_DATA_ENV_MAX / 1024} KiB): the agent finds it in RALPH_TASK_DATA_FILE only`,
    );
  if (worktree && branch) {
    invocation.env.RALPH_WORKTREE = worktree.path;
    invocation.env.RALPH_BRANCH = branch;
  }
  return invocation;
}

/** What is changed in the worktree before a check (undefined: not isolated, or git could not say). */
function leftoversBefore(worktree: WorkerWorktree | undefined, log: Logger): Map<string, string> | undefined {
  try {
    return worktree?.changes();
  } catch (error) {
    log.info(`could not note the worktree before the check: ${errorMessage(error)}`);
    return undefined;
  }
}

/** What the check left, put back; a path git cannot put back is said and left (it may then be committed). */
function dropLeftovers(worktree: WorkerWorktree | undefined, before: Map<string, string> | undefined, log: Logger): string[] {
  if (!worktree || !before) return [];
  try {
    return worktree.dropCheckLeftovers(before);
  } catch (error) {
    log.info(`could not put back what the check left: ${errorMessage(error)}`);
    return [];
  }
}
