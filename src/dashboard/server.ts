import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { Store } from '../store/store.js';
import { dashboardApp } from './app.js';
import { LiveHub } from './hub.js';
import { pageFiles } from './page.js';
import { newDashboardToken } from './token.js';

export interface DashboardOptions {
  host: string;
  /** 0: any free port. */
  port: number;
  /** Default: a new random one. */
  token?: string;
  /** Where the loops' `sync/state.json` is looked for (default: this process's directory). */
  cwd?: string;
  /** The loops' log directory in `cwd` (their `--logdir`; default `logs`). */
  logdir?: string;
  onError?: (message: string) => void;
}

export interface Dashboard {
  /** The page's address with the token: what to open. */
  readonly url: string;
  readonly token: string;
  close(): Promise<void>;
}

/** Serves the dashboard of `store` (none: only the loops of the directory) until closed. */
export async function startDashboard(store: Store | undefined, options: DashboardOptions): Promise<Dashboard> {
  const token = options.token ?? newDashboardToken();
  const cwd = options.cwd ?? process.cwd();
  const hub = new LiveHub(store, cwd, options.onError ? { onError: options.onError } : {});
  const app = dashboardApp(store, hub, token, pageFiles(), { cwd, logdir: options.logdir ?? 'logs' });
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const started = serve({ fetch: app.fetch, hostname: options.host, port: options.port }, () => resolve(started));
    started.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}/?token=${encodeURIComponent(token)}`,
    token,
    async close() {
      await hub.close();
      // Open event streams would hold the server open: they are ended with it.
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
