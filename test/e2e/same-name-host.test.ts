// a lock holder on another machine that has the same host name (cloned VMs, a default name
// such as "ubuntu" or "localhost", sharing .ralph/ over NFS) is taken for "this machine before it
// restarted" (its boot id differs) and its lock is taken at once, while it is alive and refreshing it
// well within its lease.
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/file-store.js';
import { startRalph, tempDir, waitFor, writeTasks } from '../helpers/index.js';
import { DIST, FIXTURES, assertBuilt } from '../helpers/store.js';

beforeAll(assertBuilt);

const root =
  process.getuid?.() === 0 &&
  (() => {
    try {
      execFileSync('unshare', ['--mount', 'true']);
      return true;
    } catch {
      return false;
    }
  })();

describe.skipIf(!root)('a live holder on another machine with the same host name', () => {
  it('keeps its lock while it refreshes it within its lease', async () => {
    const base = tempDir();
    const dir = join(base, '.ralph');
    const store = new FileStore(dir);
    store.ensure();
    await store.compact();
    store.close();
    const boot = join(base, 'boot_id');
    writeFileSync(boot, 'another-machines-boot-id\n');
    // The holder: another boot id (another machine), the same host name; lease 30 s, refreshed every 200 ms.
    const command = `mount --bind ${boot} /proc/sys/kernel/random/boot_id && exec ${process.execPath} ${join(FIXTURES, 'lock-holder.mjs')} ${join(dir, '.lock')} ${DIST} 30000 200`;
    const holder = spawn('unshare', ['--mount', 'sh', '-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    holder.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const closed = new Promise((r) => holder.on('close', r));
    try {
      await waitFor('the holder took the lock', () => out.includes('\n') || undefined, 15_000, 10);
      writeTasks(base, [{ id: 'a', type: 't' }]);
      // Within the holder's lease this can only wait for the lock (up to its 120 s timeout).
      const add = startRalph(['queue', 'add', 'tasks.json'], { cwd: base });
      const ended = await Promise.race([add.done, new Promise<'still waiting'>((r) => setTimeout(() => r('still waiting'), 3000))]);
      if (ended === 'still waiting') {
        add.child.kill('SIGTERM');
        await add.done;
      }
      expect({ ended, holder: out.trim() }).toEqual({ ended: 'still waiting', holder: out.trim() });
    } finally {
      holder.kill('SIGTERM');
      await closed;
    }
  });
});
