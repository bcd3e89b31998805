import { resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { loadAgent } from '../agents/load.js';
import { recordedCost } from '../queue/limits.js';
import { InputError, StateWriteError } from '../errors.js';
import { countByStatus } from '../queue/counts.js';
import type { QueueMeta, QueueState, RunInfo } from '../queue/types.js';
import { redact } from '../redact/process.js';
import { cleanupTempFiles } from '../store/atomic-write.js';
import { cleanupStages } from '../store/stage.js';
import { describeQueue, openQueue } from '../store/open.js';
import type { QueueLocation } from '../store/open.js';
import { FileStore } from '../store/file-store.js';
import { setAsideUnreadable } from '../store/set-aside.js';
import { HOST } from '../process/machine.js';
import { cachedIsAlive, isAlive } from '../process/alive.js';
import type { RunSummary } from '../report/summary.js';
import { isCannotWriteMessage } from '../worker/ipc-steps.js';
import { runIsLive } from '../queue/liveness.js';
import { loadPromptTemplate } from '../worker/template.js';
import { appendTasks, loadPrdFile, loadTasksFile } from './boot.js';
import { PrdSync } from './prd-sync.js';
import { clearRequests } from './control.js';
import type { Autoscale } from './monitor.js';
import { checkDependencies } from '../queue/dependencies.js';
import { Coordinator, stepsMode } from './coordinator.js';
import { RunView } from '../view/run-view.js';
import { writeLine } from '../view/live-block.js';
import type { TerminalStream } from '../view/live-block.js';
import { spawnWorker, workerScript } from './spawn.js';
import { WorkerSlots, workersWanted } from './slots.js';
import { archiveEarlierRun } from './archive.js';
import { monitorRun } from './monitor.js';
import type { WriteTrouble } from './monitor.js';
import { recorder, stopWorkers } from './shutdown.js';
import { workerTimings } from './settings.js';
import type { WorkerSettings } from './settings.js';
import { settingsToRecord } from '../config/last-run.js';

export interface RunOptions extends WorkerSettings {
  dir: string;
  /** The queue in a database (`--queue`), for workers on several machines; `dir` then holds this machine's files. */
  queue?: QueueLocation;
  tasksFile?: string;
  /** A prd.json instead of a tasks file: its stories that do not pass yet, marked passing as they complete. */
  prdFile?: string;
  workers: number;
  /** `--max-workers` (then `workers`) and `--min-workers`: idle workers beyond `min` stop after `idleMs`. */
  autoscale?: Autoscale;
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
  /** Called once the run has started (its workers started, its tasks queued): `--dashboard` starts there. */
  started?: () => Promise<void>;
}

/** How often a run on a database's queue says it is alive (see RUN_SILENT_MS). */
const RUN_HEARTBEAT_MS = 10_000;

export interface RunResult extends RunSummary {
  added: number;
  skipped: number;
}

/** `ralph run`: boot the queue, spawn workers, watch them, write the report, shut down. */
export async function runOrchestration(options: RunOptions): Promise<RunResult> {
  // Above the live view while it is shown.
  const say = options.say ?? ((line: string) => writeLine(process.stderr, line));
  // Everything that can be wrong with the input is found before .ralph/ is touched.
  if (options.prdFile !== undefined && options.tasksFile !== undefined) throw new InputError('Give --tasks or --prd, not both.');
  const prd = options.prdFile === undefined ? undefined : loadPrdFile(options.prdFile);
  const tasks = prd ? prd.tasks : options.tasksFile === undefined ? [] : loadTasksFile(options.tasksFile);
  // Where the tasks come from, for the messages: the tasks file or the prd.json.
  const source = options.prdFile ?? options.tasksFile;
  const steps = stepsMode(options.workers, availableParallelism(), process.env.RALPH_STEPS);
  loadPromptTemplate(options.promptTemplate);
  // What only some runs need is loaded only then: agent CLI adapters, git. Every millisecond before
  // the workers start is one in which a core idles.
  const agent = await loadAgent(options, options.prices ? { prices: options.prices } : {});
  const problem = agent.preflight(process.cwd());
  if (problem) throw new InputError(`${problem}.`);
  const budgetNote = options.maxCostUsd === undefined ? undefined : agent.budgetNote?.();
  if (budgetNote) say(`ralph: --max-cost-usd: ${budgetNote}`);
  const git = options.isolate === 'worktree' || options.base !== undefined || options.remote !== undefined ? await import('../git/isolation.js') : undefined;
  const isolation = await git?.resolveIsolation(process.cwd(), options, options.queue !== undefined);
  if (options.requireChanges && !isolation) throw new InputError('--require-changes needs --isolate worktree: it fails a task whose branch has no commit.');
  // Marking stories in a tracked prd.json would leave the checkout that the base branch moves in dirty.
  if (options.prdFile !== undefined && isolation && isolation.repo.run(['ls-files', '--error-unmatch', '--', resolve(options.prdFile)]).code === 0)
    throw new InputError(
      `${options.prdFile} is tracked by git: under --isolate worktree the run cannot mark its stories in your checkout. Keep it untracked (say in .ralph/), or run without --isolate worktree.`,
    );

  const store = await openQueue(options.dir, options.queue, { create: source !== undefined });
  const where = options.queue ? describeQueue(options.queue) : options.dir;
  if (!source && !store.exists()) {
    throw new InputError(
      `No queue at ${where} and no --tasks given: pass --tasks FILE or --prd prd.json (or run \`ralph ${options.queue ? 'queue ' : ''}init\`).`,
    );
  }
  // --reset starts over even from state files that cannot be read: they are kept, set aside.
  const setAside = options.reset && store instanceof FileStore && store.exists() ? await setAsideUnreadable(store) : undefined;
  if (setAside)
    say(
      `ralph: --reset: ${setAside.unreadable.file} could not be read; the state files are kept as ${setAside.kept.map(([, to]) => to).join(', ')}, and the queue starts over`,
    );
  if (store.exists()) {
    // A corrupt state file, or another live run, stops this one here, before anything is written.
    await store.refresh();
    const current = store.read();
    store.sessions.readAll();
    refuseLiveRun(current.meta, where);
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
  if (source) run.tasks_file = source;
  if (isolation) {
    Object.assign(run, { isolate: 'worktree', base: isolation.base, merge: isolation.merge, on_conflict: isolation.onConflict });
    if (isolation.remote) run.remote = isolation.remote;
  }
  const chosen = isolation ? { base: isolation.base, ...(isolation.remote ? { remote: isolation.remote } : {}) } : {};
  // What the next run of this queue uses when it is not told otherwise (a resume with no flags).
  run.settings = settingsToRecord({ ...options, ...chosen }, redact);
  // One transaction starts the run. The live-run check is made again under the lock, so that of two
  // runs started at once only one goes on. --reset empties queue and results here, before any worker
  // could claim what it removes. A new run starts claiming afresh (a budget or usage-limit stop, or a
  // usage-limit wait, was the last run's: its agent or policy may differ), with the recorded cost
  // recomputed from the results as they are now (after a --reset: zero).
  const queued = await store.transact((tx) => {
    refuseLiveRun(tx.meta, where);
    if (options.reset) tx.reset();
    // Dependencies checked before anything starts (a task queued before cannot depend on one added now: no cycle through it).
    const ids = new Set(tx.tasks.map((t) => t.id));
    checkDependencies(
      tasks.filter((t) => !ids.has(t.id)),
      new Map([...ids].map((id) => [id, []])),
      source ?? 'the tasks',
    );
    // On a database's queue, workers on other hosts tell the run is alive by its heartbeat (the database's clock).
    if (options.queue) run.heartbeat_at = tx.now.toISOString();
    tx.setMeta({ active: true, worker_count: options.workers, run, stop: null, usage_limit: null, ...recordedCost([...tx.findings, ...tx.issues]) });
    return {
      counts: countByStatus(tx.tasks),
      ids,
      failed: new Set(tx.tasks.filter((t) => t.status === 'failed').map((t) => t.id)),
      paused: tx.meta.paused?.at,
    };
  }, 'run start');
  const before = queued.counts;
  if (queued.paused)
    say(`ralph: claiming has been paused since ${queued.paused}: no worker takes a task until \`ralph queue resume\` (or the dashboard's button)`);
  // The run's own uses of the workers' settings, with the defaults of those not given.
  const timings = workerTimings(options);
  const silentMs = Math.max(timings.leaseMs, 30_000);
  archiveEarlierRun(store.paths, store.sessions, options.reset === true, silentMs, say);

  // Every worker merges into the same base: the branch checked out now, unless --base said otherwise.
  const settings: WorkerSettings = { ...options, ...chosen };
  const script = workerScript();
  // With many workers per core, the run applies its workers' steps (report, claim) for them.
  const coordinator = steps === 'run' ? new Coordinator(store, { sessions: store.sessions, isAlive: cachedIsAlive(1000), host: HOST }) : undefined;
  const trouble: WriteTrouble = {};
  const firstId = await store.sessions.issueIds(options.workers);
  const workers = new WorkerSlots(options.workers, {
    firstId,
    paths: store.paths,
    sessions: store.sessions,
    say,
    silentMs,
    spawn: (id) => {
      const child = spawnWorker(id, options.dir, store.paths.workerLog(id), settings, script, coordinator !== undefined, options.queue);
      coordinator?.attach(child);
      // A worker that cannot write the state directory says so before it exits: the run stops.
      child.on('message', (message: unknown) => {
        if (isCannotWriteMessage(message)) trouble.cannotWrite ??= new StateWriteError(message.path, message.errno);
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
    appended = await appendTasks(store, tasks, source ? { source } : {});
  } catch (error) {
    if (!(error instanceof StateWriteError)) throw error;
    trouble.cannotWrite = error;
  }
  if (source) {
    say(
      `ralph: queued ${appended.added} ${prd ? (appended.added === 1 ? 'story' : 'stories') : 'task(s)'} from ${source}${appended.skipped.length ? `; skipped ${appended.skipped.length} already in the queue${prd ? ` (${appended.skipped.slice(0, 5).join(', ')}${appended.skipped.length > 5 ? ', …' : ''})` : ''}` : ''}${prd && prd.passing.length > 0 ? `; ${prd.passing.length} pass already` : ''}${skippedFailedHint(appended.skipped, queued.failed)}`,
    );
  }

  await store.refresh();
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
  await options.started?.();
  const finishedBefore = before.completed + before.failed;
  const deadline = options.timeoutSec === undefined ? Infinity : startedAt.getTime() + options.timeoutSec * 1000;
  // `ralph ctl` requests left from before this run (a ctl killed while it waited) are not this run's.
  clearRequests(store.paths);
  // prd.json stories marked passing as their tasks complete in this run (a queue with none: nothing to do);
  // a few seconds of slack for a database's clock.
  const stories = new PrdSync(say, new Date(Date.parse(run.started_at) - 5000).toISOString());
  const stoppedBy = await monitorRun(
    store,
    workers,
    view,
    {
      workers: options.workers,
      ...(options.autoscale ? { autoscale: options.autoscale } : {}),
      ...(options.queue ? { issuedIds: options.workers } : {}),
      maxAttempts: timings.maxAttempts,
      ...(options.maxCostUsd === undefined ? {} : { maxCostUsd: options.maxCostUsd }),
      deadline,
      ...(options.signal ? { signal: options.signal } : {}),
      observe: (state) => {
        stories.observe(state);
        options.observe?.(state);
      },
      finishedBefore,
      ...(options.queue ? { heartbeatMs: RUN_HEARTBEAT_MS } : {}),
    },
    trouble,
  );

  workers.stopping = true;
  // Once the state cannot be written, the run ends with the first such error (exit 1).
  const recording = recorder(trouble);
  // The CLI aborts with the signal's name as the reason: the report says which one stopped the run.
  const signal = stoppedBy === 'signal' && typeof options.signal?.reason === 'string' ? { signal: options.signal.reason } : {};
  await stopWorkers(
    store,
    workers.slots,
    timings.graceMs,
    say,
    () => ({
      active: false,
      run: {
        ...run,
        ended_at: new Date().toISOString(),
        stopped_by: trouble.cannotWrite ? 'cannot-write' : stoppedBy,
        ...signal,
        max_rss_kb: process.resourceUsage().maxRSS,
      },
    }),
    recording,
  );
  // The view's last frame: the queue as the run leaves it (the tasks in flight went back to pending).
  await store.refresh();
  stories.observe(store.read());
  view.close(() => store.read(), finishedBefore);
  await recording(() => store.compact());
  const { reportRun } = await import('../report/write.js');
  let summary!: RunSummary;
  let reportWritten = false;
  await recording(() => {
    reportRun(store, trouble.cannotWrite ? 'cannot-write' : stoppedBy, (made) => {
      summary = made;
    });
    reportWritten = true;
  });
  await store.close();
  // What the run knows of how it ended goes with the error, for its final lines.
  if (trouble.cannotWrite) throw trouble.cannotWrite.duringRun(summary === undefined ? undefined : { summary, reportWritten });
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

/** When tasks given again had failed before: they are not run again unless retried. */
export function skippedFailedHint(skipped: readonly string[], failed: ReadonlySet<string>): string {
  const n = skipped.filter((id) => failed.has(id)).length;
  if (n === 0) return '';
  return ` (${n === skipped.length ? (n === 1 ? 'it' : `all ${n}`) : n} failed before and ${n === 1 ? 'is' : 'are'} not run again: \`ralph queue retry --failed\` first, or \`--reset\` to start over)`;
}
