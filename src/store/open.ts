import { FileStore } from './file-store.js';
import type { FileStoreOptions } from './file-store.js';
import type { Store } from './store.js';
import { loadPg } from './pg-driver.js';
import { tmpdir } from 'node:os';
import type { RunInfo } from '../queue/types.js';
import { describeQueue, isPostgresUrl } from './pg/url.js';
import { RalphError } from '../errors.js';

export { describeQueue };

/**
 * The one place a queue is opened: the state location (a `.ralph/` directory today) gives the store.
 * A second backend (a database URL) is chosen here alone; until then the file store is the only one,
 * and callers that need its files (logs, prompts, the lock) get it as such.
 */
export function openStore(location: string, options: FileStoreOptions = {}): FileStore {
  return new FileStore(location, options);
}

/** A queue in a database: its URL (with the credentials) and its name there. */
export interface QueueLocation {
  url: string;
  name: string;
}

/**
 * The queue of a command: in the database `queue` names, when given (its local files, logs and
 * prompts, stay in `dir`), else the file store in `dir`. The database's driver is loaded only then.
 */
export async function openQueue(dir: string, queue: QueueLocation | undefined, options: FileStoreOptions & { create?: boolean } = {}): Promise<Store> {
  if (!queue) return openStore(dir, options);
  const { PgStore } = await loadPg(() => import('./pg/pg-store.js'));
  return PgStore.open(queue.url, queue.name, dir, options.create ? { create: true } : {});
}

/**
 * The last run recorded in a queue in a database, for the settings of a command that joins it (a
 * worker started by hand) or resumes it; nothing when the database has no such queue yet.
 */
export async function readLastRun(queue: QueueLocation): Promise<{ run: RunInfo | undefined; where: string } | undefined> {
  if (!isPostgresUrl(queue.url)) return undefined;
  try {
    const { PgStore } = await loadPg(() => import('./pg/pg-store.js'));
    const store = await PgStore.open(queue.url, queue.name, tmpdir());
    try {
      return store.exists() ? { run: (await store.overview()).meta.run, where: describeQueue(queue) } : undefined;
    } finally {
      await store.close();
    }
  } catch (error) {
    // The database cannot be reached, refuses the credentials, or has a newer schema: said now, in
    // the one line the command would say it in once it opens the queue (after waiting again).
    if (error instanceof RalphError) throw error;
    return undefined;
  }
}
