// Loading the PostgreSQL store costs no more than the driver itself: node-postgres's probe for
// Cloudflare Workers would otherwise load Node's whole fetch implementation (undici) in every
// worker. A real child process loads the built store, as a worker does, and says what it loaded.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/index.js';

const OPEN = fileURLToPath(new URL('../../dist/store/open.js', import.meta.url));

describe('opening a queue in PostgreSQL', () => {
  it("loads the driver without Node's fetch (undici), and leaves no navigator behind", () => {
    const script = `
      const { openQueue } = await import(${JSON.stringify(OPEN)});
      // Nothing listens on port 1: the driver is loaded, the connection refused.
      await openQueue(${JSON.stringify(tempDir())}, { url: 'postgres://ralph@127.0.0.1:1/ralph', name: 'default' }).catch(() => undefined);
      const pgLoaded = Object.keys(await import('node:module').then((m) => m.createRequire(import.meta.url).cache)).some((p) => p.includes('/node_modules/pg/'));
      console.log(JSON.stringify({ pgLoaded, undici: process.moduleLoadList.some((m) => m.includes('undici')), navigator: typeof globalThis.navigator }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ pgLoaded: true, undici: false, navigator: 'undefined' });
  });
});
