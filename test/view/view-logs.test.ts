import { describe, expect, it } from 'vitest';
import { plain } from '../../src/view/color.js';
import { LogParser, formatRecord, localTime, matches, parseSince } from '../../src/view/log-records.js';

const T = '2026-05-01T12:00:00.000Z';

describe('LogParser', () => {
  it("knows which task each line of a worker's log belongs to", () => {
    const parser = new LogParser(2);
    const lines = [
      `${T} worker 2 registered (pid 1 on h); agent: custom command`,
      `${T} ▶ task my task (with spaces) (build) attempt 1`,
      `${T} [out] compiling`,
      `${T} [err] warning: x`,
      'a line the worker did not stamp (a stack trace)',
      `${T} ✔ task my task (with spaces) completed in 5 ms`,
      `${T} ▶ task t2 (x) attempt 2`,
      `${T} task t2: its data is too large for RALPH_TASK_DATA`,
      `${T} [out] {"type":"x"}`,
      `${T} task t2 interrupted after 10 ms; it goes back to pending`,
      `${T} [out] late line`,
      `${T} ▶ task t3 (x) attempt 1`,
      `${T} ✘ task t3 requeued, claimable after 2026-05-01T12:01:00.000Z: boom`,
      `${T} ▶ task t4 (x) attempt 1`,
      `${T} ⏸ task t4 back to pending (attempt not counted): limit`,
      `${T} ▶ task t5 (x) attempt 1`,
      `${T} task t5: report refused: the claim was lost`,
      `${T} usage limit over: claiming again`,
    ];
    expect(lines.map((l) => parser.parse(l)).map((r) => [r.task, r.stream, r.text.slice(0, 12)])).toEqual([
      [null, null, 'worker 2 reg'],
      ['my task (with spaces)', null, '▶ task my ta'],
      ['my task (with spaces)', 'out', 'compiling'],
      ['my task (with spaces)', 'err', 'warning: x'],
      ['my task (with spaces)', null, 'a line the w'],
      ['my task (with spaces)', null, '✔ task my ta'],
      ['t2', null, '▶ task t2 (x'],
      ['t2', null, 'task t2: its'],
      ['t2', 'out', '{"type":"x"}'],
      ['t2', null, 'task t2 inte'],
      [null, 'out', 'late line'],
      ['t3', null, '▶ task t3 (x'],
      ['t3', null, '✘ task t3 re'],
      ['t4', null, '▶ task t4 (x'],
      ['t4', null, '⏸ task t4 ba'],
      ['t5', null, '▶ task t5 (x'],
      ['t5', null, 'task t5: rep'],
      [null, null, 'usage limit '],
    ]);
  });

  it("a line with U+2028 or U+2029 in it (an agent's output) is still one stamped line", () => {
    const parser = new LogParser(1);
    parser.parse(`${T} ▶ task t (x) attempt 1`);
    expect(parser.parse(`${T} [out] one\u2028two\u2029three`)).toEqual({ time: T, worker: 1, task: 't', stream: 'out', text: 'one\u2028two\u2029three' });
    expect(parser.parse(`${T} ✔ task t completed in 5 ms`).task).toBe('t');
    expect(parser.parse(`${T} ▶ task a\u2028b (x\u2029y) attempt 1`).task).toBe('a\u2028b');
    expect(parser.parse(`${T} [out] x`).task).toBe('a\u2028b');
    expect(parser.parse(`${T} task a\u2028b interrupted after 10 ms; it goes back to pending`).task).toBe('a\u2028b');
    expect(parser.parse(`${T} [out] after`).task).toBe(null);
  });

  it('a line without a stamp has the time of the one before', () => {
    const parser = new LogParser(1);
    expect(parser.parse('orphan').time).toBe('');
    parser.parse(`${T} x`);
    expect(parser.parse('Error: boom').time).toBe(T);
  });
});

describe('matches', () => {
  const record = { time: T, worker: 2, task: 't1', stream: null, text: 'x' } as const;
  it.each<[string, object, boolean]>([
    ['no filter', {}, true],
    ['its worker', { worker: 2 }, true],
    ['another worker', { worker: 1 }, false],
    ['its task', { task: 't1' }, true],
    ['another task', { task: 't2' }, false],
    ['since before', { since: '2026-05-01T11:00:00.000Z' }, true],
    ['since the same time', { since: T }, true],
    ['since after', { since: '2026-05-01T12:00:00.001Z' }, false],
  ])('%s', (_what, filter, out) => {
    expect(matches(record, filter)).toBe(out);
  });
});

describe('parseSince', () => {
  const now = new Date(2026, 4, 1, 14, 30, 0); // local time
  it.each<[string, Date | undefined]>([
    ['30s', new Date(now.getTime() - 30_000)],
    ['10m', new Date(now.getTime() - 600_000)],
    ['2h', new Date(now.getTime() - 7_200_000)],
    ['1.5h', new Date(now.getTime() - 5_400_000)],
    ['1d', new Date(now.getTime() - 86_400_000)],
    ['14:05', new Date(2026, 4, 1, 14, 5, 0)],
    ['14:05:30', new Date(2026, 4, 1, 14, 5, 30)],
    ['15:00', new Date(2026, 3, 30, 15, 0, 0)], // still ahead today: yesterday's
    ['2026-04-30T09:00', new Date(2026, 3, 30, 9, 0, 0)],
    ['2026-04-30T09:00:00Z', new Date(Date.UTC(2026, 3, 30, 9, 0, 0))],
    ['25:00', undefined],
    ['99999999999d', undefined], // before any date there is
    ['2026-04-30', new Date(2026, 3, 30)], // a date alone: its local midnight
    ['2026-04-30 09:00', new Date(2026, 3, 30, 9, 0, 0)],
    ['2026-04-30T09:00:05.250', new Date(2026, 3, 30, 9, 0, 5, 250)],
    ['2026-04-30T09:00:00+05:30', new Date(Date.UTC(2026, 3, 30, 3, 30, 0))],
    ['2026-02-30T10:00', undefined], // no such day (it was March 2)
    ['2026-02-29', undefined],
    ['2028-02-29', new Date(2028, 1, 29)],
    ['2026-04-31T10:00Z', undefined],
    ['2026-13-01', undefined],
    ['2026-04-30T24:00', undefined],
    ['2026-04-30T09:60', undefined],
    ['2026-04-30T09:00junk', undefined],
    ['soon', undefined],
    ['10 minutes', undefined],
    ['', undefined],
  ])('%j', (text, at) => {
    expect(parseSince(text, now)).toBe(at?.toISOString());
  });
});

describe('formatRecord', () => {
  const now = new Date(T);
  it("local time, worker, the line; an agent's event readable", () => {
    const out = formatRecord({ time: T, worker: 3, task: 't', stream: 'out', text: '{"type":"mystery","status":"warming up"}' }, now, plain, (t) => t);
    expect(out).toBe(`${localTime(T, now)} w3 [out] mystery event: status warming up`);
    expect(localTime(T, now)).toMatch(/^\d\d:\d\d:\d\d$/);
    expect(localTime('2026-04-01T12:00:00.000Z', now)).toMatch(/^2026-04-0[12] \d\d:\d\d:\d\d$/);
  });
});
