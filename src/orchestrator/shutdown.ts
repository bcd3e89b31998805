import { setTimeout as sleep } from 'node:timers/promises';
import { StateWriteError } from '../errors.js';
import { HOST } from '../process/machine.js';
import { releaseInterrupted } from '../queue/outcome.js';
import type { QueueMeta } from '../queue/types.js';
import type { Store } from '../store/store.js';
import { killReaped } from '../worker/reaper.js';
import type { WriteTrouble } from './monitor.js';
import type { Slot } from './slots.js';

/**
 * Once the state cannot be written, the workers are stopped all the same, what can still be recorded
 * is, and the run ends with the first such error: the files keep the last good state. `write` is
 * done, and a StateWriteError it throws kept in `trouble` instead.
 */
export function recorder(trouble: WriteTrouble): (write: () => Promise<unknown> | unknown) => Promise<void> {
  return async (write) => {
    try {
      await write();
    } catch (error) {
      if (!(error instanceof StateWriteError)) throw error;
      trouble.cannotWrite ??= error;
    }
  };
}

/**
 * Stops the workers: claiming ends, each gets SIGTERM and `graceMs` (plus a margin) to give its task
 * back, then SIGKILL with its agent killed by the claim's token. Tasks still claimed by them go back to
 * pending; the last transaction also records how the run ended (`ended`).
 */
export async function stopWorkers(
  store: Store,
  slots: Slot[],
  graceMs: number,
  say: (line: string) => void,
  ended: () => Partial<QueueMeta>,
  recording: (write: () => Promise<unknown>) => Promise<void>,
): Promise<void> {
  // Each reads what it needs alone (a database's queue: not every task and result, which on a large
  // queue would hold up the end of the run).
  await recording(() => store.transact((tx) => tx.setMeta({ active: false }), 'run stopping', {}));
  const live = slots.filter((s) => !s.exited && s.child);
  for (const slot of live) slot.child!.kill('SIGTERM');
  const patience = graceMs + 3000;
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
    store.transact(
      (tx) => {
        for (const task of tx.withStatus('claimed')) {
          if (task.status !== 'claimed' || task.worker_host !== HOST || !pids.has(task.worker_pid ?? -1)) continue;
          const released = releaseInterrupted(task, task.claim_token ?? '');
          if (released) tx.put(released);
        }
        tx.setMeta(ended());
      },
      'run end',
      { claimed: true },
    ),
  );
}
