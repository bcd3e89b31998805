import type { ChildProcess } from 'node:child_process';
import { isSameProcessAlive } from '../process/alive.js';
import type { StatePaths } from '../store/paths.js';
import { HOST } from '../process/machine.js';
import { describeHolder, holderOf } from '../worker/registration.js';
import type { Sessions, WorkerSession } from '../store/sessions.js';

export const MAX_RESPAWNS = 3;

/**
 * How many workers a run wants started: one per task still to do (pending, or claimed: a claim of a
 * worker that died is given back), at most `max` (`--workers`). `adding`: tasks about to be added. Pure.
 */
export function workersWanted(max: number, counts: { pending: number; claimed: number }, adding = 0): number {
  return Math.min(max, counts.pending + counts.claimed + adding);
}

/** One worker id of a run, and the process that works under it. */
export interface Slot {
  id: number;
  child: ChildProcess | undefined;
  exited: boolean;
  /** Settles when the current child has exited. */
  exit: Promise<void>;
  respawns: number;
  /** A worker this run did not start holds the id: its pid, until it stops. */
  waitingFor?: number;
}

export interface SlotsOptions {
  paths: StatePaths;
  sessions: Sessions;
  /** Starts `ralph worker --id <id>`. */
  spawn: (id: number) => ChildProcess;
  say: (line: string) => void;
  /** A worker of another host that has been silent for this long no longer holds its id. */
  silentMs: number;
  /** The first worker id (default 1): a queue in a database gives each machine's workers ids of their own. */
  firstId?: number;
}

/**
 * The workers of a run, one per slot. A slot whose id is held by a live worker that this run did
 * not start (one of a previous run that was killed, still stopping its agent; one started by hand)
 * waits for it to stop, and says so, instead of starting a worker that would be refused.
 */
export class WorkerSlots {
  readonly slots: Slot[];
  /** Set once the run stops its workers: exits are expected then, and nothing is started. */
  stopping = false;
  /** How many workers the run aims at: `--workers`, changed by `ralph ctl scale`. */
  target: number;
  /** Workers asked to stop (scaled down, or `ralph ctl stop-worker`): their slot is free again once they exit. */
  private readonly retiring = new Set<number>();

  constructor(
    count: number,
    private readonly options: SlotsOptions,
  ) {
    this.target = count;
    this.slots = [];
    this.grow(count);
  }

  /** Slots up to `count` of them (the ids that follow). */
  grow(count: number): void {
    while (this.slots.length < count)
      this.slots.push({ id: (this.options.firstId ?? 1) + this.slots.length, child: undefined, exited: true, exit: Promise.resolve(), respawns: 0 });
  }

  /** The workers running now (not those asked to stop). */
  running(): Slot[] {
    return this.slots.filter((s) => s.child !== undefined && !s.exited && !this.retiring.has(s.id));
  }

  /**
   * Asks worker `id` to stop: at once (SIGTERM: a task it runs goes back to pending), or `gently`
   * (it finishes the task in hand and claims no other). Its slot can be started again once it
   * exited. False: not running.
   */
  retire(id: number, gently = false): boolean {
    const slot = this.slots.find((s) => s.id === id);
    if (!slot?.child || slot.exited || this.retiring.has(id)) return false;
    this.retiring.add(id);
    if (gently && slot.child.connected) slot.child.send({ kind: 'ralph-drain' }, () => undefined);
    else slot.child.kill('SIGTERM');
    void slot.exit.then(() => {
      this.retiring.delete(id);
      slot.child = undefined;
    });
    return true;
  }

  /**
   * Stops workers beyond `target`, highest ids first: those `idle` says may go at once; with
   * `busyToo`, the others once their task is done (never one with a claim at once).
   */
  trim(idle: (id: number) => boolean, busyToo = false): number[] {
    const stopped: number[] = [];
    const running = [...this.running()].reverse();
    for (const slot of running) {
      if (running.length - stopped.length <= this.target) break;
      if (idle(slot.id) && this.retire(slot.id)) stopped.push(slot.id);
    }
    for (const slot of busyToo ? running : []) {
      if (running.length - stopped.length <= this.target) break;
      if (!stopped.includes(slot.id) && this.retire(slot.id, true)) stopped.push(slot.id);
    }
    return stopped;
  }

  /**
   * Starts workers (or has their slots wait for the one that holds the id) until `count` slots have
   * been started, lowest ids first; a slot once started counts, whether its worker runs or exited.
   */
  startUpTo(count: number): void {
    if (this.stopping) return;
    this.grow(count);
    let started = this.slots.filter((s) => s.child !== undefined || s.waitingFor !== undefined).length;
    for (const slot of this.slots) {
      if (started >= count) return;
      if (slot.child !== undefined || slot.waitingFor !== undefined) continue;
      this.startOrWait(slot);
      started += 1;
    }
  }

  /**
   * Slots that wait start once their id is free; with `respawn`, a worker that exited with an error
   * is started again (MAX_RESPAWNS times at most; a wait for the id's holder does not count).
   */
  tend(respawn: boolean): void {
    for (const slot of this.slots) {
      if (this.stopping || !slot.exited) continue;
      if (slot.waitingFor !== undefined) this.startOrWait(slot);
      else if (respawn && slot.child && slot.child.exitCode !== 0 && !this.retiring.has(slot.id) && slot.respawns < MAX_RESPAWNS) this.startOrWait(slot, true);
    }
  }

  /** Every worker has exited, and no slot waits to start one. */
  allGone(): boolean {
    return this.slots.every((s) => s.exited && s.waitingFor === undefined);
  }

  private startOrWait(slot: Slot, restart = false): void {
    const holder = this.holder(slot.id);
    if (holder) {
      if (slot.waitingFor !== holder.pid)
        this.options.say(`ralph: waiting for worker ${slot.id} (${describeHolder(holder)}) ${origin(holder)} to stop; it starts then`);
      slot.waitingFor = holder.pid;
      return;
    }
    slot.waitingFor = undefined;
    if (restart) {
      slot.respawns += 1;
      this.options.say(`ralph: restarting worker ${slot.id} (restart ${slot.respawns} of ${MAX_RESPAWNS})`);
    }
    const child = this.options.spawn(slot.id);
    slot.child = child;
    slot.exited = false;
    slot.exit = new Promise((resolve) =>
      child.on('exit', (code, signal) => {
        slot.exited = true;
        if (code !== 0 && !this.stopping && !this.retiring.has(slot.id))
          this.options.say(`ralph: worker ${slot.id} exited (${signal ?? `code ${code}`}); see ${this.options.paths.workerLog(slot.id)}`);
        resolve();
      }),
    );
  }

  private holder(id: number): WorkerSession | undefined {
    let session: WorkerSession | undefined;
    try {
      session = this.options.sessions.read(id);
    } catch {
      return undefined; // unreadable: the worker's own registration says what is wrong
    }
    return holderOf(session, { pid: process.pid, host: HOST }, { alive: isSameProcessAlive, now: new Date(), silentMs: this.options.silentMs });
  }
}

/** Where a worker that holds an id came from, as the wait message says it. */
function origin(holder: WorkerSession): string {
  const run = holder.run_pid;
  return typeof run === 'number' && run !== process.pid ? 'of the previous run' : 'started by hand';
}
