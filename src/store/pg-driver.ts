/**
 * Loads the PostgreSQL side of the store. node-postgres, when it is loaded, asks whether it runs on
 * Cloudflare Workers: with no `navigator` (Node 20 has none) it builds a `Response`, which loads all
 * of Node's fetch implementation (undici): some 20 ms of CPU and 5 MiB in every worker, for
 * nothing. A `navigator` that says Node is there while it loads (as Node 21 and later have one).
 */
export async function loadPg<T>(load: () => Promise<T>): Promise<T> {
  const global = globalThis as { navigator?: unknown };
  if (global.navigator !== undefined) return load();
  global.navigator = { userAgent: `Node.js/${process.versions.node}` };
  try {
    return await load();
  } finally {
    delete global.navigator;
  }
}
