// FileStore refuses damaged state files: CorruptStateError naming the file, which is left byte for byte.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CorruptStateError } from '../../src/errors.js';
import { FileStore } from '../../src/store/file-store.js';
import type { Task } from '../../src/queue/types.js';
import { tempDir } from '../helpers/index.js';
import { stateFiles } from '../helpers/store.js';

type Name = 'queue' | 'results' | 'journal';
const NAMES: Name[] = ['queue', 'results', 'journal'];
const LABEL: Record<Name, string> = { queue: 'work-queue.json', results: 'results.json', journal: 'the journal' };
const task = (id: string): Task => ({ id, type: 'test', status: 'pending', attempts: 0 });

/** A store whose snapshots hold a and b and whose journal holds c and d. */
async function populated(): Promise<{ dir: string; warm: FileStore }> {
  const dir = join(tempDir(), '.ralph');
  const warm = new FileStore(dir, { compactEveryMs: 1_000_000 });
  warm.ensure();
  await warm.transact((tx) => {
    tx.put(task('a'));
    tx.put(task('b'));
    tx.addFinding({ task_id: 'a', worker_id: 1, finding: 'x', timestamp: tx.now.toISOString(), duration_ms: 1, exit_code: 0, attempt: 1 });
  });
  await warm.compact();
  for (const id of ['c', 'd']) await warm.transact((tx) => tx.put(task(id)));
  expect(warm.read().tasks.map((t) => t.id)).toEqual(['a', 'b', 'c', 'd']);
  expect(readFileSync(stateFiles(dir).journal, 'utf8').trimEnd().split('\n')).toHaveLength(3);
  return { dir, warm };
}

const snapshotOf = (dir: string) => Object.fromEntries(NAMES.map((n) => [n, readFileSync(stateFiles(dir)[n])]));

const half = (text: string) => text.slice(0, Math.floor(text.length / 2));

// [file, what is wrong with it, how to damage it, whether a store that already cached the state notices]
const damages: [Name, string, (text: string) => string, boolean][] = [
  ['queue', 'truncated in the middle', half, true],
  ['queue', 'not JSON at all', () => 'this is not json\n', true],
  ['queue', 'empty', () => '', true],
  ['queue', 'JSON without a tasks array', () => '{"tasks": 5, "generation": 2}\n', true],
  ['queue', 'holding a task with an unknown status', (t) => t.replace('"status":"pending"', '"status":"exploded"'), true],
  ['queue', 'an array instead of an object', () => '[]\n', true],
  [
    'queue',
    'holding one task id twice (edited by hand)',
    (t) => {
      const q = JSON.parse(t);
      q.tasks.push({ ...q.tasks[0], type: 'again' });
      return `${JSON.stringify(q)}\n`;
    },
    true,
  ],
  ['results', 'truncated in the middle', half, true],
  ['results', 'not JSON at all', () => '<html>\n', true],
  ['results', 'empty', () => '   \n', true],
  ['results', 'JSON whose findings is not an array', (t) => t.replace(/"findings": \[[^\]]*\]/, '"findings": {}'), true],
  ['journal', 'truncated inside its header line', (t) => t.slice(0, 12), true],
  ['journal', 'empty', () => '', true],
  ['journal', 'starting with a line that is not a journal header', (t) => `{"hello":1}\n${t}`, true],
  ['journal', 'holding an unreadable complete line at the end', (t) => `${t}{"tasks":[{"id":"e"\n`, true],
  ['journal', 'holding an unreadable complete line in the middle', (t) => t.replace('\n', '\n{not json}\n'), false],
];

describe('FileStore with a damaged state file', () => {
  for (const [name, what, damage, warmNotices] of damages) {
    it(`refuses ${LABEL[name]} ${what}, naming it and leaving every file untouched`, async () => {
      const { dir, warm } = await populated();
      const path = stateFiles(dir)[name];
      const original = readFileSync(path, 'utf8');
      const damaged = damage(original);
      expect(damaged).not.toBe(original);
      writeFileSync(path, damaged);
      const before = snapshotOf(dir);
      expect(before[name]!.equals(readFileSync(path))).toBe(true);

      const attempts: [string, () => unknown][] = [
        ['read()', () => new FileStore(dir).read()],
        ['transact()', () => new FileStore(dir).transact((tx) => tx.put(task('z')))],
        ['compact()', () => new FileStore(dir).compact()],
      ];
      if (warmNotices) {
        attempts.push(['read() with a warm cache', () => warm.read()]);
        attempts.push(['transact() with a warm cache', () => warm.transact((tx) => tx.put(task('z')))]);
      }
      for (const [how, attempt] of attempts) {
        let error: unknown;
        try {
          await attempt();
        } catch (e) {
          error = e;
        }
        expect(error, how).toBeInstanceOf(CorruptStateError);
        const corrupt = error as CorruptStateError;
        expect(corrupt.code, how).toBe('RALPH_CORRUPT_STATE');
        expect(corrupt.file, how).toBe(path);
        expect(corrupt.message, how).toContain(path);
        for (const n of NAMES) expect(readFileSync(stateFiles(dir)[n]).equals(before[n]!), `${how} changed ${LABEL[n]}`).toBe(true);
        expect(warm.lock.inspect().state, how).toBe('free');
      }
    });
  }

  it('reads again normally once the damaged file is restored', async () => {
    const { dir, warm } = await populated();
    const path = stateFiles(dir).queue;
    const good = readFileSync(path, 'utf8');
    writeFileSync(path, half(good));
    expect(() => warm.read()).toThrow(CorruptStateError);
    writeFileSync(path, good);
    expect(warm.read().tasks.map((t) => t.id)).toEqual(['a', 'b', 'c', 'd']);
    await warm.transact((tx) => tx.put(task('e')));
    expect(new FileStore(dir).read().tasks.map((t) => t.id)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
});
