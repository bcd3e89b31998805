// `ralph logs` on a worker log far larger than its memory (a 256 MiB log, a 64 MiB heap): `-n` reads
// backwards from the end, everything else streams; the task of the last lines is still known.
import { appendFileSync, closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ralph, startRalph, waitFor } from '../helpers/index.js';

const SMALL_HEAP = { NODE_OPTIONS: '--max-old-space-size=64' };
const BIG = '2026-05-01T12:00:00.000Z';
const END = '2026-05-01T13:00:00.000Z';
let dir: string;
let log: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ralph-logs-large-'));
  mkdirSync(join(dir, '.ralph'));
  log = join(dir, '.ralph', 'worker-1.log');
  const fd = openSync(log, 'w');
  writeSync(fd, `${BIG} ▶ task t-big (work) attempt 1\n`);
  const line = `${BIG} [out] ${'x'.repeat(1024 - BIG.length - 8)}\n`;
  const block = Buffer.from(line.repeat((4 << 20) / line.length));
  for (let i = 0; i < 64; i++) writeSync(fd, block); // 256 MiB of one task's output
  writeSync(
    fd,
    [
      `${END} [out] second to last of t-big`,
      `${END} [out] last of t-big`,
      `${END} ✔ task t-big completed in 3600000 ms`,
      `${END} ▶ task t-end (work) attempt 1`,
      `${END} [out] t-end says hello`,
      `${END} ✔ task t-end completed in 5 ms`,
      '',
    ].join('\n'),
  );
  closeSync(fd);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const logs = (...args: string[]) => ralph(['logs', ...args], { cwd: dir, env: SMALL_HEAP });
const records = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { time: string; task: string | null; text: string });

describe('ralph logs on a 256 MiB log with a 64 MiB heap', () => {
  it('-n reads from the end, and knows the task its lines belong to', async () => {
    const r = await logs('-n', '5', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(records(r.stdout).map((x) => [x.task, x.text])).toEqual([
      ['t-big', 'last of t-big'],
      ['t-big', '✔ task t-big completed in 3600000 ms'],
      ['t-end', '▶ task t-end (work) attempt 1'],
      ['t-end', 't-end says hello'],
      ['t-end', '✔ task t-end completed in 5 ms'],
    ]);
  });

  it('--task and --since stream the whole log', async () => {
    const task = await logs('--task', 't-end', '--json');
    expect(task.stderr).toBe('');
    expect(records(task.stdout).map((x) => x.text)).toEqual(['▶ task t-end (work) attempt 1', 't-end says hello', '✔ task t-end completed in 5 ms']);
    const since = await logs('--since', '2026-05-01T12:30:00Z', '-n', '2', '--json');
    expect(since.stderr).toBe('');
    expect(records(since.stdout).map((x) => x.text)).toEqual(['t-end says hello', '✔ task t-end completed in 5 ms']);
  });

  it('-f starts from the end and follows', async () => {
    const follow = startRalph(['logs', '-f', '-n', '1', '--json'], { cwd: dir, env: SMALL_HEAP });
    let out = '';
    follow.child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    await waitFor('the last line', () => out.includes('t-end completed'));
    appendFileSync(log, `${END} worker 1 stopped\n`);
    await waitFor('the appended line', () => out.includes('worker 1 stopped'));
    follow.child.kill('SIGINT');
    const r = await follow.done;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(130);
    expect(records(out).map((x) => x.text)).toEqual(['✔ task t-end completed in 5 ms', 'worker 1 stopped']);
  });

  it('a line of 100 MiB is cut at 1 MiB, the rest counted', async () => {
    const own = mkdtempSync(join(tmpdir(), 'ralph-logs-long-'));
    try {
      mkdirSync(join(own, '.ralph'));
      const fd = openSync(join(own, '.ralph', 'worker-1.log'), 'w');
      writeSync(fd, `${END} [out] `);
      const block = Buffer.alloc(4 << 20, 'y');
      for (let i = 0; i < 25; i++) writeSync(fd, block);
      closeSync(fd);
      for (const args of [['--json'], ['--json', '-n', '1']]) {
        const r = await ralph(['logs', ...args], { cwd: own, env: SMALL_HEAP });
        expect(r.stderr).toBe('');
        const [record] = records(r.stdout);
        const prefix = `${END} [out] `.length; // the line is cut, its stamp included
        expect(record!.text).toBe(`${'y'.repeat((1 << 20) - prefix)} … (${(100 << 20) + prefix - (1 << 20)} more characters not shown)`);
      }
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });

  it('a few MB of output reach a pipe whole (the process waits for stdout before it exits)', async () => {
    const own = mkdtempSync(join(tmpdir(), 'ralph-logs-pipe-'));
    try {
      mkdirSync(join(own, '.ralph'));
      const lines = Array.from({ length: 20_000 }, (_, i) => `${END} [out] line ${i} ${'z'.repeat(100)}\n`);
      writeFileSync(join(own, '.ralph', 'worker-1.log'), lines.join(''));
      const r = await ralph(['logs', '--json'], { cwd: own });
      expect(r.code).toBe(0);
      expect(records(r.stdout)).toHaveLength(20_000);
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });
});
