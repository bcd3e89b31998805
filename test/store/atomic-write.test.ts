// writeFileAtomicSync and cleanupTempFiles against real crashes: a writer SIGKILLed mid-write.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cleanupTempFiles, writeFileAtomicSync } from '../../src/store/atomic-write.js';
import { machineTag } from '../../src/process/machine.js';
import { deadPid, tempDir } from '../helpers/index.js';
import { DIST, assertBuilt, firstLine, kill9, startFixture } from '../helpers/store.js';

beforeAll(assertBuilt);

const SIZE = 4 * 1024 * 1024;

/** The file must be one complete payload: the initial one or one the writer finished. */
function expectComplete(path: string): { seq: number; pid?: number } {
  const text = readFileSync(path, 'utf8');
  let value: { seq: number; pid?: number; fill: string };
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`torn file: ${text.length} bytes, ends with ${JSON.stringify(text.slice(-20))}`);
  }
  expect(value.fill.length).toBe(SIZE);
  expect(new Set(value.fill).size).toBe(1);
  return value;
}

describe('atomic writes', () => {
  it('leaves the old or the new complete file, never a torn one, when the writer is SIGKILLed mid-write', async () => {
    const dir = tempDir();
    const path = join(dir, 'work-queue.json');
    writeFileSync(path, JSON.stringify({ seq: -1, fill: 'z'.repeat(SIZE) }));
    let interruptedWrites = 0;
    // Kill it at random moments until at least two kills have interrupted a write (most do).
    for (let round = 0; round < 4 || (interruptedWrites < 2 && round < 20); round++) {
      const writer = startFixture('atomic-writer.mjs', [path, DIST, String(SIZE)]);
      expect(await firstLine(writer)).toBe('ready');
      // Read while it writes: a reader only ever sees complete files.
      const until = Date.now() + 60 + Math.random() * 140;
      let seen = -1;
      while (Date.now() < until) {
        const { seq, pid } = expectComplete(path);
        expect(pid).toBe(writer.pid);
        expect(seq).toBeGreaterThanOrEqual(seen);
        seen = seq;
      }
      const result = await kill9(writer);
      expect(result.signal).toBe('SIGKILL');
      expect(expectComplete(path).pid).toBe(writer.pid);
      const leftovers = readdirSync(dir).filter((name) => name !== 'work-queue.json');
      for (const name of leftovers) expect(name).toMatch(new RegExp(`^work-queue\\.json\\.tmp-${writer.pid}-${machineTag()}-\\d+$`));
      expect(leftovers.length).toBeLessThanOrEqual(1);
      interruptedWrites += leftovers.length;
      // The crash debris belongs to a dead process: cleanup removes it and never the real file.
      expect(cleanupTempFiles(dir)).toEqual(leftovers);
      expect(readdirSync(dir)).toEqual(['work-queue.json']);
    }
    // Had no kill landed inside a write, this would have proved nothing.
    expect(interruptedWrites).toBeGreaterThanOrEqual(2);
  });

  it('removes temp files of dead processes of this machine and keeps those of live ones, of other machines and everything else', async () => {
    const dir = tempDir();
    const dead = deadPid();
    const files = {
      [`work-queue.json.tmp-${dead}-0`]: 'half a que',
      [`results.json.tmp-${dead}-17`]: '{"find',
      [`sessions.tmp-${dead}-${machineTag()}-4`]: 'this machine',
      [`sessions.tmp-${dead}-zz0other-4`]: 'the same pid on another machine (or container)',
      [`work-queue.json.tmp-${process.pid}-3`]: 'in progress',
      'work-queue.json': '{}',
      'notes.tmp': 'not ours',
      'journal.ndjson.tmp-abc-1': 'not a pid',
      [`journal.ndjson.tmp-${dead}-2.bak`]: 'not at the end',
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const removed = cleanupTempFiles(dir);
    expect(removed.sort()).toEqual([`results.json.tmp-${dead}-17`, `sessions.tmp-${dead}-${machineTag()}-4`, `work-queue.json.tmp-${dead}-0`]);
    expect(readdirSync(dir).sort()).toEqual(
      Object.keys(files)
        .filter((n) => !removed.includes(n))
        .sort(),
    );
    expect(readFileSync(join(dir, `work-queue.json.tmp-${process.pid}-3`), 'utf8')).toBe('in progress');
    expect(cleanupTempFiles(dir)).toEqual([]);
    expect(cleanupTempFiles(join(dir, 'no-such-dir'))).toEqual([]);
  });

  it('keeps the temp file of a live writer process while it runs', async () => {
    const dir = tempDir();
    const path = join(dir, 'results.json');
    const writer = startFixture('atomic-writer.mjs', [path, DIST, String(SIZE)]);
    try {
      expect(await firstLine(writer)).toBe('ready');
      const own = `results.json.tmp-${writer.pid}-999999`;
      writeFileSync(join(dir, own), 'x');
      for (let i = 0; i < 20; i++) expect(cleanupTempFiles(dir)).toEqual([]);
      expect(existsSync(join(dir, own))).toBe(true);
    } finally {
      await kill9(writer);
    }
    expect(cleanupTempFiles(dir)).toContain(`results.json.tmp-${writer.pid}-999999`);
  });

  it('replaces the whole file in one step and removes its temp file when the rename fails', () => {
    const dir = tempDir();
    const path = join(dir, 'results.json');
    writeFileSync(path, 'old content that is longer than the new one');
    writeFileAtomicSync(path, 'new', { fsync: true });
    expect(readFileSync(path, 'utf8')).toBe('new');
    expect(readdirSync(dir)).toEqual(['results.json']);

    const target = join(dir, 'a-directory');
    mkdirSync(target);
    expect(() => writeFileAtomicSync(target, 'data')).toThrow();
    expect(readdirSync(dir).sort()).toEqual(['a-directory', 'results.json']);
    expect(readdirSync(target)).toEqual([]);
  });
});

describe('writeFileAtomicSync with exclusive', () => {
  it('creates a missing file, and leaves one that exists as it is (nothing else left behind)', () => {
    const dir = tempDir();
    const path = join(dir, 'state.json');
    expect(writeFileAtomicSync(path, 'first', { exclusive: true })).toBe(true);
    expect(writeFileAtomicSync(path, 'second', { exclusive: true })).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe('first');
    expect(readdirSync(dir)).toEqual(['state.json']);
  });
});
