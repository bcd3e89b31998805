// biome-ignore-all lint/style/noExcessiveLinesPerFile: to be split into the claim loop, running one task, heartbeat and session writes (issue 15, point 1)
import { join, resolve } from 'node:path';
import { TASK_DATA_ENV_MAX, resultAfterStop, usageOf } from '../agents/agent.js';
import type { AgentAdapter, AgentInvocation } from '../agents/agent.js';
import type { UsageLimitInfo } from '../agents/usage-limit.js';
import { runAgent } from '../agents/run-agent.js';
import { spawnBackend } from '../process/spawn.js';
import { StateMissingError, StateWriteError, errorMessage } from '../errors.js';
import { renewLease, holdsClaim } from '../queue/claim.js';
import type { UsageLimitPolicy } from '../queue/limits.js';
import type { ReportDecision, RunOutcome } from '../queue/outcome.js';
import { renderPrompt } from '../queue/prompt.js';
import { conflictPromptNote, redoesConflict } from '../queue/isolation.js';
import type { ConflictPolicy, MergeMode, TaskGitResult } from '../queue/isolation.js';
import type { WorkerWorktree } from '../git/worktree.js';
import type { Task } from '../queue/types.js';
import { FileStore } from '../store/file-store.js';
import { newToken } from '../store/token.js';
import { HOST } from '../process/machine.js';
import { cachedIsAlive } from '../process/alive.js';
import { processStartTime } from '../process/stat.js';
import { ChangeWatcher } from '../store/watch.js';
import { PromptFile } from './prompt-file.js';
import type { Logger } from '../process/log.js';
import { SESSION_HISTORY, writeSession } from '../store/sessions.js';
import { registerWorker } from './registration.js';
import type { WorkerSession } from '../store/sessions.js';
import { LeftoverSweeper } from '../process/descendants.js';
import { LastOutput } from './last-output.js';
import { workerStep } from './step.js';
import type { StepBlock, StepChannel, StepConfig, StepContext, StepReport, StepRequest, StepResult } from './step.js';

export interface WorkerOptions {
  dir: string;
  id: number;
  agent: AgentAdapter;
  promptTemplate: string;
  log: Logger;
  /** Working directory of the agent (default: this process's). */
  cwd?: string;
  taskTimeoutMs?: number;
  /** An agent that prints nothing for this long is killed as hung (`--idle-timeout`). */
  idleTimeoutMs?: number;
  graceMs: number;
  leaseMs: number;
  maxAttempts: number;
  retries: number;
  retryBackoffMs: number;
  /** `--max-cost-usd`: no new claims once the recorded cost reaches it. */
  maxCostUsd?: number;
  /** `--on-usage-limit` (default wait). */
  onUsageLimit?: UsageLimitPolicy;
  /** Added to a usage limit's reset time (default 60 s). */
  usageLimitMarginMs?: number;
  /** How long to hold off when the agent gives no reset time (default 15 min). */
  usageLimitWaitMs?: number;
  /** Poll interval when no change notification arrives. */
  pollMs?: number;
  /** Stops the worker: no new claims, and a running agent is interrupted. */
  signal?: AbortSignal;
  /** `--isolate worktree`: each task runs in this worker's worktree on its own branch, merged into `base`. */
  isolation?: IsolationOptions;
  /**
   * Where the worker's steps (report, claim) are applied: by its run, over this channel. Without
   * one, or once it fails, the worker takes the lock and applies them itself.
   */
  steps?: StepChannel;
  /** The pid of the `ralph run` that started this worker, recorded in its session. */
  runPid?: number;
}

export interface IsolationOptions {
  base: string;
  merge: MergeMode;
  onConflict: ConflictPolicy;
}

const SESSION_WRITES_MS = 250;
/** The agent's last output line alone is written at most this often. */
const OUTPUT_WRITES_MS = 500;

export interface WorkerSummary {
  workerId: number;
  completed: number;
  failed: number;
  stoppedBy: 'drained' | 'signal';
}

interface PendingReport {
  task: Task;
  token: string;
  outcome?: RunOutcome;
  /** The agent hit a usage limit (the outcome then says so as a failure). */
  usageLimit?: UsageLimitInfo;
  interrupted: boolean;
}

function stepReport(report: PendingReport): StepReport {
  const { task, ...rest } = report;
  return { taskId: task.id, ...rest };
}

/** The worker loop: claim → run the agent → report, until stopped or the queue is done. */
export async function runWorker(options: WorkerOptions): Promise<WorkerSummary> {
  // A worker reads the findings only to compact: its memory does not grow with them.
  const store = new FileStore(options.dir, { lazyResults: true });
  if (!store.exists()) throw new StateMissingError(options.dir);
  store.ensure(); // a queue from the shell implementation lacks prompts/ and journal/
  const { paths } = store;
  const log = options.log;
  const cwd = options.cwd ?? process.cwd();
  const stateDir = resolve(options.dir);
  const promptFile = new PromptFile(join(stateDir, 'prompts', `worker-${options.id}.prompt.md`));
  const dataFile = new PromptFile(join(stateDir, 'prompts', `worker-${options.id}.data.json`));
  let lastBlock = '';
  let lastBlockSeen = false;
  const stepConfig: StepConfig = {
    workerId: options.id,
    leaseMs: options.leaseMs,
    maxAttempts: options.maxAttempts,
    retries: options.retries,
    retryBackoffMs: options.retryBackoffMs,
    ...(options.maxCostUsd === undefined ? {} : { maxCostUsd: options.maxCostUsd }),
    onUsageLimit: options.onUsageLimit ?? 'wait',
    usageLimitMarginMs: options.usageLimitMarginMs ?? 60_000,
    usageLimitWaitMs: options.usageLimitWaitMs ?? 900_000,
    agent: options.agent.name,
    ...(options.isolation ? { onConflict: options.isolation.onConflict } : {}),
  };
  const stepContext: StepContext = { paths, isAlive: cachedIsAlive(1000), host: HOST };
  let steps = options.steps;

  const now = new Date().toISOString();
  const pidStart = processStartTime(process.pid);
  const session: WorkerSession = {
    worker_id: options.id,
    status: 'idle',
    registered: now,
    last_heartbeat: now,
    iteration: 0,
    findings: [],
    pid: process.pid,
    ...(pidStart === undefined ? {} : { pid_start: pidStart }),
    host: HOST,
    ...(options.runPid === undefined ? {} : { run_pid: options.runPid }),
    current_task: null,
    agent_pgid: null,
    completed: 0,
    failed: 0,
    busy_ms: 0,
  };
  // Exactly one of several workers started with this id goes on; the others stop here, before they
  // touch the prompt file or the worktree.
  await registerWorker(store, session, Math.max(options.leaseMs, 30_000));
  let worktree: WorkerWorktree | undefined;
  // The environment agents start from, copied once: reading process.env goes through the C++
  // environment on every key, and would on every task.
  let agentBaseEnv: NodeJS.ProcessEnv = { ...process.env };
  let taskBranch: ((id: string) => string) | undefined;
  if (options.isolation) {
    // Loaded only here: most workers never touch git, and every worker start counts.
    const [{ Repo }, { withoutGitLocation }, { WorkerWorktree, gitLock, ignoreStateDir }, branchName] = await Promise.all([
      import('../git/repo.js'),
      import('../git/run.js'),
      import('../git/worktree.js'),
      import('../queue/branch-name.js'),
    ]);
    taskBranch = branchName.taskBranch;
    // In a worktree, nothing in the environment points git at another repository or tree.
    agentBaseEnv = withoutGitLocation(process.env);
    const repo = Repo.open(cwd);
    ignoreStateDir(repo, stateDir);
    worktree = new WorkerWorktree(repo, stateDir, options.id, options.isolation.base, gitLock(stateDir), log);
    await worktree.ensure();
  }
  // Session writes replace a file, which is costly on some file systems: at most SESSION_WRITES_MS
  // apart while busy (OUTPUT_WRITES_MS for the agent's last output line alone); the heartbeat and
  // stopping write at once.
  let sessionTimer: NodeJS.Timeout | undefined;
  let sessionDue = Infinity;
  let lastSessionWrite = 0;
  const lastOutput = new LastOutput();
  const saveSession = () => {
    if (sessionTimer) {
      clearTimeout(sessionTimer);
      sessionTimer = undefined;
    }
    lastSessionWrite = Date.now();
    lastOutput.apply(session);
    writeSession(paths, session);
  };
  const touchSession = (gapMs = SESSION_WRITES_MS) => {
    const due = Math.max(Date.now(), lastSessionWrite + gapMs);
    if (sessionTimer && sessionDue <= due) return;
    if (sessionTimer) clearTimeout(sessionTimer);
    sessionDue = due;
    sessionTimer = setTimeout(() => {
      sessionTimer = undefined;
      try {
        saveSession();
      } catch (error) {
        log.info(`could not write the session file: ${errorMessage(error)}`);
      }
    }, due - Date.now());
  };
  saveSession();
  const spawning = spawnBackend();
  // What agents leave running after their task is found and killed (a child subreaper, or a scan).
  const leftovers = new LeftoverSweeper();
  log.info(
    `worker ${options.id} registered (pid ${process.pid} on ${HOST}); agent: ${options.agent.describe()}; started with ${spawning.backend}${spawning.why ? ` (${spawning.why})` : ''}, leftovers found by ${leftovers.mode}${options.steps ? `; steps applied by its run (pid ${process.ppid})` : ''}`,
  );

  let current: { task: Task; token: string; abort: AbortController } | undefined;
  let cannotWrite: StateWriteError | undefined;
  let renewing = false;
  const heartbeat = setInterval(
    () => {
      session.last_heartbeat = new Date().toISOString();
      try {
        saveSession();
      } catch (error) {
        log.info(`could not write the session file: ${errorMessage(error)}`);
      }
      const held = current;
      if (!held || renewing) return;
      renewing = true;
      store
        .transact((tx) => {
          const task = tx.get(held.task.id);
          if (!task || !holdsClaim(task, held.token)) return false;
          tx.put(renewLease(task, tx.now, options.leaseMs));
          return true;
        }, `worker ${options.id} lease`)
        .then(
          (kept) => {
            if (!kept && current === held) {
              log.info(`lost the claim on task ${held.task.id} (its lease was taken away); stopping its agent`);
              held.abort.abort();
            }
          },
          (error: unknown) => log.info(`lease renewal failed: ${errorMessage(error)}`),
        )
        .finally(() => {
          renewing = false;
        });
    },
    Math.max(100, Math.min(5000, Math.floor(options.leaseMs / 3))),
  );

  const watcher = new ChangeWatcher(paths.journalDir, ['queue.ndjson']);
  let pending: PendingReport | undefined;
  let stoppedBy: WorkerSummary['stoppedBy'] = 'drained';
  try {
    for (;;) {
      const stopping = options.signal?.aborted === true || cannotWrite !== undefined;
      const report = pending;
      // Told to stop with nothing to report: nothing to write either.
      if (stopping && !report) {
        stoppedBy = 'signal';
        break;
      }
      const token = newToken();
      watcher.clear();
      const request: StepRequest = { pid: process.pid, host: HOST, token, stopping, ...(report ? { report: stepReport(report) } : {}) };
      const step = await applyStep(request);
      for (const note of step.notes) log.info(note);
      if (cannotWrite) throw cannotWrite;
      pending = undefined;
      if (report && step.decision) noteReport(report, step.decision);
      noteBlock(step.block);
      // Told to stop while waiting for the lock: give back what was just claimed, run nothing.
      if (step.claimed && options.signal?.aborted) {
        pending = { task: step.claimed, token, interrupted: true };
        continue;
      }
      if (stopping) {
        stoppedBy = 'signal';
        break;
      }
      if (step.claimed) {
        watcher.close();
        pending = await runTask(step.claimed, token);
        continue;
      }
      if (session.status !== 'idle' || session.current_task !== null) {
        session.status = 'idle';
        session.current_task = null;
        touchSession();
      }
      if (!step.live && !step.open) break;
      // Idle: watch the queue from now on, and look at it once more before waiting.
      if (watcher.arm()) continue;
      const untilReady = step.waitingUntilMs !== undefined ? Math.max(10, step.waitingUntilMs - Date.now()) : Infinity;
      await watcher.wait(Math.min(options.pollMs ?? 1000, untilReady), options.signal);
    }
  } finally {
    clearInterval(heartbeat);
    if (sessionTimer) clearTimeout(sessionTimer);
    watcher.close();
    promptFile.close();
    dataFile.close();
    // A run that still applies this worker's steps is alive, and folds the journal at its end.
    const byRun = steps?.connected === true;
    steps?.close();
    session.status = 'stopped';
    session.current_task = null;
    session.current_token = null;
    session.agent_pgid = null;
    session.stopped_at = new Date().toISOString();
    session.max_rss_kb = process.resourceUsage().maxRSS;
    session.last_heartbeat = session.stopped_at;
    // Not thrown: a worker stopped by a full disk says why it stopped, not that its session failed too.
    try {
      saveSession();
    } catch (error) {
      log.info(`could not write the session file: ${errorMessage(error)}`);
    }
    // The run that started this worker folds the journal into the snapshots once all its workers
    // are gone; a worker on its own does it now.
    if (!byRun && !startedByLiveRun(store))
      await store.compactIfDue(true).catch((error: unknown) => log.info(`could not compact the queue: ${errorMessage(error)}`));
    store.close();
    const cpu = process.cpuUsage();
    log.info(
      `worker ${options.id} stopped (${stoppedBy === 'signal' ? 'asked to stop' : 'no work left'}): ${session.completed} completed, ${session.failed} failed; cpu ${((cpu.user + cpu.system) / 1e6).toFixed(2)}s, peak rss ${Math.round((session.max_rss_kb ?? 0) / 1024)} MiB`,
    );
  }
  return { workerId: options.id, completed: session.completed, failed: session.failed, stoppedBy };

  /** One step: applied by the run when it does that for this worker, else here under the lock. */
  async function applyStep(request: StepRequest): Promise<StepResult> {
    if (steps) {
      try {
        return await steps.step(stepConfig, request);
      } catch (error) {
        // Applied or not, the step can be asked for again: its report is refused if already
        // recorded, and its claim, made with the same token, is the one returned (or given back).
        log.info(`the run did not apply this worker's step (${errorMessage(error)}); the worker applies its steps itself from now on`);
        steps.close();
        steps = undefined;
        if (options.signal?.aborted) request = { ...request, stopping: true };
      }
    }
    return store.transact((tx) => workerStep(tx, stepConfig, request, stepContext), `worker ${options.id}`);
  }

  function noteBlock(block: StepBlock | undefined): void {
    const key = block === undefined ? '' : block.kind === 'stopped' ? `stop ${block.stop.reason}` : `wait ${block.note.until}`;
    if (key === lastBlock) return;
    lastBlock = key;
    if (block?.kind === 'stopped')
      log.info(`claiming no more tasks: ${block.stop.reason === 'budget' ? 'the budget is spent' : 'stopped by a usage limit'} (${block.stop.detail})`);
    else if (block?.kind === 'waiting')
      log.info(
        `usage limit (${block.note.agent}): "${block.note.message}"; claiming again at ${block.note.until}${block.note.resets_at ? ` (resets ${block.note.resets_at})` : ' (no reset time given: fallback wait)'}`,
      );
    else if (key === '' && lastBlockSeen) log.info('usage limit over: claiming again');
    lastBlockSeen = true;
  }

  function noteReport(report: PendingReport, decision: ReportDecision): void {
    const id = report.task.id;
    session.iteration += 1;
    touchSession();
    if (decision.kind === 'refused') {
      log.info(`task ${id}: report refused: ${decision.why}`);
      return;
    }
    if (decision.kind === 'deferred') {
      log.info(`⏸ task ${id} back to pending (attempt not counted): ${decision.issue.error}`);
      return;
    }
    if (decision.kind === 'completed') {
      session.completed += 1;
      session.findings.push({ task_id: id, finding: decision.finding.finding, timestamp: decision.finding.timestamp });
      if (session.findings.length > SESSION_HISTORY) session.findings.splice(0, session.findings.length - SESSION_HISTORY);
      log.info(`✔ task ${id} completed in ${report.outcome?.durationMs ?? 0} ms${describeGit(report.outcome?.git)}`);
      return;
    }
    session.failed += decision.kind === 'failed' ? 1 : 0;
    const next = decision.kind === 'requeued' ? (decision.task.not_before ? `requeued, claimable after ${decision.task.not_before}` : 'requeued') : 'failed';
    log.info(`✘ task ${id} ${next}: ${decision.issue.error}`);
  }

  async function runTask(task: Task, token: string): Promise<PendingReport> {
    const abort = new AbortController();
    const onStop = () => abort.abort();
    if (options.signal?.aborted) abort.abort();
    options.signal?.addEventListener('abort', onStop);
    current = { task, token, abort };
    log.info(`▶ task ${task.id} (${task.type}) attempt ${task.attempts}`);
    const failedBefore = (reason: 'spawn' | 'git', error: string): PendingReport => {
      options.signal?.removeEventListener('abort', onStop);
      current = undefined;
      return { task, token, interrupted: false, outcome: { ok: false, finding: '', exitCode: null, signal: null, durationMs: 0, reason, error } };
    };
    let branch: string | undefined;
    if (worktree) {
      try {
        // A retry continues the earlier attempt's branch; a first attempt starts afresh.
        const begun = await worktree.begin(task.id, task.attempts > 1 || task.branch === taskBranch!(task.id));
        branch = begun.branch;
        log.info(`task ${task.id} on branch ${branch} in ${worktree.path}${begun.note ? ` (${begun.note})` : ''}`);
      } catch (error) {
        return failedBefore('git', `could not prepare the worktree: ${errorMessage(error)}`);
      }
    }
    const agentCwd = worktree ? worktree.cwdFor(cwd) : cwd;
    let invocation: AgentInvocation;
    try {
      const note = worktree ? conflictPromptNote(task) : undefined;
      const prompt = `${renderPrompt(options.promptTemplate, task)}${note ? `\n${note}\n` : ''}`;
      promptFile.write(prompt);
      dataFile.write(JSON.stringify(task.data ?? null));
      invocation = options.agent.invocation({
        task: { id: task.id, type: task.type, data: task.data, attempt: task.attempts },
        prompt,
        promptFile: promptFile.path,
        dataFile: dataFile.path,
        workerId: options.id,
        stateDir,
        cwd: agentCwd,
        ...(worktree ? { launchDir: cwd } : {}),
      });
      if (invocation.env.RALPH_TASK_DATA === undefined)
        log.info(
          `task ${task.id}: its data is too large for RALPH_TASK_DATA (over ${TASK_DATA_ENV_MAX / 1024} KiB): the agent finds it in RALPH_TASK_DATA_FILE only`,
        );
      if (worktree && branch) {
        invocation.env.RALPH_WORKTREE = worktree.path;
        invocation.env.RALPH_BRANCH = branch;
      }
    } catch (error) {
      // The prompt file cannot be written (a full disk): the task was not run, so it goes back
      // uncounted, and the worker stops once that is recorded.
      if (error instanceof StateWriteError) {
        cannotWrite = error;
        options.signal?.removeEventListener('abort', onStop);
        current = undefined;
        return { task, token, interrupted: true };
      }
      return failedBefore('spawn', `could not prepare the agent: ${errorMessage(error)}`);
    }
    session.status = 'running';
    session.current_task = task.id;
    session.current_token = token;
    lastOutput.reset(session);
    const sweeper = leftovers.forTask(token);
    try {
      const { output, result } = await runAgent(options.agent, invocation, {
        token,
        ...(options.taskTimeoutMs === undefined ? {} : { timeoutMs: options.taskTimeoutMs }),
        ...(options.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: options.idleTimeoutMs }),
        graceMs: options.graceMs,
        signal: abort.signal,
        baseEnv: agentBaseEnv,
        onSpawn: (pid) => {
          session.agent_pgid = pid;
          touchSession();
        },
        sweep: sweeper.sweep,
        onLine: (stream, shown) => {
          log.info(`[${stream === 'stdout' ? 'out' : 'err'}] ${shown}`);
          lastOutput.note(shown);
          touchSession(OUTPUT_WRITES_MS);
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
          if (worktree) await finishGit(task, 'interrupted', '').catch((error: unknown) => log.info(`could not save the worktree: ${errorMessage(error)}`));
          return { task, token, interrupted: true };
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
      if (worktree) {
        try {
          outcome.git = await finishGit(task, result.ok ? 'ok' : 'failed', result.finding);
        } catch (error) {
          const message = `the agent's work is kept on ${branch ?? 'its branch'}, but committing or merging it failed: ${errorMessage(error)}`;
          log.info(`task ${task.id}: ${message}`);
          if (outcome.ok) Object.assign(outcome, { ok: false, reason: 'git', error: message });
          if (branch) outcome.git = { branch };
        }
      }
      return { task, token, outcome, interrupted: false, ...(result.usageLimit ? { usageLimit: result.usageLimit } : {}) };
    } finally {
      options.signal?.removeEventListener('abort', onStop);
      current = undefined;
    }
  }

  function finishGit(task: Task, ended: 'ok' | 'failed' | 'interrupted', finding: string): Promise<TaskGitResult> {
    return worktree!.finish({
      taskId: task.id,
      type: task.type,
      ended,
      finding,
      merge: options.isolation!.merge,
      setAsideOnConflict: ended === 'ok' && redoesConflict(task, options.isolation!.onConflict),
    });
  }
}

/**
 * This worker's parent is the `ralph run` whose queue it works on, and that run is still alive: the
 * IPC channel a run opens to each of its workers is still open. (Its parent's pid alone can still
 * name a run that is dying: a worker sees the channel close before it is given a new parent.)
 */
function startedByLiveRun(store: FileStore): boolean {
  if (!process.connected) return false;
  try {
    const run = store.read().meta.run;
    return run?.pid === process.ppid && run.host === HOST && process.ppid !== 1;
  } catch {
    return false;
  }
}

/** The git part of a completion line in the worker log. */
function describeGit(git: TaskGitResult | undefined): string {
  if (!git) return '';
  const files = git.files_changed ? `, ${git.files_changed.length} file(s) changed` : '';
  if (git.merge === 'conflict') return `; ${git.branch} does not merge (conflict in ${(git.conflict_paths ?? []).join(', ')}): branch kept`;
  if (git.merge === 'merged')
    return `; ${git.branch} merged${git.merged_into ? ` as ${git.merged_into.slice(0, 12)}` : ' (no changes)'}${files}${git.note ? `. ${git.note}` : ''}`;
  return `; ${git.branch} ${git.merge ?? 'not merged'}${files}`;
}
