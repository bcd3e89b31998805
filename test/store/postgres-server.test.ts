// The PostgreSQL server the suite starts for the queue's second backend (issue 16): it runs on a fresh
// machine with nothing installed, gives each test a database of its own, keeps the data across a
// restart, and lets a test cut a connection from the server's side, as the fault tests will.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { usePostgres, withClient } from '../helpers/postgres.js';

describe('the test PostgreSQL server', () => {
  const server = usePostgres();

  it('gives each test a database of its own', async () => {
    const [a, b] = [await server().database(), await server().database()];
    expect(a).not.toBe(b);
    await withClient(a, (c) => c.query('CREATE TABLE marks (n int)'));
    const inB = await withClient(b, (c) => c.query("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'marks'"));
    expect(inB.rows[0].n).toBe(0);
    const version = await withClient(a, (c) => c.query('SHOW server_version_num'));
    expect(Number(version.rows[0].server_version_num)).toBeGreaterThanOrEqual(160000);
  });

  it.skipIf(process.env.RALPH_TEST_PG_URL !== undefined)(
    'keeps the data across a restart, and a connection open during it fails',
    async () => {
      const url = await server().database();
      await withClient(url, async (c) => {
        await c.query('CREATE TABLE kept (n int)');
        await c.query('INSERT INTO kept VALUES (42)');
      });
      const open = new pg.Client({ connectionString: url });
      await open.connect();
      const broken = new Promise<Error>((resolve) => open.on('error', resolve));
      await server().restart();
      expect((await broken).message).toMatch(/terminat|connection/i);
      const after = await withClient(url, (c) => c.query('SELECT n FROM kept'));
      expect(after.rows).toEqual([{ n: 42 }]);
      await open.end().catch(() => undefined);
    },
    60_000,
  );

  it('lets a test terminate a connection from the server side (pg_terminate_backend)', async () => {
    const url = await server().database();
    const victim = new pg.Client({ connectionString: url });
    await victim.connect();
    const pid = (await victim.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    const broken = new Promise<Error>((resolve) => victim.on('error', resolve));
    const killed = await withClient(url, (c) => c.query('SELECT pg_terminate_backend($1) AS ok', [pid]));
    expect(killed.rows[0].ok).toBe(true);
    expect((await broken).message).toMatch(/terminat/i);
    await victim.end().catch(() => undefined);
  });
});
