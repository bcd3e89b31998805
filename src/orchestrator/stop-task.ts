import { InputError } from '../errors.js';
import { HOST } from '../process/machine.js';
import { describeTarget, killTargets, processesWithToken } from '../process/by-token.js';
import type { Store } from '../store/store.js';

export interface StopTaskResult {
  task: string;
  worker: number | null;
  /** The processes and process groups killed (SIGKILL), as "process group N". */
  killed: string[];
}

/**
 * `ralph queue stop ID` (and the dashboard's button): the running task's agent is killed, its whole
 * process group and every process carrying its claim's token, and the task is marked so that its
 * worker records it as failed, not retried. Only on the machine the agent runs on: elsewhere, one
 * line says where to run it.
 */
export async function stopTask(store: Store, id: string): Promise<StopTaskResult> {
  const claim = await store.transact(
    (tx) => {
      const task = tx.get(id);
      if (!task) throw new InputError(`Task ${JSON.stringify(id)} is not in the queue.`);
      if (task.status !== 'claimed' || !task.claim_token) throw new InputError(`Task ${JSON.stringify(id)} is ${task.status}, not running: nothing to stop.`);
      if (task.worker_host !== undefined && task.worker_host !== HOST)
        throw new InputError(`Task ${JSON.stringify(id)} runs on ${task.worker_host}: stop it there (\`ralph queue stop\` on that machine).`);
      if (task.stop_requested_at === undefined) tx.put({ ...task, stop_requested_at: tx.now.toISOString() });
      return { token: task.claim_token, worker: task.worker_id ?? null };
    },
    'queue stop',
    { ids: [id] },
  );
  const targets = processesWithToken(claim.token);
  // Where processes cannot be found by their environment (not Linux): the group the worker recorded.
  if (process.platform !== 'linux' && claim.worker !== null) {
    const session = store.sessions.read(claim.worker);
    if (session?.host === HOST && session.current_token === claim.token && session.agent_pgid) targets.add(-session.agent_pgid);
  }
  const killed: string[] = [];
  killTargets(targets, (target) => killed.push(describeTarget(target)));
  return { task: id, worker: claim.worker, killed };
}
