// The queue's schema on a real PostgreSQL server (issue 16): created on an empty database, idempotent,
// migrated once when several machines start at once, a newer schema refused; and a database that
// cannot be used said in one line that never shows the URL's password.
import { describe, expect, it } from 'vitest';
import { QueueUnreachableError, connectQueue, describeQueueUrl } from '../../src/store/pg/connection.js';
import { SCHEMA_VERSION, SchemaNewerError, initQueue, migrate } from '../../src/store/pg/schema.js';
import { usePostgres, withClient } from '../helpers/postgres.js';

describe('the queue schema on PostgreSQL', () => {
  const server = usePostgres();

  const tables = (url: string) =>
    withClient(url, async (c) => (await c.query("SELECT tablename FROM pg_tables WHERE tablename LIKE 'ralph_%' ORDER BY 1")).rows.map((r) => r.tablename));

  it('is made on an empty database, and a second init changes nothing', async () => {
    const url = await server().database();
    const client = await connectQueue(url);
    try {
      expect(await initQueue(client, 'default')).toEqual({ created: true, schema: { from: 0, to: SCHEMA_VERSION } });
      expect(await initQueue(client, 'default')).toEqual({ created: false, schema: { from: SCHEMA_VERSION, to: SCHEMA_VERSION } });
      expect(await initQueue(client, 'other-project')).toEqual({ created: true, schema: { from: SCHEMA_VERSION, to: SCHEMA_VERSION } });
      const queues = await client.query('SELECT name FROM ralph_queues ORDER BY name');
      expect(queues.rows.map((r) => r.name)).toEqual(['default', 'other-project']);
    } finally {
      await client.end();
    }
    expect(await tables(url)).toEqual(['ralph_queues', 'ralph_results', 'ralph_schema', 'ralph_sessions', 'ralph_tasks']);
  });

  it('is migrated once when eight processes start at once', async () => {
    const url = await server().database();
    const clients = await Promise.all(Array.from({ length: 8 }, () => connectQueue(url)));
    try {
      const results = await Promise.all(clients.map((c) => migrate(c)));
      expect(results.filter((r) => r.from === 0)).toHaveLength(1);
      expect(results.filter((r) => r.from === SCHEMA_VERSION)).toHaveLength(7);
      const versions = await clients[0]!.query('SELECT version FROM ralph_schema');
      expect(versions.rows).toEqual([{ version: SCHEMA_VERSION }]);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });

  it('refuses a schema a newer Ralph wrote, and changes nothing', async () => {
    const url = await server().database();
    await withClient(url, async (c) => {
      await migrate(c);
      await c.query('UPDATE ralph_schema SET version = $1', [SCHEMA_VERSION + 1]);
    });
    const client = await connectQueue(url);
    try {
      const refused = await migrate(client).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(SchemaNewerError);
      expect((refused as Error).message).toBe(
        `the queue database was set up by a newer Ralph (schema version ${SCHEMA_VERSION + 1}; this one knows up to ${SCHEMA_VERSION}): upgrade Ralph on this machine. Nothing was changed.`,
      );
      expect((await client.query('SELECT version FROM ralph_schema')).rows).toEqual([{ version: SCHEMA_VERSION + 1 }]);
    } finally {
      await client.end();
    }
  });

  it('says in one line why a database cannot be used, never with the password', async () => {
    const url = new URL(server().url);
    const wrong = new URL(server().url);
    wrong.password = 'not-the-s3cret-pw';
    const refused = await connectQueue(wrong.toString()).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(QueueUnreachableError);
    const message = (refused as Error).message;
    expect(message).toMatch(
      /^cannot reach the queue at postgres:\/\/ralph_test@127\.0\.0\.1:\d+\/postgres: the server refused the credentials \(.+\); check the role and password in the URL$/,
    );
    expect(message).not.toContain('not-the-s3cret-pw');
    expect(message).not.toContain('\n');

    const closed = new URL(server().url);
    closed.port = '1'; // nothing listens on port 1
    const unreachable = await connectQueue(closed.toString()).catch((error: unknown) => error);
    expect((unreachable as Error).message).toBe(
      `cannot reach the queue at postgres://ralph_test@127.0.0.1:1/postgres: connection refused (is the server running, and are host and port right?)`,
    );
    expect((unreachable as Error).message).not.toContain(url.password);

    const missing = new URL(server().url);
    missing.pathname = '/no_such_database';
    const noDatabase = await connectQueue(missing.toString()).catch((error: unknown) => error);
    expect((noDatabase as Error).message).toMatch(
      /^cannot reach the queue at .*\/no_such_database: database "no_such_database" does not exist; create the database, or name one that exists$/,
    );
  });

  it('shows a URL without its password', () => {
    expect(describeQueueUrl('postgres://ralph:p%40ss@db.internal:5433/ralph?sslmode=require')).toBe('postgres://ralph@db.internal:5433/ralph?sslmode=require');
    expect(describeQueueUrl('not a url :: secret')).toBe('the --queue URL (it cannot be read as a URL)');
    expect(describeQueueUrl('postgres://ralph@db/ralph?password=hunter2&sslmode=verify-full&sslpassword=k3y')).toBe(
      'postgres://ralph@db/ralph?password=***&sslmode=verify-full&sslpassword=***',
    );
  });
});
