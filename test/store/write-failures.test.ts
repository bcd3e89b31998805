// Writes that fail for real part-way, under a file-size limit (`prlimit --fsize`: EFBIG, no root
// needed): a snapshot cut short is never renamed into place, and a journal append cut short leaves
// no line of the failed transactions behind.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/file-store.js';
import { tempDir } from '../helpers/index.js';
import { canLimitFileSize, fileSizeLimit } from '../helpers/disk.js';
import { DIST, FIXTURES, assertBuilt, stateFiles } from '../helpers/store.js';

beforeAll(assertBuilt);

function runLimited(limit: number, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const [command, ...prefix] = [...fileSizeLimit(limit), process.execPath];
  const result = spawnSync(command!, [...prefix, ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe.runIf(canLimitFileSize)('writes cut short by a file-size limit (EFBIG)', () => {
  it('writeFileAtomicSync leaves the old file whole, no temporary file, and throws a StateWriteError naming the file', () => {
    const dir = tempDir();
    const path = join(dir, 'work-queue.json');
    writeFileSync(path, '{"old":true}\n');
    const code = `const { writeFileAtomicSync } = await import(${JSON.stringify(join(DIST, 'store', 'atomic-write.js'))});
      try { writeFileAtomicSync(${JSON.stringify(path)}, 'x'.repeat(100000)); console.log('written'); }
      catch (error) { console.log(error.constructor.name, error.errno, error.message); }`;
    const result = runLimited(64 * 1024, ['--input-type=module', '-e', code]);
    expect(result.stdout).toMatch(/^StateWriteError EFBIG cannot write .*work-queue\.json: file too large \(EFBIG\)/);
    expect(readFileSync(path, 'utf8')).toBe('{"old":true}\n');
    expect(readdirSync(dir)).toEqual(['work-queue.json']);
  });

  it('a journal append that fails part-way is cut back: none of the failed batch is read, every earlier batch is', () => {
    const dir = tempDir();
    const big = 4000;
    // Three batches with room to spare, then a limit that falls inside the next batch's big line.
    const setup = runLimited(1 << 30, [join(FIXTURES, 'store-batch.mjs'), dir, DIST, '0', '3', String(big)]);
    expect(setup.stdout).toContain('done');
    const { journal } = stateFiles(dir);
    const before = statSync(journal).size;
    const failing = runLimited(before + 200 + big / 2, [join(FIXTURES, 'store-batch.mjs'), dir, DIST, '3', '5', String(big)]);
    expect(failing.code).toBe(3);
    expect(failing.stdout).toMatch(/^failed RALPH_STATE_WRITE cannot write .*queue\.ndjson: file too large \(EFBIG\)/m);
    expect(statSync(journal).size).toBe(before);
    const ids = new FileStore(dir).read().tasks.map((t) => t.id);
    expect(ids).toEqual(['0-small', '0-big', '1-small', '1-big', '2-small', '2-big']);
  });
});
