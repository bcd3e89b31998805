// A store that reads results.json only when it needs the findings (a worker's).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/file-store.js';
import type { Finding, Task } from '../../src/queue/types.js';
import { tempDir } from '../helpers/index.js';
import { stateFiles } from '../helpers/store.js';

const task = (id: string): Task => ({ id, type: 't', status: 'pending', attempts: 0 });
const finding = (id: string): Finding => ({
  task_id: id,
  worker_id: 1,
  finding: `found ${id}`,
  timestamp: '2026-12-07T00:00:00.000Z',
  duration_ms: 1,
  exit_code: 0,
  attempt: 1,
});

async function queueWithFindings(n: number): Promise<string> {
  const dir = join(tempDir(), '.ralph');
  const store = new FileStore(dir);
  store.ensure();
  for (let i = 0; i < n; i++)
    await store.transact((tx) => {
      tx.put(task(`t${i}`));
      tx.addFinding(finding(`t${i}`));
    });
  await store.compact();
  store.close();
  return dir;
}

describe('FileStore with lazyResults', () => {
  it('commits without reading results.json, reads it to compact, and writes the same files as a store that reads it at once', async () => {
    const dir = await queueWithFindings(3);
    const { results } = stateFiles(dir);
    // Damaged between its first and last lines: only a whole read can tell.
    const good = readFileSync(results, 'utf8');
    writeFileSync(results, good.replace('"found t1"', '"found t1'));
    const lazy = new FileStore(dir, { lazyResults: true, compactEveryMs: 1_000_000 });
    await lazy.transact((tx) => {
      tx.put({ ...tx.get('t0')!, status: 'claimed' });
      tx.addFinding(finding('x'));
    });
    await expect(lazy.compact()).rejects.toThrow(/results\.json is not a valid Ralph state file \(invalid JSON/);
    // Eagerly, the damage is seen at once.
    expect(() => new FileStore(dir).read()).toThrow(/results\.json is not a valid Ralph state file/);
    writeFileSync(results, good);
    await lazy.compact();
    lazy.close();
    const state = new FileStore(dir).read();
    expect(state.findings.map((f) => f.task_id)).toEqual(['t0', 't1', 't2', 'x']);
    expect(state.tasks.map((t) => t.status)).toEqual(['claimed', 'pending', 'pending']);
  });

  it('gives a transaction the findings of results.json and of the journal, in order, and forgets nothing after a reset', async () => {
    const dir = await queueWithFindings(2);
    const lazy = new FileStore(dir, { lazyResults: true, compactEveryMs: 1_000_000 });
    await lazy.transact((tx) => tx.addFinding(finding('j')));
    expect(await lazy.transact((tx) => tx.findings.map((f) => f.task_id))).toEqual(['t0', 't1', 'j']);
    await lazy.transact((tx) => {
      tx.reset();
      tx.put(task('fresh'));
      tx.addFinding(finding('fresh'));
    });
    expect(await lazy.transact((tx) => tx.findings.map((f) => f.task_id))).toEqual(['fresh']);
    lazy.close();
    expect(new FileStore(dir).read().findings.map((f) => f.task_id)).toEqual(['fresh']);
  });

  it('reads a results.json laid out by hand (no generation on its last line) at once, as before', async () => {
    const dir = await queueWithFindings(1);
    const { results } = stateFiles(dir);
    const parsed = JSON.parse(readFileSync(results, 'utf8'));
    writeFileSync(results, JSON.stringify(parsed));
    const lazy = new FileStore(dir, { lazyResults: true });
    expect(lazy.read().findings.map((f) => f.task_id)).toEqual(['t0']);
  });
});
