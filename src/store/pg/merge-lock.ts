import type pg from 'pg';
import type { MergeLock } from '../store.js';
import { QueueUnreachableError } from './connection.js';
import { isTransient, retryDelay } from './retry.js';
import { describeQueueUrl } from './url.js';

/** The longest pause between two tries of a merge lock held by another machine. */
const POLL_MAX_MS = 250;

/**
 * The merge queue's lock for workers on every machine: a session advisory lock of the queue, held on
 * a connection of its own for the length of a merge. A connection that is lost lets go of it (the
 * server ends the session), so a machine that dies mid-merge never holds the others up; a merge
 * that goes on without it is still safe, since the base moves only by a push that is never forced.
 * It is tried (`pg_try_advisory_lock`) rather than waited on in the server: a waiter holds no
 * connection, and no `lock_timeout` or `statement_timeout` of the database cuts the wait short.
 */
export function advisoryMergeLock(pool: pg.Pool, queue: string, options: { url: string; reconnectMs: number }): MergeLock {
  const key = `ralph_merge:${queue}`;
  return {
    async acquire() {
      let lostSince: number | undefined;
      for (let attempt = 0, busy = 0; ; ) {
        let client: pg.PoolClient | undefined;
        try {
          client = await pool.connect();
          const { rows } = await client.query<{ held: boolean }>('SELECT pg_try_advisory_lock(hashtext($1), 0) AS held', [key]);
          lostSince = undefined;
          if (rows[0]?.held) return release(client, key);
          client.release();
        } catch (error) {
          client?.release(true);
          if (!isTransient(error)) throw error;
          lostSince ??= Date.now();
          if (Date.now() - lostSince > options.reconnectMs) {
            throw new QueueUnreachableError(`lost the queue at ${describeQueueUrl(options.url)} while waiting for the merge lock`, { cause: error });
          }
          await new Promise((resolve) => setTimeout(resolve, retryDelay(attempt++)));
          continue;
        }
        // Another machine merges: try again shortly (10 ms, doubling to POLL_MAX_MS).
        await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MAX_MS, 10 * 2 ** Math.min(busy++, 5))));
      }
    },
  };
}

function release(held: pg.PoolClient, key: string): { release(): Promise<void> } {
  return {
    async release() {
      try {
        await held.query('SELECT pg_advisory_unlock(hashtext($1), 0)', [key]);
        held.release();
      } catch {
        // The connection is gone, and the lock with it.
        held.release(true);
      }
    },
  };
}
