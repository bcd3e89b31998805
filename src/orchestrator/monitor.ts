import { setTimeout as sleep } from 'node:timers/promises';
import { StateWriteError } from '../errors.js';
import { isAlive } from '../process/alive.js';
import { HOST } from '../process/machine.js';
import { countByStatus, isSettled } from '../queue/counts.js';
import { staleClaimReason } from '../queue/lease.js';
import { budgetStop } from '../queue/limits.js';
import type { QueueState, Task } from '../queue/types.js';
import type { StopReason } from '../report/summary.js';
import type { Store } from '../store/store.js';
import type { RunView } from '../view/run-view.js';
import { reapStale } from '../worker/reaper.js';
import type { WorkerSlots } from './slots.js';
import { workersWanted } from './slots.js';
import { answerRequests } from './control.js';
import type { ControlAnswer, ControlCommand } from './control.js';
import { setPaused } from './pause.js';

/** The first failure to write the state directory, from wherever it was seen (a worker, the run). */
export interface WriteTrouble {
  cannotWrite?: StateWriteError;
}

/** Autoscaling: as many workers as busy ones and pending tasks, from `min` to `max`; an idle one beyond `min` stops after `idleMs`. */
export interface Autoscale {
  min: number;
  max: number;
  idleMs: number;
}

export interface MonitorOptions {
  workers: number;
  autoscale?: Autoscale;
  /** On a database's queue: how many worker ids the run was given (`ralph ctl scale` goes no higher). */
  issuedIds?: number;
  maxAttempts: number;
  maxCostUsd?: number;
  /** When the run must stop (`--timeout`; Infinity: never). */
  deadline: number;
  signal?: AbortSignal;
  /** Shown each state the run reads while it watches (events for `--on-event`). */
  observe?: (state: QueueState) => void;
  /** Tasks settled before this run started (the view counts this run's). */
  finishedBefore: number;
  /** Writes the run's heartbeat this often (a database's queue: how workers on other hosts tell the run is alive). */
  heartbeatMs?: number;
}

/**
 * Watches the queue while the workers work, until the run is over: every task settled, claiming
 * stopped for good (budget, usage limit) with nothing in flight, a signal, the deadline, the state
 * unwritable, or every worker gone. Meanwhile it keeps the view current, starts workers for tasks
 * added, reaps claims of dead workers and compacts now and then. Says why it stopped.
 */
export async function monitorRun(store: Store, slots: WorkerSlots, view: RunView, options: MonitorOptions, trouble: WriteTrouble): Promise<StopReason> {
  let lastHousekeeping = Date.now();
  let lastHeartbeat = Date.now();
  // Near the end (no more tasks pending than there are workers to take them), the queue is watched:
  // the run is over as soon as the last task is. (Earlier, every claim and report would wake it for
  // nothing.)
  const watcher = store.watch();
  const idle = new IdleWorkers(slots);
  try {
    for (;;) {
      watcher.clear();
      await store.refresh();
      const state = store.read();
      options.observe?.(state);
      const counts = countByStatus(state.tasks);
      const now = Date.now();
      const settled = isSettled(counts);
      view.update(state, counts, counts.completed + counts.failed - options.finishedBefore, now, settled);
      if (settled) return 'completed';
      // Claiming stopped for good (budget spent, usage limit with --on-usage-limit stop): the run ends
      // once the tasks in flight are done.
      const stop =
        state.meta.stop ??
        (options.maxCostUsd !== undefined && (state.meta.cost_usd ?? 0) >= options.maxCostUsd
          ? budgetStop(state.meta, options.maxCostUsd, new Date())
          : undefined);
      if (stop && counts.claimed === 0) return stop.reason;
      if (options.signal?.aborted) return 'signal';
      if (now >= options.deadline) return 'timeout';
      if (trouble.cannotWrite) return 'cannot-write';
      // Who has a claim now, from the queue itself (a session says so only later).
      const claims = claimHolders(state.tasks);
      if (options.autoscale) idle.scale(options.autoscale, claims, counts, now);
      // `ralph ctl` requests first: workers a raised target wants are started right below.
      await answerRequests(store.paths, (request) => control(store, slots, request, claims, options));
      if (!stop) slots.startUpTo(workersWanted(slots.target, counts)); // tasks added meanwhile (`ralph queue add`)
      // Workers beyond a lowered target stopped: idle ones at once (autoscaling: once idle long
      // enough), busy ones once their task is done (not when autoscaling).
      // (Autoscaling stops no idle worker while tasks are pending: it is about to claim one. At the
      // start of a run, before its tasks are added, every worker is idle.)
      if (slots.running().length > slots.target)
        slots.trim(
          options.autoscale ? (id) => counts.pending === 0 && !claims.has(id) && idle.longerThan(id, options.autoscale!.idleMs, now) : (id) => !claims.has(id),
          !options.autoscale,
        );
      if (now - lastHousekeeping >= 1000) {
        lastHousekeeping = now;
        try {
          await housekeeping(store, state.tasks, options.maxAttempts);
          await store.compactIfDue();
          if (options.heartbeatMs !== undefined && now - lastHeartbeat >= options.heartbeatMs) {
            lastHeartbeat = now;
            await store.transact(
              (tx) => {
                if (tx.meta.run) tx.setMeta({ run: { ...tx.meta.run, heartbeat_at: tx.now.toISOString() } });
              },
              'run heartbeat',
              {},
            );
          }
        } catch (error) {
          if (!(error instanceof StateWriteError)) throw error;
          trouble.cannotWrite ??= error;
          return 'cannot-write';
        }
        slots.tend(true);
        // Every worker gone, none wanted (`ralph ctl stop-worker` of the last): the run waits for `ctl scale`.
        if (slots.allGone() && slots.target > 0) return 'workers-exited';
      } else {
        slots.tend(false); // a slot waiting for the worker that holds its id starts as soon as it can
      }
      const pause = view.live ? 250 : 100;
      if (counts.pending > options.workers) watcher.close();
      else if (watcher.arm()) continue; // changes from now on are seen: look once more before waiting
      if (watcher.watching) await watcher.wait(pause, options.signal);
      else await sleep(counts.pending === 0 ? 25 : pause, undefined, options.signal ? { signal: options.signal } : {}).catch(() => undefined);
    }
  } finally {
    watcher.close();
  }
}

// Reap claims whose worker is gone (lease expired, or the worker process died), without waiting
// for an idle worker to notice.
async function housekeeping(store: Store, tasks: readonly Task[], maxAttempts: number): Promise<void> {
  const look = { now: new Date(), host: HOST, maxAttempts, isAlive };
  if (!tasks.some((t) => staleClaimReason(t, look) !== undefined)) return;
  // Decided on the transaction's clock (a database's), as the leases were set: this machine's clock
  // running ahead would take live claims away.
  await store.transact((tx) => reapStale(tx, { ...look, now: tx.now }, store.sessions), 'orchestrator reap', { claimed: true });
}

/** The ids of the workers holding a claim now. */
function claimHolders(tasks: readonly Task[]): Set<number> {
  const holders = new Set<number>();
  for (const task of tasks) if (task.status === 'claimed' && typeof task.worker_id === 'number') holders.add(task.worker_id);
  return holders;
}

/** What `ralph ctl` asks of the run (control.ts): its workers, scaling, stopping one, pausing and resuming claims. */
async function control(
  store: Store,
  slots: WorkerSlots,
  request: ControlCommand,
  claims: ReadonlySet<number>,
  options: MonitorOptions,
): Promise<ControlAnswer> {
  if (options.autoscale && (request.command === 'scale' || request.command === 'stop-worker'))
    return { ok: false, message: `the run autoscales (--max-workers ${options.autoscale.max}): it does not take ${request.command}` };
  const view = (): Pick<ControlAnswer, 'workers' | 'target'> => {
    const sessions = new Map(store.sessions.readAll().map((s) => [s.worker_id, s]));
    const running = new Set(slots.running().map((s) => s.id));
    return {
      target: slots.target,
      workers: slots.slots
        .filter((s) => s.child !== undefined)
        .map((s) => ({ id: s.id, pid: s.child?.pid ?? null, running: running.has(s.id), task: sessions.get(s.id)?.current_task ?? null })),
    };
  };
  switch (request.command) {
    case 'status':
      return { ok: true, message: `${slots.running().length} worker(s) running, aiming at ${slots.target}`, ...view() };
    case 'scale': {
      if (!Number.isInteger(request.workers) || request.workers < 1) return { ok: false, message: 'scale: give a whole number of workers, at least 1' };
      // On a database's queue the run was given ids for --workers: another machine's may follow them.
      if (options.issuedIds !== undefined && request.workers > options.issuedIds)
        return { ok: false, message: `scale: on a database's queue this run has worker ids for ${options.issuedIds} (its --workers); start it with more` };
      const before = slots.target;
      slots.target = request.workers;
      const stopped = slots.trim((id) => !claims.has(id), true);
      const busy = Math.max(0, slots.running().length - slots.target);
      return {
        ok: true,
        message: `aiming at ${request.workers} worker(s) (was ${before})${stopped.length ? `; stopping worker(s) ${stopped.join(', ')} (a task in hand is finished first)` : ''}${busy ? `; ${busy} more stop once their task is done` : ''}`,
        ...view(),
      };
    }
    case 'stop-worker': {
      const stopped = slots.retire(request.worker);
      // One worker fewer from now on: it is not replaced (`ralph ctl scale` raises the target again).
      if (stopped) slots.target = Math.max(0, slots.target - 1);
      return {
        ok: stopped,
        message: stopped
          ? `worker ${request.worker} stopping (its task, if any, goes back to pending); aiming at ${slots.target} worker(s)`
          : `worker ${request.worker} is not running in this run`,
        ...view(),
      };
    }
    case 'pause':
    case 'resume': {
      const result = await setPaused(store, request.command === 'pause');
      return {
        ok: true,
        message: result.changed
          ? `claiming ${request.command === 'pause' ? 'paused' : 'resumed'}`
          : `claiming was already ${request.command === 'pause' ? 'paused' : 'going'}`,
      };
    }
    default:
      return { ok: false, message: `unknown request ${JSON.stringify((request as { command?: unknown }).command)}` };
  }
}

/**
 * Autoscaling's view of the workers: since when each has had no task (from its session), and the
 * target that follows: busy workers plus pending tasks, between `min` and `max`.
 */
class IdleWorkers {
  private readonly since = new Map<number, number>();

  constructor(private readonly slots: WorkerSlots) {}

  scale(auto: Autoscale, claims: ReadonlySet<number>, counts: { pending: number }, now: number): void {
    let busy = 0;
    const running = new Set<number>();
    for (const slot of this.slots.running()) {
      running.add(slot.id);
      if (claims.has(slot.id)) {
        busy += 1;
        this.since.delete(slot.id);
      } else if (!this.since.has(slot.id)) this.since.set(slot.id, now);
    }
    // A worker gone is forgotten: one started again in its slot is new.
    for (const id of this.since.keys()) if (!running.has(id)) this.since.delete(id);
    this.slots.target = Math.max(auto.min, Math.min(auto.max, busy + counts.pending));
  }

  /** Idle (no task) for at least `ms`. */
  longerThan(id: number, ms: number, now: number): boolean {
    const since = this.since.get(id);
    return since !== undefined && now - since >= ms;
  }
}
