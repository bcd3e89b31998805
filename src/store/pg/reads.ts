import type pg from 'pg';
import type { TaskSort } from '../../queue/task-query.js';
import type { Finding, Issue, Task } from '../../queue/types.js';
import { ISO_TIME } from '../../queue/series.js';
import type { SeriesBucket } from '../../queue/series.js';
import type { DependencyWait, TaskDetail, TaskQuery } from '../store.js';

/** The read models' queries on a database's queue (what `queue list`, the dashboard's tasks, a task's page and its charts read). */

/** The orders of queue/task-query.ts (`sortTasks`) in SQL; each ends with queue order. */
const SQL_ORDER: Record<TaskSort, string> = {
  queue: '',
  id: 'id COLLATE "C",',
  attempts: "(task->>'attempts')::int DESC,",
  duration: "coalesce((task->>'duration_ms')::float8, -1) DESC,",
  finished: "coalesce(task->>'completed_at', task->>'failed_at', '') COLLATE \"C\" DESC,",
};

/** The tasks the query selects (queue/task-query.ts `selects`), in its order, a page of them. */
export async function selectTasks(client: pg.PoolClient, queue: string, query: TaskQuery): Promise<Task[]> {
  const { rows } = await client.query<{ task: Task }>(
    `SELECT task FROM ralph_tasks WHERE queue = $1 AND ($2::text IS NULL OR status = $2)
       AND ($3::text IS NULL OR task->>'type' = $3) AND ($4::int IS NULL OR (task->>'worker_id')::int = $4)
       AND ($5::text IS NULL OR strpos(lower(id), $5) > 0 OR strpos(lower(coalesce(task->>'finding', '')), $5) > 0
            OR strpos(lower(coalesce(task->>'error', task->>'last_error', '')), $5) > 0)
       AND ($8::text IS NULL OR task->>'merge' = $8)
     ORDER BY ${SQL_ORDER[query.sort ?? 'queue']} seq OFFSET $6 LIMIT $7`,
    [
      queue,
      query.status ?? null,
      query.type ?? null,
      query.worker ?? null,
      query.text ? query.text.toLowerCase() : null,
      query.offset ?? 0,
      query.limit ?? null,
      query.merge ?? null,
    ],
  );
  return rows.map((r) => r.task);
}

/** One task with every attempt's finding and issue, in the order they were recorded. */
export async function selectTaskDetail(client: pg.PoolClient, queue: string, id: string): Promise<TaskDetail | undefined> {
  const { rows } = await client.query<{ task: Task }>('SELECT task FROM ralph_tasks WHERE queue = $1 AND id = $2', [queue, id]);
  if (!rows[0]) return undefined;
  const results = await client.query<{ kind: string; body: Finding | Issue }>(
    'SELECT kind, body FROM ralph_results WHERE queue = $1 AND task_id = $2 ORDER BY seq',
    [queue, id],
  );
  return {
    task: rows[0].task,
    findings: results.rows.filter((r) => r.kind === 'finding').map((r) => r.body as Finding),
    issues: results.rows.filter((r) => r.kind === 'issue').map((r) => r.body as Issue),
  };
}

/**
 * queue/series.ts `countSeries`, counted by the database: one pass over the finished tasks and the
 * results since `from`; times that are not ISO_TIME are left out, as there (one that is but names no
 * real day, a hand-edited 30 February, fails the cast).
 */
export async function selectFinishSeries(client: pg.PoolClient, queue: string, from: Date, bucketMs: number): Promise<SeriesBucket[]> {
  const { rows } = await client.query<{ t: string; finished: number; cost: number }>(
    `WITH f AS (
       SELECT extract(epoch FROM at::timestamptz) * 1000 AS at FROM (
         SELECT CASE status WHEN 'completed' THEN task->>'completed_at' ELSE task->>'failed_at' END AS at
         FROM ralph_tasks WHERE queue = $1 AND status IN ('completed', 'failed')) x WHERE at ~ $4),
     s AS (
       SELECT extract(epoch FROM (body->>'timestamp')::timestamptz) * 1000 AS at, (body->>'cost_usd')::float8 AS cost
       FROM ralph_results WHERE queue = $1 AND jsonb_typeof(body->'cost_usd') = 'number' AND body->>'timestamp' ~ $4)
     SELECT b::bigint::text AS t, sum(finished)::int AS finished, sum(cost)::float8 AS cost FROM (
       SELECT $2::float8 + floor((at - $2::float8) / $3::float8) * $3::float8 AS b, 1 AS finished, 0::float8 AS cost FROM f WHERE at >= $2::float8
       UNION ALL
       SELECT $2::float8 + floor((at - $2::float8) / $3::float8) * $3::float8, 0, cost FROM s WHERE at >= $2::float8) x
     GROUP BY b ORDER BY b`,
    [queue, from.getTime(), bucketMs, ISO_TIME],
  );
  return rows.map((r) => ({ t: Number(r.t), finished: r.finished, cost: r.cost }));
}

/** Pending tasks waiting on others (queue/dependencies.ts `waitingOn`), in SQL: each with its dependencies not completed yet. */
export async function selectDependencyWaits(client: pg.PoolClient, queue: string, limit: number): Promise<DependencyWait[]> {
  const { rows } = await client.query<DependencyWait>(
    `SELECT t.id, array_agg(d.id ORDER BY w.n) AS waiting_on
       FROM ralph_tasks t CROSS JOIN LATERAL jsonb_array_elements_text(CASE WHEN jsonb_typeof(t.task->'depends_on') = 'array' THEN t.task->'depends_on' ELSE '[]'::jsonb END) WITH ORDINALITY AS w(id, n)
       JOIN ralph_tasks d ON d.queue = t.queue AND d.id = w.id
      WHERE t.queue = $1 AND t.status = 'pending' AND jsonb_typeof(t.task->'depends_on') = 'array' AND d.status IN ('pending', 'claimed')
      GROUP BY t.id, t.seq ORDER BY t.seq LIMIT $2`,
    [queue, limit],
  );
  return rows;
}
