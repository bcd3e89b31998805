import type pg from 'pg';

export interface EmbeddedPostgres {
  /** The maintenance database's URL, with the credentials. */
  url: string;
  restart(): Promise<void>;
  stop(): Promise<void>;
}
export function startEmbeddedPostgres(options: { user: string; password: string }): Promise<EmbeddedPostgres>;
export function withClient<T>(url: string, body: (client: pg.Client) => Promise<T>): Promise<T>;
