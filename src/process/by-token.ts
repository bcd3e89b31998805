import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync } from 'node:fs';
import { pause } from './alive.js';
import { processGroupOf, procStat } from './stat.js';

/**
 * Finding the processes of one claim (a task's agent, a loop's turn) by the token every agent gets in
 * its environment, and killing them: what the reaper, the worker's leftover check and the loops share.
 */

/** Every agent gets its claim's token in this variable, so that its processes can be found later. */
export const CLAIM_ENV = 'RALPH_CLAIM_TOKEN';

/** SIGKILLs each target (a pid, or a process group as a negative number); `killed` hears each one that was still there. */
export function killTargets(targets: Iterable<number>, killed?: (target: number) => void): void {
  for (const target of targets) {
    try {
      process.kill(target, 'SIGKILL');
      killed?.(target);
    } catch {
      /* already gone */
    }
  }
}

/** "process group 123" or "process 456", for a target of killTargets. */
export const describeTarget = (target: number): string => (target < 0 ? `process group ${-target}` : `process ${target}`);

/**
 * On Linux: every process carrying the token in its environment, and their process groups (as
 * negative numbers). With `newerThan` (a pid), only processes started after that one are looked at
 * (pids are handed out in order, and wrap around): what an agent started, found without reading the
 * environment of every process on the machine.
 */
export function processesWithToken(token: string, newerThan?: number): Set<number> {
  const groups = new Set<number>();
  if (process.platform !== 'linux') return groups;
  const entry = claimEntry(token);
  const window = newerThan === undefined ? undefined : pidsSince(newerThan);
  let unsure: number[] = [];
  const look = (pid: number) => {
    const holds = environHolds(pid, entry);
    if (holds === 'unsure') unsure.push(pid);
    if (holds !== 'yes') return;
    groups.add(pid);
    const pgid = processGroupOf(pid);
    if (pgid !== undefined && pgid > 1) groups.add(-pgid);
  };
  for (const pid of window ?? allPids()) if (pid !== process.pid) look(pid);
  // A process in the middle of an exec shows no environment for a moment: look again, briefly.
  // (Kernel threads and zombies have none at all.)
  unsure = unsure.filter((pid) => {
    const stat = procStat(pid);
    return stat !== undefined && stat[0] !== 'Z' && stat[1] !== '2' && pid !== 2;
  });
  for (let again = 0; again < 20 && unsure.length > 0; again++) {
    pause(1);
    const last = unsure;
    unsure = [];
    for (const pid of last) look(pid);
  }
  return groups;
}

const WINDOW_MAX = 256;

/**
 * The pids handed out after `first` (itself included) that exist, going by the last pid handed out
 * in this pid namespace (/proc/loadavg); undefined when that is unknown or the window is wide (then
 * every process is looked at). A few pids after a short task: cheaper than listing /proc.
 */
function pidsSince(first: number): number[] | undefined {
  let last: number;
  try {
    last = Number(readFileSync('/proc/loadavg', 'utf8').trim().split(' ').at(-1));
  } catch {
    return undefined;
  }
  if (!Number.isInteger(last) || last <= 0 || last < first) return undefined; // unknown, or gone round
  if (last - first >= WINDOW_MAX) return undefined;
  const pids: number[] = [];
  for (let pid = first; pid <= last; pid++) if (existsSync(`/proc/${pid}`)) pids.push(pid);
  return pids;
}

function allPids(): number[] {
  try {
    return readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .map(Number);
  } catch {
    return [];
  }
}

/** `\0RALPH_CLAIM_TOKEN=<token>\0`, as environHolds looks for it. */
export function claimEntry(token: string): Buffer {
  return Buffer.from(`\0${CLAIM_ENV}=${token}\0`);
}

/**
 * Whether the environment a process started with holds `entry` (`\0NAME=value\0`): 'unsure' when it
 * reads empty (in the middle of an exec; a zombie; a process started without any environment), 'no'
 * also when it cannot be read (gone, or not ours to read).
 */
export function environHolds(pid: number, entry: Buffer): 'yes' | 'no' | 'unsure' {
  let fd: number;
  try {
    fd = openSync(`/proc/${pid}/environ`, 'r');
  } catch {
    return 'no';
  }
  try {
    // Read into one buffer kept for this (after every task, in some modes): a leading NUL so that
    // the first variable matches `entry` too.
    let length = 1;
    for (;;) {
      if (length === environBuffer.length) environBuffer = Buffer.concat([environBuffer, Buffer.alloc(environBuffer.length)]);
      const read = readSync(fd, environBuffer, length, environBuffer.length - length, null);
      if (read <= 0) break;
      length += read;
    }
    if (length === 1) return 'unsure';
    return environBuffer.subarray(0, length).includes(entry) ? 'yes' : 'no';
  } catch {
    return 'no';
  } finally {
    closeSync(fd);
  }
}

let environBuffer = Buffer.alloc(1 << 16);
