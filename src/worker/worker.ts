import { join, resolve } from 'node:path';
import type { AgentAdapter } from '../agents/agent.js';
import { StateMissingError, errorMessage } from '../errors.js';
import type { StateWriteError } from '../errors.js';
import { cachedIsAlive } from '../process/alive.js';
import { LeftoverSweeper } from '../process/descendants.js';
import type { Logger } from '../process/log.js';
import { HOST } from '../process/machine.js';
import { spawnBackend } from '../process/spawn.js';
import { processStartTime } from '../process/stat.js';
import type { UsageLimitPolicy } from '../queue/limits.js';
import { describeQueue, openQueue } from '../store/open.js';
import type { QueueLocation } from '../store/open.js';
import type { WorkerSession } from '../store/sessions.js';
import type { Store } from '../store/store.js';
import { newToken } from '../store/token.js';
import { Heartbeat } from './heartbeat.js';
import { BlockNotes, noteReport } from './notes.js';
import { PromptFile } from './prompt-file.js';
import { registerWorker } from './registration.js';
import { runTask, stepReport } from './run-task.js';
import type { VerifySettings } from './verify.js';
import { MessageInbox } from './message-inbox.js';
import type { IsolationOptions, PendingReport, TaskRoom } from './run-task.js';
import { SessionWriter } from './session-writer.js';
import { stepScope, workerStep } from './step.js';
import type { StepChannel, StepConfig, StepContext, StepRequest, StepResult } from './step.js';

export type { IsolationOptions } from './run-task.js';

export interface WorkerOptions {
  /** The state directory: the queue's files, or with `queue` this machine's logs and prompts alone. */
  dir: string;
  /** The queue in a database (`--queue`), instead of the files in `dir`. */
  queue?: QueueLocation;
  /** The queue, already opened (else it is opened here, from `dir` and `queue`). */
  store?: Store;
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
  /** Finish the task in hand, then stop: claim nothing more (its run scaling down, `ralph ctl`). */
  drain?: AbortSignal;
  /** `--isolate worktree`: each task runs in this worker's worktree on its own branch, merged into `base`. */
  isolation?: IsolationOptions;
  /** `--verify`: the check run after an agent that finished (its exit decides the task). */
  verify?: VerifySettings;
  /** `--require-changes` (with isolation): a task that commits nothing fails. */
  requireChanges?: boolean;
  /**
   * Where the worker's steps (report, claim) are applied: by its run, over this channel. Without
   * one, or once it fails, the worker takes the lock and applies them itself.
   */
  steps?: StepChannel;
  /** The pid of the `ralph run` that started this worker, recorded in its session. */
  runPid?: number;
}

export interface WorkerSummary {
  workerId: number;
  completed: number;
  failed: number;
  stoppedBy: 'drained' | 'signal';
}

/**
 * The worker loop: claim → run the agent → report, until stopped or the queue is done. Each step
 * (report the last task, reap, claim the next) is one transaction, applied by the run when it does
 * that for its workers (`steps`), else here under the lock. Running one task is run-task.ts; the
 * lease renewal is heartbeat.ts; the session's throttled writes are session-writer.ts.
 */
export async function runWorker(options: WorkerOptions): Promise<WorkerSummary> {
  // A worker reads the findings only to compact: its memory does not grow with them.
  const store = options.store ?? (await openQueue(options.dir, options.queue, { lazyResults: true }));
  if (!store.exists()) throw new StateMissingError(options.dir, options.queue ? describeQueue(options.queue) : undefined);
  store.ensure(); // a queue from the shell implementation lacks prompts/ and journal/
  const log = options.log;
  const stateDir = resolve(options.dir);
  const stepConfig = stepConfigOf(options);
  const stepContext: StepContext = { sessions: store.sessions, isAlive: cachedIsAlive(1000), host: HOST };
  let steps = options.steps;

  const session = newSession(options);
  // Exactly one of several workers started with this id goes on; the others stop here, before they
  // touch the prompt file or the worktree.
  await registerWorker(store, session, Math.max(options.leaseMs, 30_000));
  const cwd = options.cwd ?? process.cwd();
  const isolated = options.isolation ? await enterWorktree(cwd, stateDir, options.isolation, options.id, log, store) : undefined;
  const writer = new SessionWriter(session, store.sessions, log);
  writer.save();
  // What agents leave running after their task is found and killed (a child subreaper, or a scan).
  const leftovers = new LeftoverSweeper();
  const spawning = spawnBackend();
  log.info(
    `worker ${options.id} registered (pid ${process.pid} on ${HOST}); agent: ${options.agent.describe()}; started with ${spawning.backend}${spawning.why ? ` (${spawning.why})` : ''}, leftovers found by ${leftovers.mode}${options.steps ? `; steps applied by its run (pid ${process.ppid})` : ''}`,
  );

  const blocks = new BlockNotes(log);
  const watcher = store.watch();
  let cannotWrite: StateWriteError | undefined;
  let pending: PendingReport | undefined;
  let stoppedBy: WorkerSummary['stoppedBy'] = 'drained';
  const room: TaskRoom = {
    log,
    cwd,
    stateDir,
    promptFile: new PromptFile(join(stateDir, 'prompts', `worker-${options.id}.prompt.md`)),
    dataFile: new PromptFile(join(stateDir, 'prompts', `worker-${options.id}.data.json`)),
    messages: new MessageInbox(stateDir, options.id),
    // The environment agents start from, copied once: reading process.env goes through the C++
    // environment on every key, and would on every task. In a worktree, nothing in it points git
    // at another repository or tree.
    baseEnv: isolated ? isolated.baseEnv : { ...process.env },
    writer,
    // Its timer starts here, right before the loop whose end stops it: no error path leaves it beating.
    heartbeat: new Heartbeat(store, writer, { workerId: options.id, leaseMs: options.leaseMs, log }),
    leftovers,
    ...(isolated ? { worktree: isolated.worktree } : {}),
  };
  try {
    for (;;) {
      const stopping = options.signal?.aborted === true || options.drain?.aborted === true || cannotWrite !== undefined;
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
      if (report && step.decision) noteReport(report, step.decision, writer, log);
      blocks.note(step.block);
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
        const ran = await runTask(step.claimed, token, options, room);
        pending = ran.report;
        cannotWrite ??= ran.cannotWrite;
        continue;
      }
      if (session.status !== 'idle' || session.current_task !== null) {
        session.status = 'idle';
        session.current_task = null;
        session.task_started_at = null;
        writer.touch();
      }
      if (!step.live && !step.open) break;
      // Idle: watch the queue from now on, and look at it once more before waiting.
      if (watcher.arm()) continue;
      const untilReady = step.waitingUntilMs !== undefined ? Math.max(10, step.waitingUntilMs - Date.now()) : Infinity;
      await watcher.wait(Math.min(options.pollMs ?? 1000, untilReady), options.signal);
    }
  } finally {
    room.heartbeat.stop();
    writer.cancel();
    watcher.close();
    room.promptFile.close();
    room.dataFile.close();
    // A run that still applies this worker's steps is alive, and folds the journal at its end.
    const byRun = steps?.connected === true;
    steps?.close();
    await stop(store, writer, byRun, stoppedBy, options.id, log);
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
    return store.transact((tx) => workerStep(tx, stepConfig, request, stepContext), `worker ${options.id}`, stepScope(request));
  }
}

function stepConfigOf(options: WorkerOptions): StepConfig {
  return {
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
}

function newSession(options: WorkerOptions): WorkerSession {
  const now = new Date().toISOString();
  const pidStart = processStartTime(process.pid);
  return {
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
}

/** `--isolate worktree`: the worker's own worktree, made or reused, and an environment that points git at nothing else. */
async function enterWorktree(
  cwd: string,
  stateDir: string,
  isolation: IsolationOptions,
  workerId: number,
  log: Logger,
  store: Store,
): Promise<{ worktree: NonNullable<TaskRoom['worktree']>; baseEnv: NodeJS.ProcessEnv }> {
  // Loaded only here: most workers never touch git, and every worker start counts.
  const [{ Repo }, { withoutGitLocation }, { ignoreStateDir }, { worktreeGitLock }, { WorkerWorktree }, branchName, { RemoteBase }] = await Promise.all([
    import('../git/repo.js'),
    import('../git/run.js'),
    import('../git/isolation.js'),
    import('../git/lock.js'),
    import('../git/worktree.js'),
    import('../queue/branch-name.js'),
    import('../git/remote.js'),
  ]);
  const repo = Repo.open(cwd);
  ignoreStateDir(repo, stateDir);
  const { base, remote } = isolation;
  // On a shared remote, merges take turns across every machine: the queue's lock (a database's), else this machine's.
  const shared = remote === undefined ? undefined : { remote: new RemoteBase(repo, remote, base), ...(store.mergeLock ? { lock: store.mergeLock() } : {}) };
  const tree = new WorkerWorktree(repo, stateDir, workerId, base, worktreeGitLock(stateDir), log, shared);
  await tree.ensure();
  return { worktree: { tree, branchOf: branchName.taskBranch }, baseEnv: withoutGitLocation(process.env) };
}

/** The last session written (stopped, with its peak memory), the journal folded in when no run will, and the last log line. */
async function stop(store: Store, writer: SessionWriter, byRun: boolean, stoppedBy: WorkerSummary['stoppedBy'], id: number, log: Logger): Promise<void> {
  const { session } = writer;
  session.status = 'stopped';
  session.current_task = null;
  session.task_started_at = null;
  session.current_token = null;
  session.agent_pgid = null;
  session.stopped_at = new Date().toISOString();
  session.max_rss_kb = process.resourceUsage().maxRSS;
  session.last_heartbeat = session.stopped_at;
  // Not thrown: a worker stopped by a full disk says why it stopped, not that its session failed too.
  writer.saveOrLog();
  // The run that started this worker folds the journal into the snapshots once all its workers
  // are gone; a worker on its own does it now.
  if (!byRun && !startedByLiveRun(store))
    await store.compactIfDue(true).catch((error: unknown) => log.info(`could not compact the queue: ${errorMessage(error)}`));
  await store.close();
  const cpu = process.cpuUsage();
  log.info(
    `worker ${id} stopped (${stoppedBy === 'signal' ? 'asked to stop' : 'no work left'}): ${session.completed} completed, ${session.failed} failed; cpu ${((cpu.user + cpu.system) / 1e6).toFixed(2)}s, peak rss ${Math.round((session.max_rss_kb ?? 0) / 1024)} MiB`,
  );
}

/**
 * This worker's parent is the `ralph run` whose queue it works on, and that run is still alive: the
 * IPC channel a run opens to each of its workers is still open. (Its parent's pid alone can still
 * name a run that is dying: a worker sees the channel close before it is given a new parent.)
 */
function startedByLiveRun(store: Store): boolean {
  if (!process.connected) return false;
  try {
    const run = store.read().meta.run;
    return run?.pid === process.ppid && run.host === HOST && process.ppid !== 1;
  } catch {
    return false;
  }
}
