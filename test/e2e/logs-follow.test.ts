// `ralph logs -f` on real files changed under it: a log rotated (renamed away, a new one in its place)
// and a log cut short and grown again within one look. Nothing is lost, nothing is garbled.
import { appendFileSync, mkdirSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startRalph, tempDir, waitFor } from '../helpers/index.js';

const stamp = (second: number) => `2026-05-01T12:00:${String(second).padStart(2, '0')}.000Z`;
const line = (second: number, text: string) => `${stamp(second)} ${text}\n`;

function follow(dir: string) {
  const run = startRalph(['logs', '-f', '--json'], { cwd: dir });
  let out = '';
  run.child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const records = () =>
    out
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { time: string; text: string });
  const texts = () => records().map((r) => r.text);
  const stop = async () => {
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(130);
  };
  return { records, texts, stop };
}

function stateDir(): { dir: string; log: string } {
  const dir = tempDir('ralph-logs-follow-');
  mkdirSync(join(dir, '.ralph'));
  return { dir, log: join(dir, '.ralph', 'worker-1.log') };
}

describe('ralph logs -f', () => {
  it('a rotated log: what was appended to the old file before the rename is printed, then the new file', async () => {
    const { dir, log } = stateDir();
    writeFileSync(log, line(1, 'A1'));
    const f = follow(dir);
    await waitFor('A1 followed', () => f.texts().includes('A1'));
    // All within one look (250 ms): append, rename away, a new file in its place.
    appendFileSync(log, line(2, 'A2'));
    renameSync(log, `${log}.old`);
    writeFileSync(log, line(3, 'B1'));
    await waitFor('B1 followed', () => f.texts().includes('B1'));
    appendFileSync(log, line(5, 'B2'));
    await waitFor('B2 followed', () => f.texts().includes('B2'));
    expect(f.texts()).toEqual(['A1', 'A2', 'B1', 'B2']);
    await f.stop();
  });

  it('a log cut short and grown past where it was within one look is read again from its start', async () => {
    const { dir, log } = stateDir();
    writeFileSync(log, [1, 2, 3].map((s) => line(s, `L${s}`)).join(''));
    const f = follow(dir);
    await waitFor('L3 followed', () => f.texts().includes('L3'));
    truncateSync(log, 0);
    appendFileSync(log, [11, 12, 13, 14, 15].map((s) => line(s, `C${s - 10} is a longer line than before`)).join(''));
    await waitFor('C5 followed', () => f.texts().some((t) => t.startsWith('C5')));
    expect(f.records().map((r) => [r.time, r.text])).toEqual([
      [stamp(1), 'L1'],
      [stamp(2), 'L2'],
      [stamp(3), 'L3'],
      ...[11, 12, 13, 14, 15].map((s) => [stamp(s), `C${s - 10} is a longer line than before`]),
    ]);
    await f.stop();
  });
});
