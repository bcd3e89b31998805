import type pg from 'pg';
import type { MergeLock } from '../store.js';
import { QueueUnreachableError } from './connection.js';
import { isTransient, retryDelay } from './retry.js';
import { describeQueueUrl } from './url.js';

/**
 * The merge queue's lock for workers on every machine: a session advisory lock of the queue, held on
 * a connection of its own for the length of a merge. A connection that is lost lets go of it (the
 * server ends the session), so a machine that dies mid-merge never holds the others up; a merge
 * that goes on without it is still safe, since the base moves only by a push that is never forced.
 */
export function advisoryMergeLock(pool: pg.Pool, queue: string, options: { url: string; reconnectMs: number }): MergeLock {
  const key = `ralph_merge:${queue}`;
  return {
    async acquire() {
      const started = Date.now();
      for (let attempt = 0; ; attempt++) {
        let client: pg.PoolClient | undefined;
        try {
          client = await pool.connect();
          await client.query('SELECT pg_advisory_lock(hashtext($1), 0)', [key]);
        } catch (error) {
          client?.release(true);
          if (!isTransient(error)) throw error;
          if (Date.now() - started > options.reconnectMs) {
            throw new QueueUnreachableError(`lost the queue at ${describeQueueUrl(options.url)} while waiting for the merge lock`, { cause: error });
          }
          await new Promise((resolve) => setTimeout(resolve, retryDelay(attempt)));
          continue;
        }
        const held = client;
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
    },
  };
}
