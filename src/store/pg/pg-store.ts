import pg from 'pg';
import { RalphError, StateMissingError } from '../../errors.js';
import { priorityRank } from '../../queue/priority.js';
import type { Finding, Issue, QueueMeta, QueueState, Task } from '../../queue/types.js';
import { makePrivateDir } from '../../process/private.js';
import { statePaths } from '../paths.js';
import type { StatePaths } from '../paths.js';
import type { Store, Transaction, TxScope } from '../store.js';
import { QueueUnreachableError, connectQueue, describeQueueUrl } from './connection.js';
import { describeQueue } from './url.js';
import { LoadedTransaction } from './loaded-tx.js';
import type { Loaded, LoadedTask } from './loaded-tx.js';
import { PgSessions } from './pg-sessions.js';
import { CHANNEL, PgWatch } from './pg-watch.js';
import { initQueue, migrate } from './schema.js';
import { isTransient, retryDelay } from './retry.js';

export interface PgStoreOptions {
  /** How long to keep trying while the database cannot be reached mid-run (default 10 min). */
  reconnectMs?: number;
}

/** Another transaction changed a row this one read: run the body again on what is there now. */
class Conflict extends Error {}

const DEFAULT_META: QueueMeta = { active: false, worker_count: 0 };

/**
 * The queue on PostgreSQL: the same `Store` as the file store, for workers on any number of
 * machines. A transaction reads what its scope names (everything, or a worker's working set), runs
 * its body on that, and writes each changed row only if the row is still at the revision it read;
 * when one is not, it runs again. Claims take their candidates with FOR UPDATE SKIP LOCKED, so that
 * workers never wait on each other's claims. Local files (logs, prompts, the report) stay in `dir`.
 */
export class PgStore implements Store {
  readonly dir: string;
  readonly paths: StatePaths;
  readonly sessions: PgSessions;
  readonly location: string;
  private readonly pool: pg.Pool;
  private readonly watches = new Set<PgWatch>();
  private state: QueueState | undefined;
  private present = false;

  private constructor(
    private readonly url: string,
    readonly queueName: string,
    dir: string,
    private readonly options: PgStoreOptions,
  ) {
    this.dir = dir;
    this.paths = statePaths(dir);
    this.location = describeQueue({ url, name: queueName });
    this.pool = new pg.Pool({ connectionString: url, max: 4, application_name: 'ralph', connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000 });
    // A pooled connection the server ends is reported on the next query; unheard, it would end the process.
    this.pool.on('error', () => undefined);
    this.sessions = new PgSessions(this.pool, queueName, (body, purpose) => this.withTransaction(body, purpose));
  }

  /**
   * Connects (one clear line when it cannot), brings the schema up to date, and with `create`
   * creates the queue where missing. `exists()` then says whether the queue is there.
   */
  static async open(url: string, queueName: string, dir: string, options: PgStoreOptions & { create?: boolean } = {}): Promise<PgStore> {
    const client = await connectQueue(url);
    let present: boolean;
    try {
      if (options.create) {
        await initQueue(client, queueName);
        present = true;
      } else {
        await migrate(client);
        const found = await client.query('SELECT 1 FROM ralph_queues WHERE name = $1', [queueName]);
        present = found.rowCount === 1;
      }
    } finally {
      await client.end().catch(() => undefined);
    }
    const store = new PgStore(url, queueName, dir, options);
    store.present = present;
    return store;
  }

  exists(): boolean {
    return this.present;
  }

  /** The queue must be there (`ralph queue init` makes it); this machine's directory for logs and prompts is made where missing. */
  ensure(): void {
    if (!this.present) throw new StateMissingError(this.location);
    for (const dir of [this.dir, this.paths.prompts]) makePrivateDir(dir);
  }

  /** The state as the last `refresh()` read it. */
  read(): QueueState {
    if (!this.state) throw new RalphError('RALPH_INTERNAL', 'the PostgreSQL queue was read before it was loaded (refresh() first)');
    return this.state;
  }

  async refresh(): Promise<void> {
    const loaded = await this.withTransaction((client) => load(client, this.queueName, { all: true }), 'read');
    this.state = { tasks: loaded.tasks, meta: loaded.meta, findings: loaded.findings, issues: loaded.issues };
    await this.sessions.refresh();
  }

  async transact<T>(body: (tx: Transaction) => T, purpose = 'transaction', scope?: TxScope): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.withTransaction(async (client) => {
          const loaded = await load(client, this.queueName, scope ? { ...scope, all: false } : { all: true });
          const tx = new LoadedTransaction(loaded);
          const result = body(tx);
          if (tx.changed) await write(client, this.queueName, tx);
          return result;
        }, purpose);
      } catch (error) {
        if (!(error instanceof Conflict) || attempt >= 100) throw error;
        await sleep(Math.random() * Math.min(50, 2 + attempt * 2));
      }
    }
  }

  async transactEach<T>(bodies: ReadonlyArray<(tx: Transaction) => T>, purpose?: string): Promise<Array<PromiseSettledResult<T>>> {
    const results: Array<PromiseSettledResult<T>> = [];
    for (const body of bodies) {
      try {
        results.push({ status: 'fulfilled', value: await this.transact(body, purpose) });
      } catch (reason) {
        results.push({ status: 'rejected', reason });
      }
    }
    return results;
  }

  /** Nothing to fold: the database is always up to date. */
  async compact(): Promise<void> {}

  async compactIfDue(): Promise<boolean> {
    return false;
  }

  watch(): PgWatch {
    const watch = new PgWatch(this.url, this.queueName);
    this.watches.add(watch);
    return watch;
  }

  /** Waits for the sessions' writes and closes the connections. */
  async close(): Promise<void> {
    for (const watch of this.watches) watch.end();
    this.watches.clear();
    await this.sessions.flush().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }

  /**
   * Runs `body` in a transaction on a pooled connection. A connection lost on the way (the server
   * restarted, the connection terminated) is retried with backoff for up to `reconnectMs`; the
   * body runs again from the start, so it must be safe to repeat (each of the store's is: a step
   * asked for again claims nothing more, and a report already recorded is refused).
   */
  private async withTransaction<T>(body: (client: pg.PoolClient) => Promise<T>, purpose: string): Promise<T> {
    const started = Date.now();
    const limit = this.options.reconnectMs ?? 600_000;
    for (let attempt = 0; ; attempt++) {
      let client: pg.PoolClient | undefined;
      try {
        client = await this.pool.connect();
        await client.query('BEGIN');
        const result = await body(client);
        await client.query('COMMIT');
        client.release();
        return result;
      } catch (error) {
        if (client) {
          const broken = isTransient(error);
          if (!broken) await client.query('ROLLBACK').catch(() => undefined);
          client.release(broken ? true : undefined);
        }
        if (!isTransient(error)) throw error;
        if (Date.now() - started > limit) {
          throw new QueueUnreachableError(
            `lost the queue at ${describeQueueUrl(this.url)} during ${purpose} and could not reconnect within ${Math.round(limit / 1000)}s`,
            {
              cause: error,
            },
          );
        }
        await sleep(retryDelay(attempt));
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface LoadScope extends TxScope {
  all: boolean;
}

interface TaskRow {
  task: Task;
  rev: string;
}

/** Reads what a transaction's scope names (see `Loaded`). */
async function load(client: pg.PoolClient, queue: string, scope: LoadScope): Promise<Loaded> {
  const metaRow = await client.query<{ meta: QueueMeta; rev: string; now: Date }>(
    `SELECT meta, rev, now() AS now FROM ralph_queues WHERE name = $1${scope.lockMeta ? ' FOR UPDATE' : ''}`,
    [queue],
  );
  const head = metaRow.rows[0];
  if (!head) throw new StateMissingError(`queue ${queue}`);
  const loaded: Loaded = {
    all: scope.all,
    meta: { ...DEFAULT_META, ...head.meta },
    metaRev: Number(head.rev),
    byId: new Map(),
    pending: [],
    claimed: [],
    tasks: [],
    findings: [],
    issues: [],
    now: head.now,
  };
  const keep = (row: TaskRow): Task => {
    const known = loaded.byId.get(row.task.id);
    if (known) return known.task;
    loaded.byId.set(row.task.id, { task: row.task, rev: Number(row.rev) });
    return row.task;
  };
  if (scope.all) {
    const tasks = await client.query<TaskRow>('SELECT task, rev FROM ralph_tasks WHERE queue = $1 ORDER BY seq', [queue]);
    for (const row of tasks.rows) loaded.tasks.push(keep(row));
    loaded.pending = loaded.tasks.filter((t) => t.status === 'pending');
    loaded.claimed = loaded.tasks.filter((t) => t.status === 'claimed');
    const results = await client.query<{ kind: string; body: Finding & Issue }>('SELECT kind, body FROM ralph_results WHERE queue = $1 ORDER BY seq', [queue]);
    for (const row of results.rows) (row.kind === 'finding' ? loaded.findings : loaded.issues).push(row.body);
    return loaded;
  }
  if (scope.step) {
    // The next ready tasks in claim order, locked (others skip them); one more pending task, and the
    // one whose backoff ends first (read only): whether work is left, and when to look again.
    const { rows } = await client.query<TaskRow & { k: string }>(
      `WITH c AS (
         SELECT id, task, rev, priority, seq FROM ralph_tasks
         WHERE queue = $1 AND status = 'pending' AND (not_before IS NULL OR not_before <= now())
         ORDER BY priority DESC, seq LIMIT 2 FOR UPDATE SKIP LOCKED)
       (SELECT 'c' AS k, task, rev FROM c ORDER BY priority DESC, seq)
       UNION ALL (SELECT 'p', task, rev FROM ralph_tasks WHERE queue = $1 AND status = 'pending' AND id NOT IN (SELECT id FROM c) ORDER BY priority DESC, seq LIMIT 1)
       UNION ALL (SELECT 'w', task, rev FROM ralph_tasks WHERE queue = $1 AND status = 'pending' AND not_before > now() ORDER BY not_before LIMIT 1)
       UNION ALL (SELECT 'x', task, rev FROM ralph_tasks WHERE queue = $1 AND status = 'claimed' ORDER BY seq)`,
      [queue],
    );
    const pending = new Set<string>();
    for (const row of rows) {
      const task = keep(row);
      if (row.k === 'x') loaded.claimed.push(task);
      else if (!pending.has(task.id)) {
        pending.add(task.id);
        loaded.pending.push(task);
      }
    }
  }
  if (scope.ids && scope.ids.length > 0) {
    const { rows } = await client.query<TaskRow>('SELECT task, rev FROM ralph_tasks WHERE queue = $1 AND id = ANY($2)', [queue, [...scope.ids]]);
    for (const row of rows) keep(row);
  }
  return loaded;
}

/** The columns a task's row is ordered and filtered by, from the task. */
function columns(task: Task) {
  const claimed = task.status === 'claimed';
  return {
    id: task.id,
    status: task.status,
    priority: priorityRank(task.data),
    not_before: task.status === 'pending' ? (task.not_before ?? null) : null,
    claim_token: claimed ? (task.claim_token ?? null) : null,
    lease_expires_at: claimed ? (task.lease_expires_at ?? null) : null,
    task,
  };
}

const RECORD =
  'id text, rev bigint, n integer, status text, priority float8, not_before timestamptz, claim_token text, lease_expires_at timestamptz, task jsonb';

/**
 * Writes what `tx` changed: meta first (one order for every transaction, so that two never wait on
 * each other in a circle), then the changed tasks, each only at the revision it was read at (else
 * Conflict), then the new tasks and the results in order, and a notification when an idle worker
 * or a watching run has something new to look at.
 */
async function write(client: pg.PoolClient, queue: string, tx: LoadedTransaction): Promise<void> {
  const { loaded } = tx;
  let wake = tx.resetRequested;
  if (tx.metaChange) {
    const done = await client.query('UPDATE ralph_queues SET meta = meta || $2::jsonb, rev = rev + 1 WHERE name = $1 AND rev = $3', [
      queue,
      JSON.stringify(tx.metaChange),
      loaded.metaRev,
    ]);
    if (done.rowCount !== 1) throw new Conflict();
    if (Object.keys(tx.metaChange).some((key) => !key.startsWith('cost_'))) wake = true;
  }
  if (tx.resetRequested) {
    await client.query('DELETE FROM ralph_tasks WHERE queue = $1', [queue]);
    await client.query('DELETE FROM ralph_results WHERE queue = $1', [queue]);
  }
  const updates: Array<ReturnType<typeof columns> & { rev: number }> = [];
  const inserts: Array<ReturnType<typeof columns> & { n: number }> = [];
  for (const task of tx.puts.values()) {
    const before: LoadedTask | undefined = tx.resetRequested ? undefined : loaded.byId.get(task.id);
    if (before) {
      updates.push({ ...columns(task), rev: before.rev });
      if (task.status !== 'claimed' && before.task.status !== task.status) wake = true;
    } else {
      inserts.push({ ...columns(task), n: inserts.length });
      wake = true;
    }
  }
  if (updates.length > 0) {
    const done = await client.query(
      `UPDATE ralph_tasks r SET status = c.status, priority = c.priority, not_before = c.not_before, claim_token = c.claim_token,
         lease_expires_at = c.lease_expires_at, task = c.task, rev = r.rev + 1
       FROM jsonb_to_recordset($2::jsonb) AS c(${RECORD})
       WHERE r.queue = $1 AND r.id = c.id AND r.rev = c.rev`,
      [queue, JSON.stringify(updates)],
    );
    if (done.rowCount !== updates.length) throw new Conflict();
  }
  if (inserts.length > 0) {
    const done = await client.query(
      `INSERT INTO ralph_tasks (queue, id, status, priority, not_before, claim_token, lease_expires_at, task)
       SELECT $1, c.id, c.status, c.priority, c.not_before, c.claim_token, c.lease_expires_at, c.task
       FROM jsonb_to_recordset($2::jsonb) AS c(${RECORD}) ORDER BY c.n
       ON CONFLICT (queue, id) DO NOTHING`,
      [queue, JSON.stringify(inserts)],
    );
    if (done.rowCount !== inserts.length) throw new Conflict();
  }
  const results = [
    ...tx.newFindings.map((body) => ({ kind: 'finding', task_id: body.task_id, body })),
    ...tx.newIssues.map((body) => ({ kind: 'issue', task_id: body.task_id, body })),
  ].map((r, n) => ({ ...r, n }));
  if (results.length > 0) {
    await client.query(
      `INSERT INTO ralph_results (queue, kind, task_id, body)
       SELECT $1, c.kind, c.task_id, c.body FROM jsonb_to_recordset($2::jsonb) AS c(kind text, task_id text, body jsonb, n integer) ORDER BY c.n`,
      [queue, JSON.stringify(results)],
    );
  }
  if (wake) await client.query('SELECT pg_notify($1, $2)', [CHANNEL, queue]);
}
