import pg from 'pg';
import { Wakeup } from '../watch.js';
import type { QueueWatch } from '../watch.js';

/** The channel every queue of a database notifies on; the payload is the queue's name. */
export const CHANNEL = 'ralph_queue';

/**
 * Wakes an idle worker or run when another machine changes the queue: LISTEN on a connection of its
 * own, opened when first armed. Without it (not yet connected, or the server gone), `wait` times out
 * and the caller polls, as with the file store's watch.
 */
export class PgWatch implements QueueWatch {
  private client: pg.Client | undefined;
  private connecting = false;
  private armed = false;
  private readonly wakeup = new Wakeup();

  constructor(
    private readonly url: string,
    private readonly queue: string,
  ) {}

  get watching(): boolean {
    return this.armed;
  }

  arm(): boolean {
    if (this.armed) return false;
    this.armed = true;
    if (!this.client && !this.connecting) void this.listen();
    return true;
  }

  clear(): void {
    this.wakeup.clear();
  }

  wait(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.wakeup.wait(timeoutMs, signal);
  }

  /** Stops waking (the connection stays for the next arm, until `end`). */
  close(): void {
    this.armed = false;
  }

  /** Closes the connection. */
  end(): void {
    this.armed = false;
    const client = this.client;
    this.client = undefined;
    void client?.end().catch(() => undefined);
  }

  private async listen(): Promise<void> {
    this.connecting = true;
    const client = new pg.Client({ connectionString: this.url, application_name: 'ralph watch', connectionTimeoutMillis: 10_000 });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    client.on('notification', (message) => {
      if (message.payload === this.queue) this.signal();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      this.client = client;
      // Whatever changed while connecting went unheard: look once more.
      this.signal();
    } catch {
      await client.end().catch(() => undefined);
    } finally {
      this.connecting = false;
    }
  }

  /** The server ended the connection: polling until the next arm connects again. */
  private lost(client: pg.Client): void {
    if (this.client === client) this.client = undefined;
  }

  private signal(): void {
    if (this.armed) this.wakeup.fire();
  }
}
