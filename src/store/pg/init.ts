import { connectQueue } from './connection.js';
import { initQueue } from './schema.js';
import { describeQueue } from './url.js';

/** `ralph queue init`: the schema made or brought up to date, and the queue made where missing. */
export async function initDatabaseQueue(location: { url: string; name: string }): Promise<{ queue: string; created: boolean; schema: number }> {
  const client = await connectQueue(location.url);
  try {
    const made = await initQueue(client, location.name);
    return { queue: describeQueue(location), created: made.created, schema: made.schema.to };
  } finally {
    await client.end().catch(() => undefined);
  }
}
