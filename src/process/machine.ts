import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

/** This host's name, as sessions, claims and lock owners record it. */
export const HOST = hostname();

/**
 * What makes a pid mean one process: the host, its boot (a pid from before a restart means
 * nothing now) and the pid namespace (a container with its own process ids sees other processes
 * under the same numbers). Two records with the same machine can be checked with `isAlive`.
 */
export interface Machine {
  host: string;
  boot?: string;
  pidns?: string;
}

let machine: Machine | undefined;

/** This process's machine (read once). */
export function thisMachine(): Machine {
  if (machine) return machine;
  const found: Machine = { host: HOST };
  try {
    found.boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    /* not Linux */
  }
  try {
    found.pidns = readlinkSync('/proc/self/ns/pid');
  } catch {
    /* not Linux */
  }
  machine = found;
  return found;
}

/**
 * Whether `other` is this machine, whose pids this process can look at. A record of another boot
 * (this machine before a restart, or another machine with the same host name, as cloned machines
 * have) or of another pid namespace (a container) counts as another machine: only its lease tells.
 */
export function sameMachine(other: Machine, me: Machine): boolean {
  if (other.host !== me.host) return false;
  if (other.boot !== undefined && me.boot !== undefined && other.boot !== me.boot) return false;
  return !(other.pidns !== undefined && me.pidns !== undefined && other.pidns !== me.pidns);
}

/**
 * A short name for this machine (its host, boot and pid namespace), for the names of temporary
 * files and staging directories: two processes with one pid on two machines sharing a directory
 * (or in two containers) never pick the same name, and a leftover is cleaned up only by the
 * machine whose pids it names.
 */
export function machineTag(machine: Machine = thisMachine()): string {
  // FNV-1a, 32 bits: no node:crypto at a worker's start for a name.
  let hash = 0x811c9dc5;
  for (const ch of `${machine.host}\0${machine.boot ?? ''}\0${machine.pidns ?? ''}`) {
    hash ^= ch.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(36);
}
