import type pg from 'pg';
import { RalphError } from '../../errors.js';

/**
 * The queue's tables on PostgreSQL, versioned. Each migration takes the schema from the version
 * before it to its own; they run in one transaction under an advisory lock, so that of several
 * machines starting at once one migrates and the others find it done. A schema newer than this
 * Ralph knows is refused: it was written by a newer Ralph, whose rows this one could misread.
 *
 * Version 1: one row per queue (its meta), one per task (the task as the file store keeps it, with
 * the columns a claim orders and filters by), the results (findings and issues, in order), and the
 * workers' sessions. `rev` counts a row's writes: a write is made only on the revision it read. `xid`
 * is the transaction that wrote a row last, and `epoch` counts resets: a reader takes in what changed
 * since it last looked (see refresh.ts).
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE ralph_queues (
    name text PRIMARY KEY,
    meta jsonb NOT NULL DEFAULT '{}'::jsonb,
    rev bigint NOT NULL DEFAULT 0,
    workers_issued integer NOT NULL DEFAULT 0,
    epoch integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE TABLE ralph_tasks (
    queue text NOT NULL REFERENCES ralph_queues (name) ON DELETE CASCADE,
    id text NOT NULL,
    seq bigserial NOT NULL,
    status text NOT NULL,
    priority double precision NOT NULL DEFAULT 0,
    not_before timestamptz,
    claim_token text,
    lease_expires_at timestamptz,
    task jsonb NOT NULL,
    rev bigint NOT NULL DEFAULT 0,
    xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (queue, id)
  );
  CREATE INDEX ralph_tasks_xid ON ralph_tasks (queue, xid);
  CREATE INDEX ralph_tasks_pending ON ralph_tasks (queue, priority DESC, seq) WHERE status = 'pending';
  CREATE INDEX ralph_tasks_waiting ON ralph_tasks (queue, not_before) WHERE status = 'pending' AND not_before IS NOT NULL;
  CREATE INDEX ralph_tasks_claimed ON ralph_tasks (queue, lease_expires_at) WHERE status = 'claimed';
  CREATE TABLE ralph_results (
    queue text NOT NULL REFERENCES ralph_queues (name) ON DELETE CASCADE,
    seq bigserial NOT NULL,
    kind text NOT NULL CHECK (kind IN ('finding', 'issue')),
    task_id text NOT NULL,
    body jsonb NOT NULL,
    xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (queue, seq)
  );
  CREATE INDEX ralph_results_xid ON ralph_results (queue, xid);
  CREATE TABLE ralph_sessions (
    queue text NOT NULL REFERENCES ralph_queues (name) ON DELETE CASCADE,
    worker_id integer NOT NULL,
    session jsonb NOT NULL,
    PRIMARY KEY (queue, worker_id)
  );
  `,
];

/** The schema version this Ralph writes and reads. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** The advisory lock key of schema changes (any 64-bit number no other program on the database uses). */
const SCHEMA_LOCK = 0x7261_6c70_6800n; // "ralph\0"

/** A queue database whose schema a newer Ralph wrote: nothing was changed. */
export class SchemaNewerError extends RalphError {
  constructor(found: number) {
    super(
      'RALPH_SCHEMA_NEWER',
      `the queue database was set up by a newer Ralph (schema version ${found}; this one knows up to ${SCHEMA_VERSION}): upgrade Ralph on this machine. Nothing was changed.`,
    );
  }
}

/**
 * Brings the database's schema up to SCHEMA_VERSION (creating it on an empty database) and says from
 * which version. Idempotent; safe to run from several processes at once.
 */
export async function migrate(client: pg.Client | pg.PoolClient): Promise<{ from: number; to: number }> {
  // Up to date already (every start but the first): one read, no lock.
  const current = await client.query<{ version: number }>('SELECT version FROM ralph_schema').catch(() => undefined);
  const version = current?.rows[0]?.version;
  if (version === SCHEMA_VERSION) return { from: version, to: version };
  if (version !== undefined && version > SCHEMA_VERSION) throw new SchemaNewerError(version);
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK.toString()]);
    await client.query('CREATE TABLE IF NOT EXISTS ralph_schema (version integer NOT NULL)');
    const found = await client.query<{ version: number }>('SELECT version FROM ralph_schema');
    const from = found.rows[0]?.version ?? 0;
    if (from > SCHEMA_VERSION) throw new SchemaNewerError(from);
    for (let version = from + 1; version <= SCHEMA_VERSION; version++) await client.query(MIGRATIONS[version - 1]!);
    if (found.rows.length === 0) await client.query('INSERT INTO ralph_schema (version) VALUES ($1)', [SCHEMA_VERSION]);
    else if (from < SCHEMA_VERSION) await client.query('UPDATE ralph_schema SET version = $1', [SCHEMA_VERSION]);
    await client.query('COMMIT');
    return { from, to: SCHEMA_VERSION };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * `ralph queue init`: the schema brought up to date and the queue `name` created where missing (one
 * database holds several projects' queues). Says whether the queue is new.
 */
export async function initQueue(client: pg.Client | pg.PoolClient, name: string): Promise<{ created: boolean; schema: { from: number; to: number } }> {
  const schema = await migrate(client);
  const made = await client.query('INSERT INTO ralph_queues (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [name]);
  return { created: made.rowCount === 1, schema };
}
