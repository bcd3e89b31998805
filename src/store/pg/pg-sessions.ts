import type pg from 'pg';
import { StateMissingError } from '../../errors.js';
import type { Sessions, WorkerSession } from '../sessions.js';

/** Runs a body on a pooled client inside a transaction, retried over reconnects (PgStore's). */
export type WithTransaction = <T>(body: (client: pg.PoolClient) => Promise<T>, purpose: string) => Promise<T>;

/**
 * The workers' sessions in the queue's database, one row a worker (without the file store's history
 * of a worker's last findings: those are in the results). Reads come from what the last
 * `refresh()` read (and this process's own writes), so that they stay synchronous as the file
 * store's are; writes are sent in the background, the latest one of a worker winning, and `flush()`
 * waits for them.
 */
export class PgSessions implements Sessions {
  private readonly cache = new Map<number, WorkerSession>();
  private readonly unsent = new Map<number, WorkerSession>();
  private sending: Promise<void> | undefined;
  /** The last write that failed, said once by `flush` (a worker's session is not worth stopping for). */
  lastError: unknown;

  constructor(
    private readonly pool: pg.Pool,
    private readonly queue: string,
    private readonly transaction: WithTransaction,
  ) {}

  read(workerId: number): WorkerSession | undefined {
    return this.cache.get(workerId);
  }

  readAll(): WorkerSession[] {
    return [...this.cache.values()].sort((a, b) => a.worker_id - b.worker_id);
  }

  readLenient(): { sessions: WorkerSession[]; problems: string[] } {
    return { sessions: this.readAll(), problems: [] };
  }

  write(session: WorkerSession): void {
    // Without the history of findings: the database keeps every finding in its results already, and
    // a session is written a few times a second.
    const copy = structuredClone({ ...session, findings: [] });
    this.cache.set(session.worker_id, copy);
    this.unsent.set(session.worker_id, copy);
    this.sending ??= this.send();
  }

  /** Waits until every write made so far has reached the database (or failed). */
  async flush(): Promise<void> {
    while (this.sending) await this.sending;
  }

  /** Reads every session of the queue (what `read` and `readAll` then give). */
  async refresh(): Promise<void> {
    const { rows } = await this.transaction(
      (client) => client.query<{ session: WorkerSession }>('SELECT session FROM ralph_sessions WHERE queue = $1 ORDER BY worker_id', [this.queue]),
      'read the sessions',
    );
    const own = new Map(this.unsent);
    this.cache.clear();
    for (const row of rows) this.cache.set(row.session.worker_id, row.session);
    for (const [id, session] of own) this.cache.set(id, session);
  }

  async register(session: WorkerSession, check: (previous: WorkerSession | undefined) => void): Promise<void> {
    await this.transaction(async (client) => {
      // A row not there yet cannot be locked: the id is, for this transaction.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1), $2)', [`ralph_sessions:${this.queue}`, session.worker_id]);
      const { rows } = await client.query<{ session: WorkerSession }>('SELECT session FROM ralph_sessions WHERE queue = $1 AND worker_id = $2', [
        this.queue,
        session.worker_id,
      ]);
      check(rows[0]?.session);
      await upsert(client, this.queue, session);
    }, `worker ${session.worker_id} registration`);
    this.cache.set(session.worker_id, structuredClone(session));
  }

  async issueIds(count: number): Promise<number> {
    const { rows } = await this.transaction(
      (client) =>
        client.query<{ last: number }>('UPDATE ralph_queues SET workers_issued = workers_issued + $2 WHERE name = $1 RETURNING workers_issued AS last', [
          this.queue,
          count,
        ]),
      'issue worker ids',
    );
    if (!rows[0]) throw new StateMissingError('', `queue ${JSON.stringify(this.queue)} in the database`);
    return rows[0].last - count + 1;
  }

  private async send(): Promise<void> {
    try {
      while (this.unsent.size > 0) {
        const batch = [...this.unsent.values()];
        this.unsent.clear();
        try {
          for (const session of batch) await upsert(this.pool, this.queue, session);
        } catch (error) {
          this.lastError = error;
          // Not lost: the newest of each worker goes with the next write, unless one came since.
          for (const session of batch) if (!this.unsent.has(session.worker_id)) this.unsent.set(session.worker_id, session);
          return;
        }
      }
    } finally {
      this.sending = undefined;
    }
  }
}

async function upsert(client: pg.Pool | pg.PoolClient, queue: string, session: WorkerSession): Promise<void> {
  await client.query(
    'INSERT INTO ralph_sessions (queue, worker_id, session) VALUES ($1, $2, $3) ON CONFLICT (queue, worker_id) DO UPDATE SET session = EXCLUDED.session',
    [queue, session.worker_id, JSON.stringify(session)],
  );
}
