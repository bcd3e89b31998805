import type pg from 'pg';
import { QueueUnreachableError } from './connection.js';
import { isTransient, retryDelay } from './retry.js';
import { describeQueueUrl } from './url.js';

/** Faults the tests inject: the next COMMITs' answers lost, after the COMMIT was made or rolled back. */
export const TRANSACTION_FAULTS: { commits?: Array<'committed' | 'rolled back'> } = {};

/**
 * Runs `body` in a transaction on a pooled connection. A connection lost on the way (the server
 * restarted, the connection terminated) is retried with backoff for up to `reconnectMs`, the body
 * run again from the start. A COMMIT whose answer was lost is not run again blindly: the body notes
 * its transaction's id (`mark.xid`, from the write) and the server is asked, once back, whether that
 * transaction committed; if it did, its result stands (a report is not recorded, nor its cost
 * counted, twice).
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  options: { url: string; reconnectMs: number },
  body: (client: pg.PoolClient, mark: CommitMark) => Promise<T>,
  purpose: string,
  mode = '',
): Promise<T> {
  const started = Date.now();
  const limit = options.reconnectMs;
  const giveUp = (error: unknown): never => {
    throw new QueueUnreachableError(
      `lost the queue at ${describeQueueUrl(options.url)} during ${purpose} and could not reconnect within ${Math.round(limit / 1000)}s`,
      { cause: error },
    );
  };
  for (let attempt = 0; ; attempt++) {
    let client: pg.PoolClient | undefined;
    const mark: CommitMark = {};
    let result: T;
    try {
      client = await pool.connect();
      await client.query(mode ? `BEGIN ISOLATION LEVEL ${mode}` : 'BEGIN');
      result = await body(client, mark);
    } catch (error) {
      if (client) {
        const broken = isTransient(error);
        if (!broken) await client.query('ROLLBACK').catch(() => undefined);
        client.release(broken ? true : undefined);
      }
      if (!isTransient(error)) throw error;
      if (Date.now() - started > limit) giveUp(error);
      await sleep(retryDelay(attempt));
      continue;
    }
    try {
      // A test's fault: the COMMIT is made (or rolled back) but its answer is lost with the connection.
      const fault = TRANSACTION_FAULTS.commits?.shift();
      await client.query(fault === 'rolled back' ? 'ROLLBACK' : 'COMMIT');
      if (fault) throw Object.assign(new Error('Connection terminated unexpectedly'), { code: '57P01' });
      client.release();
      return result;
    } catch (error) {
      client.release(true);
      if (!isTransient(error)) throw error;
      if (mark.xid !== undefined && (await committed(pool, mark.xid, started, limit, giveUp))) return result;
      if (Date.now() - started > limit) giveUp(error);
      await sleep(retryDelay(attempt));
    }
  }
}

/** Whether transaction `xid` committed, asked until the server answers (a COMMIT's answer was lost). */
async function committed(pool: pg.Pool, xid: string, started: number, limit: number, giveUp: (error: unknown) => never): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      const { rows } = await pool.query<{ status: string | null }>('SELECT pg_xact_status($1::xid8) AS status', [xid]);
      const status = rows[0]?.status;
      if (status === 'committed') return true;
      if (status !== 'in progress') return false;
    } catch (error) {
      if (!isTransient(error)) throw error;
      if (Date.now() - started > limit) giveUp(error);
    }
    await sleep(retryDelay(attempt));
  }
}

/** The id of a transaction that wrote, noted before its COMMIT (see inTransaction). */
export interface CommitMark {
  xid?: string;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
