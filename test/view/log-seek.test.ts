// Reading a log backwards (ralph logs -n): the start of its last N lines and the task and time there
// must give exactly the records that reading it all from the start gives, whatever the chunk size.
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LogParser } from '../../src/view/log-records.js';
import { lastLines, stateAt } from '../../src/view/log-seek.js';
import { tempDir } from '../helpers/index.js';

const t = (s: number) => `2026-05-01T12:00:${String(s).padStart(2, '0')}.000Z`;
const LOG = [
  'an unstamped line before any stamp',
  `${t(1)} worker 1 registered (pid 1 on h); agent: custom command`,
  `${t(2)} ▶ task t-1 (work) attempt 1`,
  `${t(3)} [out] héllo wörld ✔ multi-byte`,
  `${t(3)} [out] ▶ task fake (x) attempt 1`,
  'Error: a stack trace the worker did not stamp',
  '    at somewhere',
  '',
  `${t(4)} [err] ${'long '.repeat(40)}`,
  `${t(5)} ✔ task t-1 completed in 3 ms`,
  `${t(6)} [out] between tasks`,
  `${t(7)} ▶ task t 2 (with spaces) (x) attempt 2`,
  `${t(8)} task t 2: its data is too large for RALPH_TASK_DATA`,
  `${t(9)} task t 2 interrupted after 10 ms; it goes back to pending`,
  'unstamped after an interruption',
  `${t(10)} ▶ task t-3 (x) attempt 1`,
  `${t(11)} task t-3: report refused: the claim was lost`,
  `${t(12)} ▶ task t-4 (x) attempt 1`,
  `${t(13)} [out] the last finished line`,
];

function records(text: string, state?: ConstructorParameters<typeof LogParser>[1]) {
  const parser = new LogParser(1, state);
  const lines = text.split('\n');
  lines.pop(); // after the last newline: '' or an unfinished line, given separately
  return lines.map((l) => parser.parse(l));
}

describe('lastLines and stateAt', () => {
  it.each([
    ['ends with a newline', `${LOG.join('\n')}\n`],
    ['ends without one', `${LOG.join('\n')}\n${t(14)} [out] unfinished`],
    ['one line', `${t(1)} ▶ task only (x) attempt 1\n`],
    ['empty', ''],
  ])('%s: the same records as reading it all, for every n and chunk size', (_what, text) => {
    const path = join(tempDir('ralph-log-seek-'), 'worker-1.log');
    writeFileSync(path, text);
    const size = Buffer.byteLength(text);
    const fd = openSync(path, 'r');
    try {
      for (const finished of [true, false]) {
        // What a reader reads from there: while following, up to the last newline; else to the end.
        const lines = (from: string) => (finished ? from.slice(0, from.lastIndexOf('\n') + 1) : from === '' || from.endsWith('\n') ? from : `${from}\n`);
        const all = records(lines(text));
        for (const chunkSize of [1, 2, 3, 7, 16, 61, 4096]) {
          for (let n = 0; n <= all.length + 1; n++) {
            const { start, count } = lastLines(fd, size, n, finished, chunkSize);
            expect(count).toBe(Math.min(n, all.length));
            const state = stateAt(fd, start, chunkSize);
            const rest = lines(Buffer.from(text).subarray(start).toString('utf8'));
            expect({ chunkSize, n, finished, records: records(rest, state) }).toEqual({ chunkSize, n, finished, records: all.slice(all.length - count) });
          }
        }
      }
    } finally {
      closeSync(fd);
    }
  });
});
