// One FileStore used by several callers of the same process at once (the orchestrator's main loop
// and its coordinator): their transactions take turns, and none loses another's change.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/file-store.js';
import type { Task } from '../../src/queue/types.js';
import type { Transaction } from '../../src/store/store.js';
import { tempDir } from '../helpers/index.js';

describe('FileStore, several transactions of one process', () => {
  it('runs them one at a time and keeps every change', async () => {
    const dir = tempDir();
    const store = new FileStore(dir);
    store.ensure();
    await store.transact((tx) => tx.put({ id: 'counter', type: 'n', status: 'pending', attempts: 0, data: { n: 0 } } as never));
    let inside = 0;
    let overlapped = false;
    await Promise.all(
      Array.from({ length: 50 }, () =>
        store.transact((tx) => {
          inside += 1;
          if (inside > 1) overlapped = true;
          const task = tx.get('counter')!;
          tx.put({ ...task, data: { n: (task.data as { n: number }).n + 1 } });
          inside -= 1;
        }),
      ),
    );
    expect(overlapped).toBe(false);
    expect(new FileStore(dir).read().tasks[0]!.data).toEqual({ n: 50 });
    // And the lock is free afterwards, with the owner record of nobody left behind.
    expect(store.lock.inspect().state).toBe('free');
  });

  it('transactEach: each body sees the changes of those before it; one that throws changes nothing; the others are committed', async () => {
    const dir = tempDir();
    const store = new FileStore(dir, { compactEveryMs: 1_000_000 });
    store.ensure();
    await store.transact((tx) => {
      for (const id of ['a', 'b', 'c']) tx.put({ id, type: 't', status: 'pending', attempts: 0 } as Task);
    });
    const claim = (tx: Transaction) => {
      const next = tx.withStatus('pending')[0];
      if (!next) return 'none';
      tx.put({ ...next, status: 'claimed' });
      return next.id;
    };
    const fails = (tx: Transaction): string => {
      tx.put({ ...tx.get('c')!, status: 'failed' });
      throw new Error('no');
    };
    const results = await store.transactEach([claim, fails, claim, claim, claim]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual(['a', 'no', 'b', 'c', 'none']);
    expect(new FileStore(dir).read().tasks.map((t) => t.status)).toEqual(['claimed', 'claimed', 'claimed']);
    // A journal line per transaction that changed something: the header, the three tasks, three claims.
    const lines = readFileSync(join(dir, 'journal', 'queue.ndjson'), 'utf8')
      .trim()
      .split('\n');
    expect(lines).toHaveLength(5);
  });
});
