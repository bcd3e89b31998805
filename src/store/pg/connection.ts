import pg from 'pg';
import { RalphError, errorMessage } from '../../errors.js';
import { describeQueueUrl } from './url.js';

export { describeQueueUrl } from './url.js';

/**
 * A queue on PostgreSQL, named by its URL (`postgres://role:password@host:port/database`). Nothing
 * here prints the URL as given: the password is left out of every message (`describeQueueUrl`).
 */

/** The queue's database cannot be used: unreachable, refused the credentials, or not PostgreSQL. Nothing was changed. */
export class QueueUnreachableError extends RalphError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('RALPH_QUEUE_UNREACHABLE', message, options);
  }
}

/** How long a connection attempt may take before it counts as unreachable. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * A client connected to the queue's database; a clear one-line QueueUnreachableError (exit 2) when it
 * cannot be, saying why in words and naming the URL without its password.
 */
export async function connectQueue(url: string): Promise<pg.Client> {
  const shown = describeQueueUrl(url);
  let client: pg.Client;
  try {
    client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, application_name: 'ralph' });
  } catch (error) {
    throw new QueueUnreachableError(`cannot use ${shown}: ${scrub(errorText(error), url)}`, { cause: error });
  }
  // A connection the server ends later (a restart, pg_terminate_backend) is reported on the query
  // that meets it; without a listener the event would end the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw unreachable(url, error);
  }
  return client;
}

/** A first connection to the queue's database failed: why, in one line, without the password. */
export function unreachable(url: string, error: unknown): QueueUnreachableError {
  return new QueueUnreachableError(`cannot reach the queue at ${describeQueueUrl(url)}: ${why(error, url)}`, { cause: error });
}

/** What went wrong connecting, in words: the cause and what to do. */
function why(error: unknown, url: string): string {
  const code = (error as { code?: string } | null)?.code;
  const text = scrub(errorText(error), url);
  if (code === 'ECONNREFUSED') return 'connection refused (is the server running, and are host and port right?)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `the host is not known (${text})`;
  if (code === '28P01' || code === '28000') return `the server refused the credentials (${text}); check the role and password in the URL`;
  if (code === '3D000') return `${text}; create the database, or name one that exists`;
  if (/timeout/i.test(text)) return `no answer within ${CONNECT_TIMEOUT_MS / 1000}s (${text})`;
  return text;
}

function errorText(error: unknown): string {
  return errorMessage(error).split('\n')[0]?.trim() || 'unknown error';
}

/** The text with the URL's password taken out, wherever it appears. */
function scrub(text: string, url: string): string {
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    /* no password to take out */
  }
  return password ? text.split(password).join('***') : text;
}
