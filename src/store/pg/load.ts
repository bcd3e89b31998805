import type pg from 'pg';
import { StateMissingError } from '../../errors.js';
import type { Finding, Issue, QueueMeta, Task } from '../../queue/types.js';
import type { TxScope } from '../store.js';
import type { Loaded } from './loaded-tx.js';
import { taskPriority } from '../../queue/priority.js';
import { dependenciesOf } from '../../queue/dependencies.js';

export const DEFAULT_META: QueueMeta = { active: false, worker_count: 0 };

export interface LoadScope extends TxScope {
  all: boolean;
  /** How many ready tasks to take as candidates (locked): one more than the claims a batch may make. */
  claims?: number;
}

interface Row {
  k: string;
  body: Task | QueueMeta | Finding | Issue;
  rev: string;
  at: Date | null;
  /** The row's place: a task's or a result's seq (queue order). */
  ord: string;
}

/**
 * Reads what a transaction's scope names (see `Loaded`), in one statement: the queue's meta (taken
 * first, FOR UPDATE, with `lockMeta`), and every task and result, or a worker's working set: the
 * next ready tasks in claim order, locked (other workers skip them), one more pending task and the
 * one whose backoff ends first (read only: whether work is left, and when to look again), the
 * claims, and the tasks asked for by id.
 */
export async function load(client: pg.PoolClient, queue: string, scope: LoadScope): Promise<Loaded> {
  const candidates = Math.max(2, Math.min(64, Math.floor(scope.claims ?? 2)));
  const parts = [`(SELECT 'm' AS k, meta AS body, rev, now() AS at, 0::bigint AS ord FROM m)`];
  if (scope.all) {
    parts.push(`(SELECT 't', task, rev, NULL, seq FROM ralph_tasks WHERE queue = $1)`);
    parts.push(`(SELECT kind, body, 0, NULL, seq FROM ralph_results WHERE queue = $1)`);
  } else {
    if (scope.step) {
      parts.push(`(SELECT 'c', task, rev, NULL, seq FROM c)`);
      parts.push(
        // Never above the candidates: a higher one is another worker's claim in the making, which a claim here would only conflict with.
        // With no candidate (every ready task locked by others' claims in the making), any: work is left.
        `(SELECT 'p', task, rev, NULL, seq FROM ralph_tasks WHERE queue = $1 AND status = 'pending' AND id NOT IN (SELECT id FROM c)
          AND priority <= (SELECT coalesce(min(priority), 'infinity') FROM c) ORDER BY priority DESC, seq LIMIT 1)`,
      );
      parts.push(
        `(SELECT 'w', task, rev, NULL, seq FROM ralph_tasks WHERE queue = $1 AND status = 'pending' AND not_before > now() ORDER BY not_before LIMIT 1)`,
      );
    }
    if (scope.step || scope.claimed) parts.push(`(SELECT 'x', task, rev, NULL, seq FROM ralph_tasks WHERE queue = $1 AND status = 'claimed')`);
    if (scope.ids && scope.ids.length > 0) parts.push(`(SELECT 'i', task, rev, NULL, seq FROM ralph_tasks WHERE queue = $1 AND id = ANY($2))`);
  }
  const ctes = [`m AS (SELECT meta, rev FROM ralph_queues WHERE name = $1${scope.lockMeta ? ' FOR UPDATE' : ''})`];
  // A task this step reports (it may complete now) does not hold back the tasks that wait on it: the step decides.
  const reported = scope.ids && scope.ids.length > 0 ? ' AND d.id <> ALL($2)' : '';
  if (scope.step && !scope.all) {
    // Not a task still waiting on a dependency (one pending or claimed): a claim could not take it. Each
    // dependency is looked up by its key (a scalar subquery: not a join that would scan the queue).
    ctes.push(`c AS (SELECT id, task, rev, priority, seq FROM ralph_tasks t
      WHERE queue = $1 AND status = 'pending' AND (not_before IS NULL OR not_before <= now())
        AND NOT CASE WHEN jsonb_typeof(task->'depends_on') = 'array' THEN EXISTS (SELECT 1 FROM jsonb_array_elements_text(t.task->'depends_on') AS dep(id)
          WHERE (SELECT d.status FROM ralph_tasks d WHERE d.queue = $1 AND d.id = dep.id${reported}) IN ('pending', 'claimed')) ELSE false END
      ORDER BY priority DESC, seq LIMIT ${candidates} FOR UPDATE SKIP LOCKED)`);
  }
  const params: unknown[] = [queue];
  if (!scope.all && scope.ids && scope.ids.length > 0) params.push([...scope.ids]);
  const text = `WITH ${ctes.join(', ')} ${parts.join(' UNION ALL ')}`;
  // Named: the server plans each shape of the statement once per connection.
  const { rows } = await client.query<Row>({
    name: `ralph-load-${scope.all ? 'all' : `${scope.step ? `s${candidates}` : scope.claimed ? 'x' : ''}${params.length > 1 ? 'i' : ''}`}${scope.lockMeta ? 'm' : ''}`,
    text,
    values: params,
  });
  const head = rows[0]?.k === 'm' ? rows[0] : rows.find((r) => r.k === 'm');
  if (!head?.at) throw new StateMissingError('', `queue ${JSON.stringify(queue)} in the database`);
  const loaded: Loaded = {
    all: scope.all,
    meta: { ...DEFAULT_META, ...(head.body as QueueMeta) },
    metaRev: Number(head.rev),
    byId: new Map(),
    pending: [],
    claimed: [],
    tasks: [],
    findings: [],
    issues: [],
    now: head.at,
    ...(scope.ids && !scope.all ? { asked: new Set(scope.ids) } : {}),
  };
  // Rows come in queue order (the statement's parts may interleave, so they are sorted here); the
  // pending tasks a claim chooses among, in claim order.
  rows.sort((a, b) => Number(a.ord) - Number(b.ord));
  const pending = new Set<string>();
  const kinds = new Map<string, string>();
  for (const row of rows) {
    if (row.k === 'm') continue;
    if (row.k === 'finding') {
      loaded.findings.push(row.body as Finding);
      continue;
    }
    if (row.k === 'issue') {
      loaded.issues.push(row.body as Issue);
      continue;
    }
    const task = keep(loaded, row.body as Task, Number(row.rev));
    if (row.k === 't') {
      loaded.tasks.push(task);
      if (task.status === 'pending') loaded.pending.push(task);
      else if (task.status === 'claimed') loaded.claimed.push(task);
    } else if (row.k === 'x') loaded.claimed.push(task);
    else if (row.k !== 'i' && !pending.has(task.id)) {
      pending.add(task.id);
      kinds.set(task.id, row.k);
      loaded.pending.push(task);
    }
  }
  // The tasks the pending ones depend on, read too (a claim looks at them); one not found is not in the queue.
  if (!scope.all) await loadDependencies(client, queue, loaded);
  // The claimable ones first, in claim order: a task read only ('p', 'w') may be another worker's
  // claim in the making, which a claim here would only conflict with.
  if (!scope.all) {
    const rank = (task: Task): number => (kinds.get(task.id) === 'c' ? 0 : 1);
    loaded.pending.sort((a, b) => rank(a) - rank(b) || taskPriority(b) - taskPriority(a));
  }
  return loaded;
}

/** The task as first read in this load (a task listed twice is one object). */
function keep(loaded: Loaded, task: Task, rev: number): Task {
  const known = loaded.byId.get(task.id);
  if (known) return known.task;
  loaded.byId.set(task.id, { task, rev });
  return task;
}

/** Reads the tasks that the pending tasks loaded depend on and that are not loaded yet (a second round trip, only then). */
async function loadDependencies(client: pg.PoolClient, queue: string, loaded: Loaded): Promise<void> {
  const wanted = new Set<string>();
  for (const task of loaded.pending) for (const id of dependenciesOf(task)) if (!loaded.byId.has(id)) wanted.add(id);
  if (wanted.size === 0) return;
  const { rows } = await client.query<{ task: Task; rev: string }>({
    name: 'ralph-load-deps',
    text: 'SELECT task, rev FROM ralph_tasks WHERE queue = $1 AND id = ANY($2)',
    values: [queue, [...wanted]],
  });
  for (const row of rows) keep(loaded, row.task, Number(row.rev));
  loaded.asked = new Set([...(loaded.asked ?? []), ...wanted]);
}
