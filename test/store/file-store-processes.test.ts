// FileStore shared by real processes: concurrent transactions, compaction, and writers SIGKILLed mid-commit.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cleanupTempFiles } from '../../src/store/atomic-write.js';
import { FileStore } from '../../src/store/file-store.js';
import type { QueueState } from '../../src/queue/types.js';
import { tempDir, waitFor } from '../helpers/index.js';
import { DIST, assertBuilt, kill9, startFixture, stateFiles } from '../helpers/store.js';
import type { Running } from '../helpers/store.js';

beforeAll(assertBuilt);

function appender(dir: string, name: string, count: number, compactEveryMs: number, goFile?: string): Running {
  return startFixture('store-appender.mjs', [dir, DIST, name, String(count), String(compactEveryMs), ...(goFile ? [goFile] : [])]);
}

/** Every task once, each with exactly one finding, and nothing else. */
function expectExactly(state: QueueState, ids: string[]): void {
  const taskIds = state.tasks.map((t) => t.id);
  expect(new Set(taskIds).size).toBe(taskIds.length);
  expect([...taskIds].sort()).toEqual([...ids].sort());
  expect(state.findings.map((f) => f.task_id).sort()).toEqual([...ids].sort());
  expect(state.issues).toEqual([]);
}

function expectCompacted(dir: string, ids: string[]): void {
  const files = stateFiles(dir);
  const queueText = readFileSync(files.queue, 'utf8');
  const resultsText = readFileSync(files.results, 'utf8');
  const queue = JSON.parse(queueText);
  const results = JSON.parse(resultsText);
  expect(Object.keys(queue).slice(0, 4)).toEqual(['tasks', 'active', 'worker_count', 'completed']);
  expect(Object.keys(results).slice(0, 3)).toEqual(['findings', 'issues', 'timestamp']);
  expect(queue.completed).toBe(0);
  expect(typeof queue.worker_count).toBe('number');
  expect(Number.isNaN(Date.parse(results.timestamp))).toBe(false);
  expect(queue.tasks.map((t: { id: string }) => t.id).sort()).toEqual([...ids].sort());
  expect(results.findings.map((f: { task_id: string }) => f.task_id).sort()).toEqual([...ids].sort());
  expect(results.issues).toEqual([]);
  // The journal starts over, at the generation both snapshots carry.
  const journal = readFileSync(files.journal, 'utf8');
  expect(journal.endsWith('\n')).toBe(true);
  const lines = journal.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(JSON.parse(lines[0]!)).toMatchObject({ journal: 2, generation: queue.generation });
  expect(results.generation).toBe(queue.generation);
  for (const where of new Set([dir, dirname(files.journal)])) {
    expect(readdirSync(where).filter((n) => n.includes('.tmp-') || n === '.lock' || n === '.lock.takeover')).toEqual([]);
  }
}

describe('FileStore shared by several processes', () => {
  it('loses no transaction when four processes each append 100 tasks while compacting at different rates', async () => {
    const dir = join(tempDir(), '.ralph');
    new FileStore(dir).ensure();
    const go = join(dir, '..', 'go');
    // Two compact on every commit, one now and then, one practically never.
    const rates = [0, 0, 50, 1_000_000];
    const running = rates.map((rate, n) => appender(dir, `p${n}`, 100, rate, go));
    await new Promise((r) => setTimeout(r, 300));
    writeFileSync(go, '');
    const results = await Promise.all(running.map((r) => r.done));
    const ids: string[] = [];
    for (const [n, r] of results.entries()) {
      expect(r.stderr).toBe('');
      expect(r.stdout.trim().split('\n').at(-1)).toBe(`summary ${JSON.stringify({ name: `p${n}`, committed: 100, problems: [] })}`);
      expect(r.code).toBe(0);
      for (let i = 0; i < 100; i++) ids.push(`p${n}-${i}`);
    }
    expectExactly(new FileStore(dir).read(), ids);

    const store = new FileStore(dir);
    await store.compact();
    store.close(); // its lock's spare file goes with it
    expectCompacted(dir, ids);
    expectExactly(new FileStore(dir).read(), ids);
    // Compacting again changes nothing that matters.
    await store.compact();
    store.close();
    expectCompacted(dir, ids);
  });

  it('keeps every acknowledged transaction and applies none twice when writers are SIGKILLed mid-commit', async () => {
    const dir = join(tempDir(), '.ralph');
    new FileStore(dir).ensure();
    const acknowledged: string[] = [];
    for (let round = 0; round < 6; round++) {
      // Compacting on every commit (three fsynced renames) makes a kill between snapshot writes likely;
      // a second writer that never compacts keeps the journal and the lock contended.
      const writers = [appender(dir, `r${round}a`, 0, 0), appender(dir, `r${round}b`, 0, 1_000_000)];
      // Killed once each has committed a few (however loaded the machine), at a random moment after.
      await waitFor('a few commits by each writer', () => writers.every((w) => w.lines.length >= 4));
      await new Promise((r) => setTimeout(r, Math.random() * 150));
      for (const w of writers) {
        const result = await kill9(w);
        expect(result.signal).toBe('SIGKILL');
        expect(result.stderr).toBe('');
        expect(result.stdout).not.toContain('summary');
        acknowledged.push(...result.stdout.split('\n').filter(Boolean));
      }
      // A dead writer may leave its lock behind: the next transaction takes it over. (The 3 s lease
      // bounds the wait for a lock file a writer left empty; that case has its own test.)
      const store = new FileStore(dir, { lock: { timeoutMs: 10_000, leaseMs: 3_000 } });
      const state = store.read();
      const ids = state.tasks.map((t) => t.id);
      for (const id of acknowledged) expect(ids).toContain(id);
      // At most the one transaction in flight per writer may have made it without being acknowledged.
      expect(ids.length - acknowledged.length).toBeGreaterThanOrEqual(0);
      expect(ids.length - acknowledged.length).toBeLessThanOrEqual(2);
      expectExactly(state, ids);
      acknowledged.splice(0, acknowledged.length, ...ids);
      await store.transact((tx) => {
        tx.put({ id: `check-${round}`, type: 'check', status: 'pending', attempts: 0 });
        tx.addFinding({ task_id: `check-${round}`, worker_id: 0, finding: 'ok', timestamp: tx.now.toISOString(), duration_ms: 0, exit_code: 0, attempt: 1 });
      });
      acknowledged.push(`check-${round}`);
      store.close();
      expectExactly(new FileStore(dir).read(), acknowledged);
    }
    expect(acknowledged.length).toBeGreaterThan(40);
    // Killed writers leave temp files; they are the dead processes' and cleanup takes them all.
    cleanupTempFiles(dir);
    cleanupTempFiles(dirname(stateFiles(dir).journal));
    const last = new FileStore(dir);
    await last.compact();
    last.close();
    expectCompacted(dir, acknowledged);
  });

  it('never shows the tasks of a reset with the findings from before it when the resetting process is SIGKILLed', async () => {
    // The fixture alternates a reset transaction (task r<k> + its finding) with an ordinary one
    // (n<k> + its finding), so at any instant the committed state is {r<k>} or {r<k>, n<k>}, the same
    // ids in tasks and in findings. Kill it at random moments, many times, and look at what is left.
    const dir = join(tempDir(), '.ralph');
    new FileStore(dir).ensure();
    const torn: string[] = [];
    let lastRound = -1;
    for (let kill = 0; kill < 30 && torn.length === 0; kill++) {
      const resetter = startFixture('store-resetter.mjs', [dir, DIST]);
      await waitFor('a committed round', () => resetter.lines.length > 0 || resetter.child.exitCode !== null, 15_000, 2);
      await new Promise((r) => setTimeout(r, Math.random() * 60));
      const result = await kill9(resetter);
      expect(result.stderr).toBe('');
      lastRound = Number(resetter.lines.at(-1));
      const state = new FileStore(dir).read();
      const tasks = state.tasks.map((t) => t.id).join(',');
      const findings = state.findings.map((f) => f.task_id).join(',');
      if (tasks !== findings) torn.push(`after kill ${kill}: tasks [${tasks}] but findings [${findings}]`);
      expect(tasks).toMatch(/^r\d+(,n\d+)?$/);
    }
    expect(lastRound).toBeGreaterThanOrEqual(0);
    expect(torn).toEqual([]);
  });
});
