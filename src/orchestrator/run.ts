// biome-ignore-all lint/style/noExcessiveLinesPerFile: to be split into the pool, the monitor and shutdown (issue 15, point 1)
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadAgent } from '../agents/load.js';
import { budgetStop, recordedCost } from '../queue/limits.js';
import { InputError, StateWriteError } from '../errors.js';
import { countByStatus, isSettled } from '../queue/counts.js';
import { releaseInterrupted } from '../queue/outcome.js';
import { staleClaimReason } from '../queue/lease.js';
import type { QueueMeta, QueueState, RunInfo } from '../queue/types.js';
import { redact } from '../redact/process.js';
import { cleanupTempFiles } from '../store/atomic-write.js';
import { cleanupStages } from '../store/stage.js';
import type { FileStore } from '../store/file-store.js';
import { openStore } from '../store/open.js';
import { setAsideUnreadable } from '../store/set-aside.js';
import { HOST } from '../process/machine.js';
import { cachedIsAlive, isAlive } from '../process/alive.js';
import type { RunSummary, StopReason } from '../report/summary.js';
import { killReaped, reapStale } from '../worker/reaper.js';
import { isCannotWriteMessage } from '../worker/ipc-steps.js';
import { runIsLive } from '../queue/liveness.js';
import { loadPromptTemplate } from '../worker/template.js';
import { appendTasks, loadTasksFile } from './boot.js';
import { Coordinator, stepsMode } from './coordinator.js';
import { RunView } from '../view/run-view.js';
import { writeLine } from '../view/live-block.js';
import type { TerminalStream } from '../view/live-block.js';
import { spawnWorker, workerScript } from './spawn.js';
import { WorkerSlots, workersWanted } from './slots.js';
import { archiveEarlierRun } from './archive.js';
import type { Slot } from './slots.js';
import type { WorkerSettings } from './settings.js';
import { settingsToRecord } from '../config/last-run.js';

export interface RunOptions extends WorkerSettings {
  dir: string;
  tasksFile?: string;
  workers: number;
  reset?: boolean;
  timeoutSec?: number;
  /** Where progress goes (default: stderr); a TTY gets the live view (view/run-view.ts). */
  progress?: NodeJS.WriteStream | NodeJS.WritableStream;
  progressIntervalMs?: number;
  /** Aborting stops the run like SIGINT: workers are stopped, in-flight tasks go back to pending. */
  signal?: AbortSignal;
  /** Messages for the user (boot, shutdown). */
  say?: (line: string) => void;
  /** Shown each state the run reads while it watches (events for `--on-event`). */
  observe?: (state: QueueState) => void;
}

export interface RunResult extends RunSummary {
  added: number;
  skipped: number;
}

/** `ralph run`: boot the queue, spawn workers, watch them, write the report, shut down. */
export async function runOrchestration(options: RunOptions): Promise<RunResult> {
  // Above the live view while it is shown.
  const say = options.say ?? ((line: string) => writeLine(process.stderr, line));
  // Everything that can be wrong with the input is found before .ralph/ is touched.
  const tasks = options.tasksFile === undefined ? [] : loadTasksFile(options.tasksFile);
  const steps = stepsMode(options.workers, availableParallelism(), process.env.RALPH_STEPS);
  loadPromptTemplate(options.promptTemplate);
  // What only some runs need is loaded only then: agent CLI adapters, git. Every millisecond before
  // the workers start is one in which a core idles.
  const agent = await loadAgent(options, options.prices ? { prices: options.prices } : {});
  const problem = agent.preflight(process.cwd());
  if (problem) throw new InputError(`${problem}.`);
  const budgetNote = options.maxCostUsd === undefined ? undefined : agent.budgetNote?.();
  if (budgetNote) say(`ralph: --max-cost-usd: ${budgetNote}`);
  const git = options.isolate === 'worktree' || options.base !== undefined ? await import('../git/worktree.js') : undefined;
  const isolation = git?.resolveIsolation(process.cwd(), options);

  const store = openStore(options.dir);
  if (!options.tasksFile && !store.exists()) {
    throw new InputError(`No queue at ${options.dir} and no --tasks given: pass --tasks FILE (or run \`ralph init\`).`);
  }
  // --reset starts over even from state files that cannot be read: they are kept, set aside.
  const setAside = options.reset && store.exists() ? await setAsideUnreadable(store) : undefined;
  if (setAside)
    say(
      `ralph: --reset: ${setAside.unreadable.file} could not be read; the state files are kept as ${setAside.kept.map(([, to]) => to).join(', ')}, and the queue starts over`,
    );
  if (store.exists()) {
    // A corrupt state file, or another live run, stops this one here, before anything is written.
    const current = store.read();
    store.sessions.readAll();
    refuseLiveRun(current.meta, options.dir);
  }
  store.ensure();
  if (isolation) {
    const ignore = git!.ignoreStateDir(isolation.repo, options.dir);
    if (ignore) say(`ralph: wrote ${ignore} so that git ignores the state directory (worktrees, logs, queue)`);
  }
  for (const dir of [options.dir, store.paths.sessions, store.paths.journalDir, store.paths.prompts]) cleanupTempFiles(dir);
  cleanupStages(options.dir);

  const startedAt = new Date();
  const run: RunInfo = { started_at: startedAt.toISOString(), workers: options.workers, pid: process.pid, host: HOST };
  // Recorded in work-queue.json and the report: a key written into the command line stays out of both.
  if (options.agentCmd !== undefined) run.agent_cmd = redact(options.agentCmd);
  else run.agent = agent.name;
  if (options.model !== undefined) run.model = options.model;
  if (options.maxCostUsd !== undefined) run.max_cost_usd = options.maxCostUsd;
  if (options.tasksFile) run.tasks_file = options.tasksFile;
  if (isolation) Object.assign(run, { isolate: 'worktree', base: isolation.base, merge: isolation.merge, on_conflict: isolation.onConflict });
  // What the next run of this queue uses when it is not told otherwise (a resume with no flags).
  run.settings = settingsToRecord({ ...options, ...(isolation ? { base: isolation.base } : {}) }, redact);
  // One transaction starts the run. The live-run check is made again under the lock, so that of two
  // runs started at once only one goes on. --reset empties queue and results here, before any worker
  // could claim what it removes. A new run starts claiming afresh (a budget or usage-limit stop, or a
  // usage-limit wait, was the last run's: its agent or policy may differ), with the recorded cost
  // recomputed from the results as they are now (after a --reset: zero).
  const queued = await store.transact((tx) => {
    refuseLiveRun(tx.meta, options.dir);
    if (options.reset) tx.reset();
    tx.setMeta({ active: true, worker_count: options.workers, run, stop: null, usage_limit: null, ...recordedCost([...tx.findings, ...tx.issues]) });
    return {
      counts: countByStatus(tx.tasks),
      ids: new Set(tx.tasks.map((t) => t.id)),
      failed: new Set(tx.tasks.filter((t) => t.status === 'failed').map((t) => t.id)),
    };
  }, 'run start');
  const before = queued.counts;
  const silentMs = Math.max(options.leaseSec * 1000, 30_000);
  archiveEarlierRun(store.paths, options.reset === true, silentMs, say);

  // Every worker merges into the same base: the branch checked out now, unless --base said otherwise.
  const settings: WorkerSettings = { ...options, ...(isolation ? { base: isolation.base } : {}) };
  const script = workerScript();
  // With many workers per core, the run applies its workers' steps (report, claim) for them.
  const coordinator = steps === 'run' ? new Coordinator(store, { sessions: store.sessions, isAlive: cachedIsAlive(1000), host: HOST }) : undefined;
  let cannotWrite: StateWriteError | undefined;
  const workers = new WorkerSlots(options.workers, {
    paths: store.paths,
    sessions: store.sessions,
    say,
    silentMs,
    spawn: (id) => {
      const child = spawnWorker(id, options.dir, store.paths.workerLog(id), settings, script, coordinator !== undefined);
      coordinator?.attach(child);
      // A worker that cannot write the state directory says so before it exits: the run stops.
      child.on('message', (message: unknown) => {
        if (isCannotWriteMessage(message)) cannotWrite ??= new StateWriteError(message.path, message.errno);
      });
      return child;
    },
  });
  // The workers start before the tasks are added: a worker takes tens of milliseconds to start, and
  // adding a thousand tasks takes about as long; one that is ready first waits for them (it watches
  // the queue). No more workers than there are tasks to do (none when everything completed or
  // failed already, and nothing is new); more start as tasks are added while the run goes.
  const newIds = new Set(tasks.map((t) => t.id).filter((id) => !queued.ids.has(id)));
  workers.startUpTo(workersWanted(options.workers, before, newIds.size));
  let appended: Awaited<ReturnType<typeof appendTasks>> = { added: 0, skipped: [] };
  try {
    appended = await appendTasks(store, tasks);
  } catch (error) {
    if (!(error instanceof StateWriteError)) throw error;
    cannotWrite = error;
  }
  if (options.tasksFile) {
    say(
      `ralph: queued ${appended.added} task(s) from ${options.tasksFile}${appended.skipped.length ? `; skipped ${appended.skipped.length} already in the queue` : ''}${skippedFailedHint(appended.skipped, queued.failed)}`,
    );
  }

  const view = new RunView(
    (options.progress ?? process.stderr) as TerminalStream,
    {
      paths: store.paths,
      sessions: store.sessions,
      workers: () => workers.slots.filter((s) => s.child !== undefined).map((s) => s.id),
      startedAt: startedAt.getTime(),
      maxCostUsd: options.maxCostUsd,
    },
    store.read(),
    { intervalMs: options.progressIntervalMs },
  );
  const live = view.live;
  const deadline = options.timeoutSec === undefined ? Infinity : startedAt.getTime() + options.timeoutSec * 1000;
  let stoppedBy: StopReason = 'completed';
  let lastHousekeeping = Date.now();
  const finishedBefore = before.completed + before.failed;
  // Near the end (no more tasks pending than there are workers to take them), the queue is watched:
  // the run is over as soon as the last task is. (Earlier, every claim and report would wake it for
  // nothing.)
  const watcher = store.watch();

  for (;;) {
    watcher.clear();
    const state = store.read();
    options.observe?.(state);
    const counts = countByStatus(state.tasks);
    const now = Date.now();
    const settled = isSettled(counts);
    view.update(state, counts, counts.completed + counts.failed - finishedBefore, now, settled);
    if (settled) break;
    // Claiming stopped for good (budget spent, usage limit with --on-usage-limit stop): the run ends
    // once the tasks in flight are done.
    const stop =
      state.meta.stop ??
      (options.maxCostUsd !== undefined && (state.meta.cost_usd ?? 0) >= options.maxCostUsd
        ? budgetStop(state.meta, options.maxCostUsd, new Date())
        : undefined);
    if (stop && counts.claimed === 0) {
      stoppedBy = stop.reason;
      break;
    }
    if (options.signal?.aborted) {
      stoppedBy = 'signal';
      break;
    }
    if (now >= deadline) {
      stoppedBy = 'timeout';
      break;
    }
    if (cannotWrite) {
      stoppedBy = 'cannot-write';
      break;
    }
    if (!stop) workers.startUpTo(workersWanted(options.workers, counts)); // tasks added meanwhile (`ralph queue add`)
    if (now - lastHousekeeping >= 1000) {
      lastHousekeeping = now;
      try {
        await housekeeping(store, state.tasks, options.maxAttempts);
        await store.compactIfDue();
      } catch (error) {
        if (!(error instanceof StateWriteError)) throw error;
        cannotWrite ??= error;
        stoppedBy = 'cannot-write';
        break;
      }
      workers.tend(true);
      if (workers.allGone()) {
        stoppedBy = 'workers-exited';
        break;
      }
    } else {
      workers.tend(false); // a slot waiting for the worker that holds its id starts as soon as it can
    }
    const pause = live ? 250 : 100;
    if (counts.pending > options.workers) watcher.close();
    else if (watcher.arm()) continue; // changes from now on are seen: look once more before waiting
    if (watcher.watching) await watcher.wait(pause, options.signal);
    else await sleep(counts.pending === 0 ? 25 : pause, undefined, options.signal ? { signal: options.signal } : {}).catch(() => undefined);
  }
  watcher.close();

  workers.stopping = true;
  // Once the state cannot be written, the workers are stopped all the same, what can still be
  // recorded is, and the run ends with the first such error (exit 1): the files keep the last good state.
  const recording = async (write: () => Promise<unknown> | unknown) => {
    try {
      await write();
    } catch (error) {
      if (!(error instanceof StateWriteError)) throw error;
      cannotWrite ??= error;
    }
  };
  // The CLI aborts with the signal's name as the reason: the report says which one stopped the run.
  const signal = stoppedBy === 'signal' && typeof options.signal?.reason === 'string' ? { signal: options.signal.reason } : {};
  await shutdown(
    store,
    workers.slots,
    options,
    say,
    () => ({
      active: false,
      run: {
        ...run,
        ended_at: new Date().toISOString(),
        stopped_by: cannotWrite ? 'cannot-write' : stoppedBy,
        ...signal,
        max_rss_kb: process.resourceUsage().maxRSS,
      },
    }),
    recording,
  );
  // The view's last frame: the queue as the run leaves it (the tasks in flight went back to pending).
  view.close(() => store.read(), finishedBefore);
  await recording(() => store.compact());
  const { reportRun } = await import('../report/write.js');
  let summary!: RunSummary;
  let reportWritten = false;
  await recording(() => {
    reportRun(store, cannotWrite ? 'cannot-write' : stoppedBy, (made) => {
      summary = made;
    });
    reportWritten = true;
  });
  store.close();
  // What the run knows of how it ended goes with the error, for its final lines.
  if (cannotWrite) throw cannotWrite.duringRun(summary === undefined ? undefined : { summary, reportWritten });
  // Such as: the user's checkout of the base branch was left behind (it had uncommitted changes).
  for (const note of summary.git?.notes ?? []) say(`ralph: ${note}`);
  return { ...summary, added: appended.added, skipped: appended.skipped.length };
}

function refuseLiveRun(meta: QueueMeta, dir: string): void {
  const other = meta.run;
  if (other?.pid !== undefined && other.pid !== process.pid && runIsLive(meta, HOST, isAlive)) {
    throw new InputError(
      `another \`ralph run\` (pid ${other.pid} on ${other.host}) is using ${dir}; wait for it to finish, stop it, or add workers to it with \`ralph worker\`.`,
    );
  }
}

// Reap claims whose worker is gone (lease expired, or the worker process died), without waiting
// for an idle worker to notice.
async function housekeeping(store: FileStore, tasks: ReturnType<FileStore['read']>['tasks'], maxAttempts: number): Promise<void> {
  const ctx = () => ({ now: new Date(), host: HOST, maxAttempts, isAlive });
  const look = ctx();
  if (!tasks.some((t) => staleClaimReason(t, look) !== undefined)) return;
  await store.transact((tx) => reapStale(tx, ctx(), store.sessions), 'orchestrator reap');
}

/** Stops the workers; the last transaction also records how the run ended (`ended`). */
async function shutdown(
  store: FileStore,
  slots: Slot[],
  options: RunOptions,
  say: (line: string) => void,
  ended: () => Partial<QueueMeta>,
  recording: (write: () => Promise<unknown>) => Promise<void>,
): Promise<void> {
  await recording(() => store.transact((tx) => tx.setMeta({ active: false }), 'run stopping'));
  const live = slots.filter((s) => !s.exited && s.child);
  for (const slot of live) slot.child!.kill('SIGTERM');
  const patience = options.graceSec * 1000 + 3000;
  const timer = new AbortController();
  await Promise.race([Promise.all(live.map((s) => s.exit)), sleep(patience, undefined, { signal: timer.signal }).catch(() => undefined)]);
  timer.abort();
  const stubborn = live.filter((s) => !s.exited);
  for (const slot of stubborn) {
    say(`ralph: worker ${slot.id} did not stop in time; killing it`);
    slot.child!.kill('SIGKILL');
    const session = store.sessions.read(slot.id);
    if (session?.current_token) killReaped(store.sessions, slot.id, session.current_token);
  }
  await Promise.all(stubborn.map((s) => s.exit));
  // Tasks still claimed by our (now dead) workers were interrupted, not failed: back to pending.
  const pids = new Set(slots.map((s) => s.child?.pid).filter((p): p is number => p !== undefined));
  await recording(() =>
    store.transact((tx) => {
      for (const task of tx.tasks) {
        if (task.status !== 'claimed' || task.worker_host !== HOST || !pids.has(task.worker_pid ?? -1)) continue;
        const released = releaseInterrupted(task, task.claim_token ?? '');
        if (released) tx.put(released);
      }
      tx.setMeta(ended());
    }, 'run end'),
  );
}

/** When tasks given again had failed before: they are not run again unless retried. */
export function skippedFailedHint(skipped: readonly string[], failed: ReadonlySet<string>): string {
  const n = skipped.filter((id) => failed.has(id)).length;
  if (n === 0) return '';
  return ` (${n === skipped.length ? (n === 1 ? 'it' : `all ${n}`) : n} failed before and ${n === 1 ? 'is' : 'are'} not run again: \`ralph queue retry --failed\` first, or \`--reset\` to start over)`;
}
