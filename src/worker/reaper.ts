import { HOST } from '../process/machine.js';
import { isAlive } from '../process/alive.js';
import { describeTarget, killTargets, processesWithToken } from '../process/by-token.js';
import { reapAll } from '../queue/reap.js';
import type { ReapContext, Reaped } from '../queue/lease.js';
import type { Transaction } from '../store/store.js';
import type { Sessions } from '../store/sessions.js';
import type { Logger } from '../process/log.js';

/**
 * Inside a transaction: every claim whose worker is gone goes back to pending (or fails), each
 * recorded as an issue, and the orphaned agent is killed before the change is committed, so that
 * no other worker can start the task while the old agent still runs.
 */
export function reapStale(tx: Transaction, ctx: ReapContext, sessions: Sessions, log?: Logger): Reaped[] {
  const reaped = reapAll(tx.withStatus('claimed'), ctx);
  for (const r of reaped) {
    killReaped(sessions, r.issue.worker_id, r.token, log);
    tx.put(r.task);
    tx.addIssue(r.issue);
    log?.info(`task ${r.task.id}: ${r.issue.error}`);
  }
  return reaped;
}

/**
 * When a worker of this host died mid-task, its agent (in its own process group) may still run.
 * Kill it before the task runs again, so that two agents never work on one task here: on Linux
 * every process carrying the claim's token in its environment (grandchildren that left the group
 * included) and their process groups.
 */
export function killReaped(sessions: Sessions, workerId: number, token: string | undefined, log?: Logger): void {
  const groups = token !== undefined ? processesWithToken(token) : new Set<number>();
  // Elsewhere, the process group the dead worker recorded (a pid that may have been reused since,
  // which is why Linux goes by the token only).
  if (process.platform !== 'linux') {
    try {
      const session = sessions.read(workerId);
      if (session && session.host === HOST && session.agent_pgid !== null && !isAlive(session.pid)) groups.add(-session.agent_pgid);
    } catch {
      /* an unreadable session: nothing more to learn */
    }
  }
  killTargets(groups, (target) => log?.info(`killed orphaned agent ${describeTarget(target)} of worker ${workerId}`));
}
