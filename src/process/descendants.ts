import { openSync, readFileSync, readSync } from 'node:fs';
import type { SweepPhase } from './run.js';
import { signalProcess, spawnBackend } from './spawn.js';
import { nativeHelper } from './native.js';
import { procStat } from './stat.js';
import { pause } from './alive.js';
import { claimEntry, environHolds, processesWithToken } from './by-token.js';

/**
 * How a worker finds what its agents left running after their task (a grandchild in a session of
 * its own, one whose parent exited at once) and kills it, so that nothing an agent started outlives
 * its task:
 * - `subreaper` (Linux, native helper, agents started with posix_spawn): the worker is a child
 *   subreaper, so such processes become its own children. After each task it reads its list of
 *   children, kills those in another session than its own that carry the task's claim token (or no
 *   environment at all) with their process groups, and reaps them; their own children come to it
 *   in turn. One read of a /proc file per task when there are none.
 * - `token-scan` (Linux otherwise: no native helper, RALPH_SPAWN=node): the processes started since
 *   the agent that carry the task's claim token, found in /proc, killed, and waited for.
 * - `none` elsewhere: the agent's process group only, as runProcess does.
 */
export class LeftoverSweeper {
  readonly mode: 'subreaper' | 'token-scan' | 'none';
  private readonly ownSession: string | undefined;
  private readonly childrenFile: string;
  private readonly reap: (pid: number) => number;
  private childrenFd: number | undefined;
  private buffer = Buffer.alloc(4096);

  constructor() {
    this.childrenFile = `/proc/self/task/${process.pid}/children`;
    const helper = nativeHelper();
    this.reap = helper?.reap ?? (() => -1);
    this.ownSession = procStat(process.pid)?.[3];
    if (process.platform !== 'linux') this.mode = 'none';
    else if (
      spawnBackend().backend === 'posix_spawn' &&
      helper?.setSubreaper &&
      helper.reap &&
      this.ownSession !== undefined &&
      readable(this.childrenFile) &&
      helper.setSubreaper() === 0
    )
      this.mode = 'subreaper';
    else this.mode = 'token-scan';
  }

  /**
   * For one task: sweep(agentPid, phase) kills what its agent left behind: at 'exit' (its leader
   * exited by itself; its group is being killed) and at 'end' (the run is over); 'reap' only
   * collects children that died meanwhile (while a stopped agent's group is given its grace
   * period). `killed()` says how many processes were killed.
   */
  forTask(token: string): { sweep: (agentPid: number, phase: SweepPhase) => void; killed: () => number } {
    let killed = 0;
    let scanned = false;
    const started = Date.now();
    const sweep = (agentPid: number, phase: SweepPhase) => {
      if (this.mode === 'subreaper') {
        killed += this.sweepChildren(token, agentPid, phase !== 'reap');
      } else if (this.mode === 'token-scan' && phase !== 'reap' && !scanned) {
        // One scan finds them all, wherever they were re-parented; after a stop it waits for 'end'.
        scanned = true;
        // Only processes started since the agent are looked at, unless the pids may have gone round
        // since (a long task).
        killed += this.scan(token, Date.now() - started < 10_000 ? agentPid : undefined);
      }
    };
    return { sweep, killed: () => killed };
  }

  /**
   * Kills (with `kill`) this task's processes among this worker's children, and reaps dead ones.
   * The agent itself is not touched: its own waiter (the spawn thread, libuv) reaps it.
   */
  private sweepChildren(token: string, agentPid: number, kill: boolean): number {
    const needle = claimEntry(token);
    let total = 0;
    for (let round = 0; round < 16; round++) {
      const hit: number[] = [];
      for (const pid of this.children()) {
        const stat = procStat(pid);
        // Processes the worker started in its own session (git) are libuv's to wait for.
        if (pid === agentPid || !stat || stat[3] === this.ownSession) continue;
        if (stat[0] === 'Z') this.reap(pid);
        // Its environment holds the task's token, or reads empty: in the middle of an exec, or
        // started without any (the only children in another session are what agents left).
        else if (kill && environHolds(pid, needle) !== 'no') {
          signalProcess(pid, 'SIGKILL');
          if (stat[2] === String(pid)) signalProcess(-pid, 'SIGKILL');
          hit.push(pid);
        }
      }
      if (hit.length === 0) break;
      total += hit.length;
      this.reapAll(hit);
    }
    return total;
  }

  /** Waits (briefly: a SIGKILLed process dies at once) for these children to die, and reaps them. */
  private reapAll(pids: number[]): void {
    const deadline = Date.now() + 1000;
    let left = pids;
    while (left.length > 0 && Date.now() < deadline) {
      left = left.filter((pid) => this.reap(pid) === 0);
      if (left.length > 0) pause(1);
    }
  }

  /** This process's children (of its main thread, which starts agents and gets the orphans). */
  private children(): number[] {
    try {
      // Read again through one descriptor: the kernel makes the list afresh at offset 0, and this
      // runs after every task.
      this.childrenFd ??= openSync(this.childrenFile, 'r');
      let length = readSync(this.childrenFd, this.buffer, 0, this.buffer.length, 0);
      while (length === this.buffer.length) {
        this.buffer = Buffer.alloc(this.buffer.length * 2);
        length = readSync(this.childrenFd, this.buffer, 0, this.buffer.length, 0);
      }
      return length === 0 ? [] : this.buffer.toString('latin1', 0, length).trim().split(' ').map(Number);
    } catch {
      return [];
    }
  }

  private scan(token: string, newerThan: number | undefined): number {
    const killed: number[] = [];
    for (const target of processesWithToken(token, newerThan)) {
      if (signalProcess(target, 'SIGKILL') && target > 0) killed.push(target);
    }
    // Gone (or dead, waiting for whoever they were re-parented to) before the next task starts.
    const deadline = Date.now() + 1000;
    let left = killed;
    while (left.length > 0 && Date.now() < deadline) {
      left = left.filter((pid) => {
        const state = procStat(pid)?.[0];
        return state !== undefined && state !== 'Z' && state !== 'X';
      });
      if (left.length > 0) pause(1);
    }
    return killed.length;
  }
}

function readable(path: string): boolean {
  try {
    readFileSync(path);
    return true;
  } catch {
    return false;
  }
}
