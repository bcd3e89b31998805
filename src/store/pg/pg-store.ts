import pg from 'pg';
import { RalphError, StateMissingError } from '../../errors.js';
import type { QueueMeta, QueueState, StatusCounts, Task, TaskStatus } from '../../queue/types.js';
import { makePrivateDir } from '../../process/private.js';
import { statePaths } from '../paths.js';
import type { StatePaths } from '../paths.js';
import type { DependencyWait, MergeLock, QueueOverview, Store, TaskDetail, TaskQuery, Transaction, TxScope } from '../store.js';
import type { SeriesBucket } from '../../queue/series.js';
import { selectDependencyWaits, selectFinishSeries, selectTaskDetail, selectTasks } from './reads.js';
import { advisoryMergeLock } from './merge-lock.js';
import { unreachable } from './connection.js';
import { describeQueue } from './url.js';
import { LoadedTransaction } from './loaded-tx.js';
import { DEFAULT_META, load } from './load.js';
import type { LoadScope } from './load.js';
import { QueueMirror } from './mirror.js';
import { Conflict, write } from './write.js';
import { PgSessions } from './pg-sessions.js';
import { PgWatch } from './pg-watch.js';
import { TRANSACTION_FAULTS, inTransaction } from './transaction.js';
import type { CommitMark } from './transaction.js';
import { initQueue, migrate } from './schema.js';

/** How often `refresh` reads the sessions again (a run's view and monitor refresh several times a second). */
const SESSIONS_EVERY_MS = 500;

/** Tasks added by one transaction from which the table's statistics are brought up to date. */
const ANALYZE_AFTER = 500;

export interface PgStoreOptions {
  /** How long to keep trying while the database cannot be reached mid-run (default 10 min). */
  reconnectMs?: number;
}

/**
 * The queue on PostgreSQL: the same `Store` as the file store, for workers on any number of
 * machines. A transaction reads what its scope names (everything, or a worker's working set), runs
 * its body on that, and writes each changed row only if the row is still at the revision it read;
 * when one is not, it runs again. Claims take their candidates with FOR UPDATE SKIP LOCKED, so that
 * workers never wait on each other's claims. Local files (logs, prompts, the report) stay in `dir`.
 */
export class PgStore implements Store {
  /** Faults the tests inject: the next COMMITs' answers lost, after the COMMIT was made or rolled back. */
  static readonly faults = TRANSACTION_FAULTS;

  readonly dir: string;
  readonly paths: StatePaths;
  readonly sessions: PgSessions;
  readonly location: string;
  private readonly pool: pg.Pool;
  private readonly watches = new Set<PgWatch>();
  private state: QueueState | undefined;
  private readonly mirror: QueueMirror;
  private present = false;
  private sessionsReadAt = 0;

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
    // The store's statements are few, named, and look rows up by queue and id: one plan each, made
    // once a connection, serves every call (a custom plan per call cost more than running it).
    this.pool.on('connect', (client) => {
      // A checked-out client the server ends between two queries reports it as an event: without a
      // listener it would end the process (the next query then fails, and is retried).
      client.on('error', () => undefined);
      client.query('SET plan_cache_mode = force_generic_plan').catch(() => undefined);
    });
    // A pooled connection the server ends is reported on the next query; unheard, it would end the process.
    this.pool.on('error', () => undefined);
    this.mirror = new QueueMirror(queueName);
    this.sessions = new PgSessions(this.pool, queueName, (body, purpose) => this.withTransaction(body, purpose));
  }

  /**
   * Connects (one clear line when it cannot), brings the schema up to date, and with `create`
   * creates the queue where missing. `exists()` then says whether the queue is there.
   */
  static async open(url: string, queueName: string, dir: string, options: PgStoreOptions & { create?: boolean } = {}): Promise<PgStore> {
    let store: PgStore;
    try {
      store = new PgStore(url, queueName, dir, options);
    } catch (error) {
      throw unreachable(url, error);
    }
    let client: pg.PoolClient;
    try {
      client = await store.pool.connect();
    } catch (error) {
      await store.pool.end().catch(() => undefined);
      throw unreachable(url, error);
    }
    try {
      if (options.create) await initQueue(client, queueName);
      else await migrate(client);
      store.present = options.create === true || (await client.query('SELECT 1 FROM ralph_queues WHERE name = $1', [queueName])).rowCount === 1;
    } catch (error) {
      client.release();
      await store.close();
      throw error;
    }
    client.release();
    return store;
  }

  exists(): boolean {
    return this.present;
  }

  /** The queue must be there (`ralph queue init` makes it); this machine's directory for logs and prompts is made where missing. */
  ensure(): void {
    if (!this.present) throw new StateMissingError(this.dir, this.location);
    for (const dir of [this.dir, this.paths.prompts]) makePrivateDir(dir);
  }

  /** The state as the last `refresh()` read it. */
  read(): QueueState {
    if (!this.state) throw new RalphError('RALPH_INTERNAL', 'the PostgreSQL queue was read before it was loaded (refresh() first)');
    return this.state;
  }

  /** Reads what changed since the last refresh (everything, the first time), and the sessions. */
  async refresh(): Promise<void> {
    this.state = await this.withTransaction((client) => this.mirror.update(client), 'read', 'REPEATABLE READ READ ONLY');
    // The sessions change a few times a second each: read again at most twice a second.
    const now = Date.now();
    if (now - this.sessionsReadAt >= SESSIONS_EVERY_MS) {
      this.sessionsReadAt = now;
      await this.sessions.refresh();
    }
  }

  /** Selected, ordered and paged by the database (as queue/task-query.ts does in memory): `queue list` and the dashboard on a queue of any size. */
  async listTasks(query: TaskQuery): Promise<Task[]> {
    return this.withTransaction((client) => selectTasks(client, this.queueName, query), 'list tasks');
  }

  async taskDetail(id: string): Promise<TaskDetail | undefined> {
    return this.withTransaction((client) => selectTaskDetail(client, this.queueName, id), 'task', 'REPEATABLE READ READ ONLY');
  }

  async waitingOnDependencies(limit: number): Promise<DependencyWait[]> {
    return this.withTransaction((client) => selectDependencyWaits(client, this.queueName, limit), 'dependencies', 'REPEATABLE READ READ ONLY');
  }

  async finishSeries(from: Date, bucketMs: number): Promise<SeriesBucket[]> {
    return this.withTransaction((client) => selectFinishSeries(client, this.queueName, from, bucketMs), 'history', 'REPEATABLE READ READ ONLY');
  }

  /** Counted by the database (one pass over the queue's rows there, nothing sent here but the counts), and the sessions read. */
  async overview(): Promise<QueueOverview> {
    const overview = await this.withTransaction(
      async (client) => {
        const { rows } = await client.query<{ status: TaskStatus | null; n: string; meta: QueueMeta }>(
          `SELECT t.status, t.n, q.meta FROM ralph_queues q
         LEFT JOIN (SELECT status, count(*) AS n FROM ralph_tasks WHERE queue = $1 GROUP BY status) t ON true
         WHERE q.name = $1`,
          [this.queueName],
        );
        if (rows.length === 0) throw new StateMissingError(this.dir, this.location);
        const counts: StatusCounts = { pending: 0, claimed: 0, completed: 0, failed: 0 };
        for (const row of rows) if (row.status && row.status in counts) counts[row.status] = Number(row.n);
        return { counts, meta: { ...DEFAULT_META, ...rows[0]!.meta } };
      },
      'status',
      'REPEATABLE READ READ ONLY',
    );
    await this.sessions.refresh();
    return overview;
  }

  async transact<T>(body: (tx: Transaction) => T, purpose = 'transaction', scope?: TxScope): Promise<T> {
    const [result] = await this.transactEach([body], purpose, [scope]);
    if (result!.status === 'rejected') throw result!.reason;
    return result!.value;
  }

  /**
   * The bodies in turn, in ONE database transaction (each sees the changes of those before it; one
   * that throws changes nothing), read with the union of their scopes and written in one statement:
   * how a run applies its workers' steps, a few round trips for a batch of them.
   */
  async transactEach<T>(
    bodies: ReadonlyArray<(tx: Transaction) => T>,
    purpose = 'transaction',
    scopes: ReadonlyArray<TxScope | undefined> = [],
  ): Promise<Array<PromiseSettledResult<T>>> {
    if (bodies.length === 0) return [];
    const scope = unionScope(bodies.length, scopes);
    for (let attempt = 0; ; attempt++) {
      try {
        let added = 0;
        const results = await this.withTransaction(async (client, mark) => {
          const loaded = await load(client, this.queueName, scope);
          let done = new LoadedTransaction(loaded);
          const settled: Array<PromiseSettledResult<T>> = [];
          for (const body of bodies) {
            const tx = bodies.length === 1 ? done : done.child();
            try {
              settled.push({ status: 'fulfilled', value: body(tx) });
              done = tx;
            } catch (reason) {
              // A body that throws alone (not in a batch) rolls the transaction back.
              if (bodies.length === 1) throw reason;
              settled.push({ status: 'rejected', reason });
            }
          }
          if (done.changed) mark.xid = await write(client, this.queueName, done);
          added = done.resetRequested ? done.puts.size : [...done.puts.keys()].filter((id) => !loaded.byId.has(id)).length;
          return settled;
        }, purpose);
        // Many tasks added at once: the planner is told now (not at autovacuum's next round, up to a
        // minute later), so that claims keep using the pending tasks' index, not a scan of them all.
        if (added >= ANALYZE_AFTER) await this.pool.query('ANALYZE ralph_tasks').catch(() => undefined);
        return results;
      } catch (error) {
        if (bodies.length === 1 && !(error instanceof Conflict)) return [{ status: 'rejected', reason: error }];
        if (!(error instanceof Conflict) || attempt >= 100) throw error;
        await sleep(Math.random() * Math.min(50, 2 + attempt * 2));
      }
    }
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

  /** Merges onto a shared remote take turns across every machine: an advisory lock of the queue (merge-lock.ts). */
  mergeLock(): MergeLock {
    return advisoryMergeLock(this.pool, this.queueName, { url: this.url, reconnectMs: this.options.reconnectMs ?? 600_000 });
  }

  /** Waits for the sessions' writes and closes the connections. */
  async close(): Promise<void> {
    for (const watch of this.watches) watch.end();
    this.watches.clear();
    await this.sessions.flush().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }

  /** A transaction on the pool, reconnecting (see transaction.ts). */
  private withTransaction<T>(body: (client: pg.PoolClient, mark: CommitMark) => Promise<T>, purpose: string, mode = ''): Promise<T> {
    return inTransaction(this.pool, { url: this.url, reconnectMs: this.options.reconnectMs ?? 600_000 }, body, purpose, mode);
  }
}

/** What a batch reads: everything if one body needs it, else every body's tasks, claims and candidates. */
function unionScope(count: number, scopes: ReadonlyArray<TxScope | undefined>): LoadScope {
  const given = Array.from({ length: count }, (_, i) => scopes[i]);
  if (given.some((s) => s === undefined)) return { all: true };
  const defined = given as TxScope[];
  const steps = defined.filter((s) => s.step).length;
  return {
    all: false,
    step: steps > 0,
    claimed: defined.some((s) => s.claimed),
    claims: steps + 1,
    ids: [...new Set(defined.flatMap((s) => s.ids ?? []))],
    lockMeta: defined.some((s) => s.lockMeta),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
