import { RalphError } from '../errors.js';
import { isSameProcessAlive } from '../process/alive.js';
import type { Store } from '../store/store.js';
import { HOST } from '../process/machine.js';
import type { WorkerSession } from '../store/sessions.js';

export interface Registrant {
  pid: number;
  host: string;
}

/** What is known of the process that holds a worker id. */
export interface Liveness {
  /** Whether a process of this host, with that pid and start time, still runs. */
  alive: (pid: number, start: string | undefined) => boolean;
  now: Date;
  /** A worker of another host that has been silent for this long is taken for gone. */
  silentMs: number;
}

/**
 * Who holds worker id `previous.worker_id`, if anyone but `me`: the worker of its session file, when
 * that one has not stopped and runs (this host: the same process is alive, a reused pid does not
 * count; another host: its heartbeat is recent). Pure.
 */
export function holderOf(previous: WorkerSession | undefined, me: Registrant, live: Liveness): WorkerSession | undefined {
  if (!previous || previous.status === 'stopped') return undefined;
  if (previous.host === me.host) {
    if (previous.pid === me.pid) return undefined;
    return live.alive(previous.pid, typeof previous.pid_start === 'string' ? previous.pid_start : undefined) ? previous : undefined;
  }
  const heard = Date.parse(previous.last_heartbeat);
  return Number.isFinite(heard) && live.now.getTime() - heard < live.silentMs ? previous : undefined;
}

export function describeHolder(holder: WorkerSession): string {
  return holder.host === HOST ? `pid ${holder.pid}` : `pid ${holder.pid} on ${holder.host}`;
}

/**
 * Registers `session` as the worker of its id: the check that nobody else holds the id and the
 * writing of the session file are made under the queue lock, so that of several workers started
 * with one id at the same moment exactly one goes on; the others get an error naming its pid
 * (exit 2) before they have touched anything else.
 */
export async function registerWorker(store: Store, session: WorkerSession, silentMs: number): Promise<void> {
  const id = session.worker_id;
  await store.sessions.register(session, (previous) => {
    const holder = holderOf(previous, session, { alive: isSameProcessAlive, now: new Date(), silentMs });
    if (holder)
      throw new RalphError(
        'RALPH_WORKER_RUNNING',
        `Worker ${id} is already running (${describeHolder(holder)}); pick another --id, or stop that worker first.`,
      );
  });
}
