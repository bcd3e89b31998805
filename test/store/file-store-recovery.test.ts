// FileStore recovery from what crashes leave: a torn journal tail, and a compaction cut off between
// its snapshot writes (hand-written generations), which must lose nothing and apply nothing twice.
import { appendFileSync, existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/file-store.js';
import type { Finding, Issue, QueueState, Task } from '../../src/queue/types.js';
import { tempDir } from '../helpers/index.js';
import { stateFiles, writeState } from '../helpers/store.js';

const T = '2025-01-01T00:00:00.000Z';
const task = (id: string, status: Task['status'] = 'pending'): Task => ({ id, type: 'test', status, attempts: status === 'pending' ? 0 : 1 });
const finding = (id: string): Finding => ({ task_id: id, worker_id: 1, finding: `found in ${id}`, timestamp: T, duration_ms: 5, exit_code: 0, attempt: 1 });
const issue = (id: string): Issue => ({
  task_id: id,
  worker_id: 2,
  error: 'boom',
  reason: 'exit',
  timestamp: T,
  attempt: 1,
  exit_code: 1,
  signal: null,
  duration_ms: 5,
  outcome: 'requeued',
});

// `folded`: the journal a compaction folded into the snapshot, as the store writes it (see generations.ts).
type Folded = { generation: number; created_at: string; end: number };
const foldOf = (journal: string): Folded => ({ generation: JSON.parse(journal.split('\n')[0]!).generation, created_at: T, end: Buffer.byteLength(journal) });
const queueText = (tasks: Task[], generation: number, workerCount: number, folded?: Folded) =>
  `${JSON.stringify({ tasks, active: true, worker_count: workerCount, completed: tasks.filter((t) => t.status === 'completed').length, generation, ...(folded ? { folded } : {}), updated_at: T }, null, 2)}\n`;
const resultsText = (findings: Finding[], issues: Issue[], generation: number, folded?: Folded) =>
  `${JSON.stringify({ findings, issues, timestamp: T, generation, ...(folded ? { folded } : {}) }, null, 2)}\n`;
const journalText = (generation: number, entries: object[]) =>
  [JSON.stringify({ journal: 1, generation, created_at: T }), ...entries.map((e) => JSON.stringify(e))].map((l) => `${l}\n`).join('');

function files(dir: string): { queue: string; results: string; journal: string } {
  const paths = stateFiles(dir);
  return { queue: readFileSync(paths.queue, 'utf8'), results: readFileSync(paths.results, 'utf8'), journal: readFileSync(paths.journal, 'utf8') };
}

function summary(state: QueueState) {
  return { tasks: state.tasks, findings: state.findings, issues: state.issues, active: state.meta.active, worker_count: state.meta.worker_count };
}

const addC = (tx: Parameters<Parameters<FileStore['transact']>[0]>[0]) => {
  tx.put(task('c'));
  tx.addFinding(finding('c'));
};

describe('FileStore recovery', () => {
  // Generation 3: the snapshots hold task a; the journal then completed a (with a finding), added b,
  // recorded an issue for b and set worker_count. Compaction to generation 4 writes all of that into
  // work-queue.json, then results.json, then starts a fresh journal; a crash can stop it anywhere.
  const oldQueue = queueText([task('a')], 3, 1);
  const oldResults = resultsText([], [], 3);
  const oldJournal = journalText(3, [
    { tasks: [task('a', 'completed')], findings: [finding('a')], meta: { worker_count: 2 } },
    { tasks: [task('b')] },
    { issues: [issue('b')] },
  ]);
  const full = { tasks: [task('a', 'completed'), task('b')], findings: [finding('a')], issues: [issue('b')], active: true, worker_count: 2 };
  const newQueue = queueText(full.tasks, 4, 2, foldOf(oldJournal));
  const newResults = resultsText(full.findings, full.issues, 4, foldOf(oldJournal));
  const newJournal = journalText(4, []);
  // A second try cut off after its queue snapshot (generation g+2), after a first one cut off there too.
  const retriedQueue = queueText(full.tasks, 5, 2, foldOf(oldJournal));

  const cases: [string, string, string, string][] = [
    ['before compaction wrote anything', oldQueue, oldResults, oldJournal],
    ['after the queue snapshot only (queue g+1, results g, journal g)', newQueue, oldResults, oldJournal],
    ['after the queue snapshot only, twice (queue g+2, results g, journal g)', retriedQueue, oldResults, oldJournal],
    ['after both snapshots but before the journal (g+1, g+1, g)', newQueue, newResults, oldJournal],
    ['after both snapshots, then after the queue of the next try (g+2, g+1, g)', retriedQueue, newResults, oldJournal],
    ['after the whole compaction (g+1, g+1, g+1)', newQueue, newResults, newJournal],
  ];

  for (const [when, queue, results, journal] of cases) {
    it(`recovers every change exactly once from a compaction cut off ${when}`, async () => {
      const dir = tempDir();
      writeState(dir, { queue, results, journal });
      const before = files(dir);

      expect(summary(new FileStore(dir).read())).toEqual(full);
      expect(files(dir)).toEqual(before); // reading repairs nothing and writes nothing

      // The next transaction sees the recovered state and commits on top of it.
      const store = new FileStore(dir, { compactEveryMs: 1_000_000 });
      const seen = await store.transact((tx) => {
        addC(tx);
        return summary({ tasks: [...tx.tasks], findings: [...tx.findings], issues: [...tx.issues], meta: tx.meta });
      });
      expect(seen).toEqual(full);
      const after = { ...full, tasks: [...full.tasks, task('c')], findings: [...full.findings, finding('c')] };
      expect(summary(new FileStore(dir).read())).toEqual(after);
      expect(summary(store.read())).toEqual(after);

      await store.compact();
      const snapshot = JSON.parse(files(dir).queue);
      const resultsSnapshot = JSON.parse(files(dir).results);
      expect(snapshot).toMatchObject({ tasks: after.tasks, active: true, worker_count: 2, completed: 1 });
      expect(resultsSnapshot).toMatchObject({ findings: after.findings, issues: after.issues });
      const highest = Math.max(...[queue, results, journal.split('\n')[0]!].map((text) => JSON.parse(text).generation as number));
      expect(snapshot.generation).toBeGreaterThan(highest);
      expect(resultsSnapshot.generation).toBe(snapshot.generation);
      expect(files(dir).journal.trimEnd().split('\n')).toHaveLength(1);
      expect(summary(new FileStore(dir).read())).toEqual(after);
    });
  }

  it('shows a reset cut off between its snapshot writes either whole or not at all', () => {
    // A reset that left task z with its finding is committed as one journal line; it rewrote
    // work-queue.json (generation 4), then the process died before results.json: the findings and
    // issues from before the reset must not stay beside z.
    const dir = tempDir();
    const resetLine = `${JSON.stringify({ reset: true, tasks: [task('z')], findings: [finding('z')] })}\n`;
    writeState(dir, { queue: queueText([task('z')], 4, 2, foldOf(oldJournal + resetLine)), results: oldResults, journal: oldJournal + resetLine });
    const seen = new FileStore(dir).read();
    const ids = { tasks: seen.tasks.map((t) => t.id), findings: seen.findings.map((f) => f.task_id), issues: seen.issues.map((i) => i.task_id) };
    const whole = { tasks: ['a', 'b'], findings: ['a'], issues: ['b'] };
    const reset = { tasks: ['z'], findings: ['z'], issues: [] };
    expect([whole, reset]).toContainEqual(ids);
  });

  async function storeWithTwoTasks(): Promise<{ dir: string; store: FileStore }> {
    const dir = join(tempDir(), '.ralph');
    const store = new FileStore(dir, { compactEveryMs: 1_000_000 });
    store.ensure();
    for (const id of ['a', 'b'])
      await store.transact((tx) => {
        tx.put(task(id));
        tx.addFinding(finding(id));
      });
    expect(readFileSync(store.paths.journal, 'utf8').trimEnd().split('\n')).toHaveLength(3);
    return { dir, store };
  }

  for (const [kind, torn] of [
    ['a half-written line', '{"tasks":[{"id":"torn","type":"test","sta'],
    ['a complete record without its newline', JSON.stringify({ tasks: [task('torn')], findings: [finding('torn')] })],
  ] as const) {
    it(`ignores a torn journal tail (${kind}) when reading and cuts it off at the next write`, async () => {
      const { dir, store } = await storeWithTwoTasks();
      const cachedReader = new FileStore(dir);
      expect(cachedReader.read().tasks.map((t) => t.id)).toEqual(['a', 'b']);
      appendFileSync(store.paths.journal, torn);
      const before = files(dir);

      const fresh = new FileStore(dir).read();
      expect(fresh.tasks.map((t) => t.id)).toEqual(['a', 'b']);
      expect(fresh.findings.map((f) => f.task_id)).toEqual(['a', 'b']);
      expect(cachedReader.read().tasks.map((t) => t.id)).toEqual(['a', 'b']);
      expect(files(dir)).toEqual(before);

      await new FileStore(dir, { compactEveryMs: 1_000_000 }).transact(addC);
      const journal = readFileSync(store.paths.journal, 'utf8');
      expect(journal).not.toContain('torn');
      expect(journal.endsWith('\n')).toBe(true);
      expect(journal.startsWith(before.journal.slice(0, before.journal.length - torn.length))).toBe(true);
      const lines = journal
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines).toHaveLength(4);
      expect(lines[3]).toEqual({ tasks: [task('c')], findings: [finding('c')] });
      for (const reader of [new FileStore(dir), cachedReader, store]) {
        expect(reader.read().tasks.map((t) => t.id)).toEqual(['a', 'b', 'c']);
        expect(reader.read().findings.map((f) => f.task_id)).toEqual(['a', 'b', 'c']);
      }
    });
  }

  it('writes nothing when a transaction body throws or changes nothing', async () => {
    const { dir, store } = await storeWithTwoTasks();
    const before = files(dir);
    await expect(
      store.transact((tx) => {
        tx.put(task('x'));
        throw new Error('body failed');
      }),
    ).rejects.toThrow('body failed');
    expect(await store.transact((tx) => tx.tasks.length)).toBe(2);
    expect(files(dir)).toEqual(before);
    expect(new FileStore(dir).read().tasks.map((t) => t.id)).toEqual(['a', 'b']);
    expect(store.lock.inspect().state).toBe('free');
  });

  it('reads a journal a takeover moved aside and could not yet replace, and compacts it before appending anything', async () => {
    const { dir, store } = await storeWithTwoTasks();
    await store.transact(addC);
    store.close();
    // The new holder moved the journal aside (fencing the old one) and died before compacting.
    const { journal } = stateFiles(dir);
    renameSync(journal, `${journal}.fenced`);
    const reader = new FileStore(dir);
    expect(reader.read().tasks.map((t) => t.id)).toEqual(['a', 'b', 'c']);
    expect(reader.read().findings.map((f) => f.task_id)).toEqual(['a', 'b', 'c']);
    // The next transaction folds it into the snapshots first; its own line goes to a new journal.
    await reader.transact((tx) => {
      tx.put(task('d'));
      tx.addFinding(finding('d'));
    });
    reader.close();
    expect(existsSync(`${journal}.fenced`)).toBe(false);
    const lines = readFileSync(journal, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.slice(1)).toEqual([{ tasks: [task('d')], findings: [finding('d')] }]);
    expect(new FileStore(dir).read().tasks.map((t) => t.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(new FileStore(dir).read().findings.map((f) => f.task_id)).toEqual(['a', 'b', 'c', 'd']);
  });
});
