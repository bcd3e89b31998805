import type pg from 'pg';
import { taskPriority } from '../../queue/priority.js';
import type { Task } from '../../queue/types.js';
import type { LoadedTransaction } from './loaded-tx.js';
import { CHANNEL } from './pg-watch.js';

/** Another transaction changed a row this one read: run the body again on what is there now. */
export class Conflict extends Error {}

/** The columns a task's row is ordered and filtered by, from the task. */
function columns(task: Task) {
  const claimed = task.status === 'claimed';
  return {
    id: task.id,
    status: task.status,
    priority: taskPriority(task),
    not_before: task.status === 'pending' ? (task.not_before ?? null) : null,
    claim_token: claimed ? (task.claim_token ?? null) : null,
    lease_expires_at: claimed ? (task.lease_expires_at ?? null) : null,
    task,
  };
}

const RECORD =
  'id text, rev bigint, n integer, status text, priority float8, not_before timestamptz, claim_token text, lease_expires_at timestamptz, task jsonb';

/**
 * Writes what `tx` changed, in one statement (after a reset's deletes): the meta, the changed tasks,
 * each only at the revision it was read at, the new tasks and the results in order; then Conflict
 * when a row was not where it was read. A notification goes with it when an idle worker or a
 * watching run has something new to look at (not for a claim or a lease renewal). Every row written
 * carries the transaction's id (`xid`), which `refresh` reads changes by; it is returned, so that a
 * COMMIT whose answer is lost can be looked up.
 */
export async function write(client: pg.PoolClient, queue: string, tx: LoadedTransaction): Promise<string> {
  const { loaded } = tx;
  let wake = tx.resetRequested;
  if (tx.resetRequested) {
    await client.query('DELETE FROM ralph_tasks WHERE queue = $1', [queue]);
    await client.query('DELETE FROM ralph_results WHERE queue = $1', [queue]);
    await client.query('UPDATE ralph_queues SET epoch = epoch + 1 WHERE name = $1', [queue]);
  }
  if (tx.metaChange && Object.keys(tx.metaChange).some((key) => !key.startsWith('cost_'))) wake = true;
  const updates: Array<ReturnType<typeof columns> & { rev: number }> = [];
  const inserts: Array<ReturnType<typeof columns> & { n: number }> = [];
  for (const task of tx.puts.values()) {
    const before = tx.resetRequested ? undefined : loaded.byId.get(task.id);
    if (before) {
      updates.push({ ...columns(task), rev: before.rev });
      // A task to claim (added, requeued, released): idle workers wake for it. Nobody waits on a
      // claim, a completion or a failure: an idle worker and a run see those when they next look.
      if (task.status === 'pending' && before.task.status !== 'pending') wake = true;
      // A completion may let tasks that depend on it be claimed.
      if (task.status === 'completed' && before.task.status !== 'completed' && tx.meta.dependencies) wake = true;
    } else {
      inserts.push({ ...columns(task), n: inserts.length });
      if (task.status === 'pending') wake = true;
    }
  }
  const results = [
    ...tx.newFindings.map((body) => ({ kind: 'finding', task_id: body.task_id, body })),
    ...tx.newIssues.map((body) => ({ kind: 'issue', task_id: body.task_id, body })),
  ].map((r, n) => ({ ...r, n }));
  // Only the parts this transaction needs, each shape a named statement (planned once a connection).
  const ctes: string[] = [];
  const values: unknown[] = [queue];
  const param = (value: unknown): string => {
    values.push(value);
    return `$${values.length}`;
  };
  if (tx.metaChange) {
    ctes.push(`m AS (UPDATE ralph_queues SET meta = meta || ${param(JSON.stringify(tx.metaChange))}::jsonb, rev = rev + 1
       WHERE name = $1 AND rev = ${param(loaded.metaRev)} RETURNING 1)`);
  }
  if (updates.length > 0) {
    ctes.push(`u AS (UPDATE ralph_tasks r SET status = c.status, priority = c.priority, not_before = c.not_before, claim_token = c.claim_token,
         lease_expires_at = c.lease_expires_at, task = c.task, rev = r.rev + 1, xid = pg_current_xact_id()
       FROM jsonb_to_recordset(${param(JSON.stringify(updates))}::jsonb) AS c(${RECORD})
       WHERE r.queue = $1 AND r.id = ANY(${param(updates.map((u) => u.id))}::text[]) AND r.id = c.id AND r.rev = c.rev RETURNING 1)`);
  }
  if (inserts.length > 0) {
    ctes.push(`i AS (INSERT INTO ralph_tasks (queue, id, status, priority, not_before, claim_token, lease_expires_at, task)
       SELECT $1, c.id, c.status, c.priority, c.not_before, c.claim_token, c.lease_expires_at, c.task
       FROM jsonb_to_recordset(${param(JSON.stringify(inserts))}::jsonb) AS c(${RECORD}) ORDER BY c.n
       ON CONFLICT (queue, id) DO NOTHING RETURNING 1)`);
  }
  if (results.length > 0) {
    ctes.push(`r AS (INSERT INTO ralph_results (queue, kind, task_id, body)
       SELECT $1, c.kind, c.task_id, c.body FROM jsonb_to_recordset(${param(JSON.stringify(results))}::jsonb) AS c(kind text, task_id text, body jsonb, n integer)
       ORDER BY c.n RETURNING 1)`);
  }
  const count = (name: string): string => (ctes.some((c) => c.startsWith(`${name} AS`)) ? `(SELECT count(*) FROM ${name})` : '0');
  // The notification is sent at commit only: one for a transaction that then fails is never sent.
  const text = `${ctes.length > 0 ? `WITH ${ctes.join(', ')} ` : ''}SELECT ${count('m')} AS m, ${count('u')} AS u, ${count('i')} AS i, pg_current_xact_id()::text AS xid${
    wake ? `, pg_notify('${CHANNEL}', $1) AS notified` : ''
  }`;
  const shape = `${tx.metaChange ? 'm' : ''}${updates.length > 0 ? 'u' : ''}${inserts.length > 0 ? 'i' : ''}${results.length > 0 ? 'r' : ''}${wake ? 'n' : ''}`;
  const { rows } = await client.query<{ m: string; u: string; i: string; xid: string }>({ name: `ralph-write-${shape}`, text, values });
  const done = rows[0]!;
  if ((tx.metaChange && Number(done.m) !== 1) || Number(done.u) !== updates.length || Number(done.i) !== inserts.length) throw new Conflict();
  return done.xid;
}
