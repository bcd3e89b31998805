// What a transaction journals about a task already queued: only the fields that changed.
import { appendFileSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/file-store.js';
import type { Task } from '../../src/queue/types.js';
import { tempDir } from '../helpers/index.js';
import { stateFiles } from '../helpers/store.js';

const MiB = 1 << 20;

describe('FileStore journal lines', () => {
  it('journals a claim and a report of a task with 1 MiB of data in a few hundred bytes each, and reads them back whole', async () => {
    const dir = join(tempDir(), '.ralph');
    const store = new FileStore(dir, { compactEveryMs: 1_000_000 });
    store.ensure();
    const data = { blob: 'x'.repeat(MiB), n: 1 };
    await store.transact((tx) => tx.put({ id: 'big', type: 't', data, status: 'pending', attempts: 0 }));
    await store.compact();
    const { journal } = stateFiles(dir);
    const before = statSync(journal).size;
    await store.transact((tx) =>
      tx.put({ ...tx.get('big')!, status: 'claimed', attempts: 1, worker_id: 1, claim_token: 'tok', lease_expires_at: tx.now.toISOString() }),
    );
    const claimed = statSync(journal).size;
    await store.transact((tx) => {
      const { claim_token: _t, lease_expires_at: _l, ...rest } = tx.get('big')!;
      tx.put({ ...rest, status: 'completed', finding: 'done' } as Task);
    });
    const reported = statSync(journal).size;
    expect(claimed - before).toBeLessThan(300);
    expect(reported - claimed).toBeLessThan(300);
    expect(readFileSync(journal, 'utf8')).not.toContain('xxxx');
    // Another process reads the snapshot plus the changes: the task whole, its data intact.
    const seen = new FileStore(dir).read().tasks[0]!;
    expect(seen).toMatchObject({ id: 'big', status: 'completed', attempts: 1, worker_id: 1, finding: 'done' });
    expect(seen.claim_token).toBeUndefined();
    expect((seen.data as typeof data).blob.length).toBe(MiB);
    await store.compact();
    expect(new FileStore(dir).read().tasks[0]).toEqual(seen);
    store.close();
  });

  it('refuses a journal that changes a task the queue does not hold, naming the file', async () => {
    const dir = join(tempDir(), '.ralph');
    const store = new FileStore(dir);
    store.ensure();
    await store.compact();
    store.close();
    appendFileSync(stateFiles(dir).journal, `${JSON.stringify({ changes: [{ id: 'ghost', set: { status: 'completed' } }] })}\n`);
    expect(() => new FileStore(dir).read()).toThrow(
      /queue\.ndjson is not a valid Ralph state file \(an entry changes task "ghost", which is not in the queue\)/,
    );
  });
});
