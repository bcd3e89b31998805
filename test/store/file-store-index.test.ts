// The pending/claimed index a FileStore keeps for `tx.withStatus`: after any mix of changes made by
// this store or by another one on the same files (journal lines, compactions, a reset, a reload),
// it lists exactly the tasks of that status, in queue order.
import { describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/file-store.js';
import { inQueueOrder } from '../../src/queue/claim.js';
import type { Task } from '../../src/queue/types.js';
import type { Transaction } from '../../src/store/store.js';
import { tempDir } from '../helpers/index.js';

const STATUSES: Task['status'][] = ['pending', 'claimed', 'completed', 'failed'];

// A small deterministic generator, so that a failure can be replayed.
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

async function indexAgrees(store: FileStore): Promise<void> {
  await store.transact((tx: Transaction) => {
    for (const status of ['pending', 'claimed'] as const) {
      expect(tx.withStatus(status).map((t) => t.id)).toEqual(tx.tasks.filter((t) => t.status === status).map((t) => t.id));
    }
    expect(tx.pendingInQueueOrder()).toBe(tx.withStatus('pending').every(inQueueOrder));
  });
}

describe('FileStore status index', () => {
  it('lists the pending and the claimed tasks in queue order through changes, compactions, resets and reloads', async () => {
    const dir = tempDir();
    // Two stores on one queue, as two workers: each sees the other's changes through the files.
    const a = new FileStore(dir, { compactEveryMs: 50 });
    const b = new FileStore(dir, { compactEveryMs: 1_000_000 });
    a.ensure();
    const next = random(7);
    for (let round = 0; round < 60; round++) {
      const store = next() < 0.5 ? a : b;
      const roll = next();
      if (roll < 0.03) {
        await store.transact((tx) => tx.reset());
      } else if (roll < 0.06) {
        await store.compact();
      } else if (roll < 0.08) {
        // A store that starts afresh (a new process) builds its index from the snapshots and journal.
        await indexAgrees(new FileStore(dir));
      } else {
        await store.transact((tx) => {
          for (let k = 0; k < 5; k++) {
            const id = `t${Math.floor(next() * 30)}`;
            const status = STATUSES[Math.floor(next() * STATUSES.length)]!;
            // Now and then a task out of plain queue order: a priority, or a backoff.
            const roll = next();
            const extra: Partial<Task> = roll < 0.1 ? { data: { priority: 'high' } } : roll < 0.2 ? { not_before: new Date().toISOString() } : {};
            tx.put({ id, type: 'test', status, attempts: 0, ...extra });
          }
        });
      }
      if (round % 3 === 0) await new Promise((r) => setTimeout(r, 20)); // lets a's compaction age come
      await indexAgrees(a);
      await indexAgrees(b);
    }
    const seen = await a.transact((tx) => tx.tasks.length);
    expect(seen).toBeGreaterThan(0);
  });

  it('lists nothing once the transaction has asked for a reset', async () => {
    const store = new FileStore(tempDir());
    store.ensure();
    await store.transact((tx) => tx.put({ id: 'a', type: 'test', status: 'pending', attempts: 0 }));
    await store.transact((tx) => {
      expect(tx.withStatus('pending').map((t) => t.id)).toEqual(['a']);
      tx.reset();
      expect(tx.withStatus('pending')).toEqual([]);
    });
  });

  it('lists a task this transaction has changed as it is now (its new status), and no task it added', async () => {
    const store = new FileStore(tempDir());
    store.ensure();
    await store.transact((tx) => {
      tx.put({ id: 'a', type: 'test', status: 'claimed', attempts: 1, claim_token: 'x' });
      tx.put({ id: 'b', type: 'test', status: 'pending', attempts: 0 });
    });
    await store.transact((tx) => {
      tx.put({ id: 'a', type: 'test', status: 'completed', attempts: 1 });
      tx.put({ id: 'c', type: 'test', status: 'pending', attempts: 0 });
      expect(tx.withStatus('claimed')).toEqual([expect.objectContaining({ id: 'a', status: 'completed' })]);
      expect(tx.withStatus('pending').map((t) => t.id)).toEqual(['b']);
      expect(tx.pendingInQueueOrder()).toBe(true);
      // Once it changes a pending task, it no longer vouches for the order.
      tx.put({ id: 'b', type: 'test', status: 'pending', attempts: 0, data: { priority: 'high' } });
      expect(tx.pendingInQueueOrder()).toBe(false);
    });
    await store.transact((tx) => {
      expect(tx.withStatus('claimed')).toEqual([]);
      expect(tx.withStatus('pending').map((t) => t.id)).toEqual(['b', 'c']);
    });
  });
});
