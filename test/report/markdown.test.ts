import { describe, expect, it } from 'vitest';
import { renderReport } from '../../src/report/markdown.js';
import { buildSummary } from '../../src/report/summary.js';
import type { QueueState, Task } from '../../src/queue/types.js';
import { DIR, finding, issue, session, state } from '../helpers/report-fixtures.js';
import { claimed, task } from '../helpers/task-fixtures.js';
import { cells, section } from '../helpers/markdown.js';
import { localTime } from '../../src/report/time.js';

function report(st: QueueState, stoppedBy?: 'timeout'): string {
  return renderReport(st, buildSummary(st, [session(1, 'idle', '2024-05-01T12:00:00.000Z')], { dir: DIR, report: `${DIR}/R.md`, stoppedBy }));
}

const rows = (text: string, name: string) =>
  section(text, name).filter((l) => l.startsWith('| ') && !l.startsWith('| ---') && !l.startsWith('| id ') && !l.startsWith('| worker '));

const done = (id: string, fields: Partial<Task> = {}) =>
  task(id, { status: 'completed', worker_id: 1, attempts: 1, duration_ms: 1_500, finding: 'found it', ...fields });
const failed = (id: string, fields: Partial<Task> = {}) =>
  task(id, { status: 'failed', worker_id: 2, attempts: 3, error: 'agent exited with code 1\nsecond line', ...fields });

describe('renderReport header', () => {
  it.each<[string, QueueState, string]>([
    ['the start time, local and UTC', state([]), `- Started: ${localTime('2024-05-01T11:59:50.000Z')} (2024-05-01T11:59:50.000Z)`],
    ['the end time, local and UTC', state([]), `- Ended: ${localTime('2024-05-01T12:00:00.000Z')} (2024-05-01T12:00:00.000Z)`],
    ['the duration', state([]), '- Duration: 10s'],
    ['the worker count', state([]), '- Workers: 2'],
    ['why it stopped', state([]), '- Stopped because: every task completed'],
    ['why it stopped, with failures', state([done('a'), failed('b')]), '- Stopped because: no task left to run; 1 failed'],
    ['the counts', state([done('a'), done('b'), failed('c'), task('d')]), '- Tasks: 4: 2 completed, 1 failed, 1 pending, 0 claimed'],
    ['the throughput of this run', state([done('a'), failed('b')]), '- Throughput: 0.2 tasks/s (2 task(s) finished in this run)'],
    [
      'the task durations',
      state([done('a', { duration_ms: 1_000 }), done('b', { duration_ms: 3_000 }), failed('c', { duration_ms: 60_000 })]),
      '- Task duration: p50 3s, p90 1m00s, max 1m00s (over 3 finished task(s))',
    ],
    [
      "an interrupted run's exit code",
      state([task('a')], {
        meta: {
          active: false,
          worker_count: 1,
          run: { started_at: '2024-05-01T11:59:50.000Z', ended_at: '2024-05-01T12:00:00.000Z', workers: 1, stopped_by: 'signal', signal: 'SIGINT' },
        },
      }),
      '- Result: interrupted (exit code 130)',
    ],
    ['a successful result', state([done('a')]), '- Result: every task completed (exit code 0)'],
    ['an unsuccessful result', state([failed('a')]), '- Result: some tasks failed or are unfinished (exit code 1)'],
    ['an unknown start without a run', state([], { meta: { active: false, worker_count: 0 } }), '- Started: unknown (no run recorded)'],
    ['an unknown duration without a run', state([], { meta: { active: false, worker_count: 0 } }), '- Duration: unknown'],
    [
      'a run still going',
      state([], { meta: { active: true, worker_count: 1, run: { started_at: '2024-05-01T11:00:00.000Z', workers: 1 } } }),
      '- Ended: still running or interrupted',
    ],
  ])('shows %s', (_what, st, line) => {
    expect(report(st).split('\n')).toContain(line);
  });

  it('explains a timeout', () => {
    expect(report(state([]), 'timeout')).toContain('- Stopped because: the --timeout was reached');
  });

  it('comes first, before any other section', () => {
    const text = report(state([done('a'), failed('b')]));
    expect(text.split('\n').slice(0, 3)).toEqual(['# Orchestrator report', '', '## Summary']);
  });

  it('has a table by task type: counts, p50 and max duration', () => {
    const text = report(
      state([
        done('a', { type: 'lint', duration_ms: 1_000 }),
        done('b', { type: 'lint', duration_ms: 3_000 }),
        failed('c', { type: 'fix' }),
        task('d', { type: 'fix' }),
      ]),
    );
    const table = section(text, 'Summary')
      .filter((l) => l.startsWith('| ') && !l.startsWith('| ---') && !l.startsWith('| type '))
      .map(cells);
    expect(table).toEqual([
      ['fix', '2', '0', '1', '1', '', ''],
      ['lint', '2', '2', '0', '0', '1s', '3s'],
    ]);
  });

  it('ends with a newline', () => {
    expect(report(state([]))).toMatch(/\n$/);
  });
});

describe('renderReport counts and tasks', () => {
  it('says so when there are no tasks', () => {
    expect(section(report(state([])), 'Tasks')).toContain('No tasks in the queue.');
  });

  it.each<[string, Task, string[]]>([
    ['a completed task with its finding', done('a'), ['a', 'test', 'completed', '1', '1', '2s', 'found it']],
    ['a failed task with its one-line cause', failed('b'), ['b', 'test', 'failed', '2', '3', '', 'agent exited with code 1']],
    [
      'a failed task recorded before causes came first',
      failed('b', { error: 'agent exited with code 1; last output:\nstarting\nboom' }),
      ['b', 'test', 'failed', '2', '3', '', 'agent exited with code 1: boom'],
    ],
    ['a pending task with empty cells', task('c'), ['c', 'test', 'pending', '', '0', '', '']],
    ['a claimed task with its worker', claimed('d'), ['d', 'test', 'claimed', '1', '1', '', '']],
  ])('shows %s', (_what, t, expected) => {
    expect(rows(report(state([t])), 'Tasks').map(cells)).toEqual([expected]);
  });

  it.each<[string, Task, string]>([
    ['a pipe in an id', done('a|b'), 'a\\|b'],
    ['a pipe in a type', done('a', { type: 'x|y' }), 'x\\|y'],
    ['a pipe in a finding', done('a', { finding: 'left | right' }), 'left \\| right'],
    ['a pipe in an error', failed('a', { error: 'exit | code' }), 'exit \\| code'],
    ['a backslash before a pipe', done('a\\|b'), 'a\\\\\\|b'],
  ])('escapes %s so the row keeps its seven cells', (_what, t, escaped) => {
    const [row] = rows(report(state([t])), 'Tasks');
    expect(cells(row!)).toHaveLength(7);
    expect(row).toContain(escaped);
  });

  it.each<[string, Task]>([
    ['a newline in an id', done('a\nb')],
    ['a CRLF in a type', done('a', { type: 'x\r\ny' })],
    ['newlines in a finding', done('a', { finding: 'one\ntwo\r\nthree' })],
    ['a lone CR in an id', done('a\rb')],
  ])('keeps the row on one line with %s', (_what, t) => {
    const [row] = rows(report(state([t])), 'Tasks');
    expect(cells(row!)).toHaveLength(7);
    expect(row).not.toMatch(/[\r\n]/);
  });

  it('clips a long finding to 160 characters with an ellipsis', () => {
    const [row] = rows(report(state([done('a', { finding: 'x'.repeat(500) })])), 'Tasks');
    expect(cells(row!)[6]).toBe(`${'x'.repeat(159)}…`);
  });
});

describe('renderReport failures', () => {
  const text = report(state([done('ok'), failed('bad')]));

  it('names the failed task and its type', () => {
    expect(section(text, 'Failures')).toContain('### `bad` (`test`)');
  });

  it('names the worker, the attempts and the log file', () => {
    expect(section(text, 'Failures')).toContain(`Worker 2, 3 attempt(s). Read \`${DIR}/worker-2.log\` for the full output.`);
  });

  it('quotes the whole error in a fence', () => {
    expect(section(text, 'Failures').join('\n')).toContain('```\nagent exited with code 1\nsecond line\n```');
  });

  it('uses a longer fence when the error contains backticks', () => {
    expect(report(state([failed('a', { error: 'see ```code```' })]))).toContain('````\nsee ```code```\n````');
  });

  it('tells how many failed and how to retry', () => {
    expect(section(text, 'Failures')).toContain('1 task(s) failed. Put them back with `ralph queue retry --failed`.');
  });

  it('lists each failure with its one-line cause first', () => {
    const lines = section(
      report(state([failed('bad'), failed('worse', { error: 'auth failure — claude reported an error: Invalid API key\nlast output:\nx' })])),
      'Failures',
    );
    expect(lines.filter((l) => /^\| (bad|worse) /.test(l)).map(cells)).toEqual([
      ['bad', 'test', '2', '3', 'agent exited with code 1'],
      ['worse', 'test', '2', '3', 'auth failure — claude reported an error: Invalid API key'],
    ]);
  });

  it('at many failures: lists the first hundred and shows the output of the first ten', () => {
    const many = Array.from({ length: 120 }, (_, i) => failed(`f${String(i).padStart(3, '0')}`));
    const lines = section(report(state(many)), 'Failures');
    expect(lines.filter((l) => /^\| f\d{3} /.test(l))).toHaveLength(100);
    expect(lines).toContain('20 more failures are left out here: `ralph report --json` lists every one (`failures`).');
    expect(lines.filter((l) => l.startsWith('### '))).toHaveLength(10);
  });

  it('has no log hint for a task without a worker', () => {
    expect(section(report(state([failed('a', { worker_id: undefined })])), 'Failures')).toContain('Worker ?, 3 attempt(s).');
  });

  it('keeps backticks in an id from ending the code span', () => {
    expect(section(report(state([failed('a`b')])), 'Failures')).toContain("### `a'b` (`test`)");
  });

  it.each([
    ['a run without failures', state([done('a')])],
    ['an empty run', state([])],
  ])('is left out for %s', (_what, st) => {
    expect(report(st)).not.toContain('## Failures');
  });
});

describe('renderReport at many tasks', () => {
  const many = Array.from({ length: 1_000 }, (_, i) => done(`t${String(i).padStart(4, '0')}`, { duration_ms: i }));
  const text = report(state(many));

  it('shows the first 300 rows of the task table, and says where the others are', () => {
    const lines = section(text, 'Tasks');
    expect(rows(text, 'Tasks')).toHaveLength(300);
    expect(lines).toContain('700 more tasks are left out here: `ralph report --json` lists every task.');
  });

  it('names the ten slowest tasks, slowest first', () => {
    const slowest = section(text, 'Slowest tasks')
      .filter((l) => /^\| t\d{4} /.test(l))
      .map((l) => cells(l)[0]);
    expect(slowest).toEqual(Array.from({ length: 10 }, (_, i) => `t0${999 - i}`));
  });

  it('stays a few hundred lines long', () => {
    expect(text.split('\n').length).toBeLessThan(400);
  });
});

describe('renderReport unfinished tasks', () => {
  it('lists pending and claimed tasks', () => {
    const lines = section(report(state([task('p', { attempts: 1 }), claimed('c', { worker_id: 3 }), done('d')])), 'Unfinished');
    expect(lines).toEqual(
      expect.arrayContaining([
        '2 task(s) were not finished when the run ended; `ralph run` again picks them up.',
        '- `p` (`test`): pending, 1 attempt(s)',
        '- `c` (`test`): claimed, last worker 3, 1 attempt(s)',
      ]),
    );
  });

  it('is left out when every task finished', () => {
    expect(report(state([done('a'), failed('b')]))).not.toContain('## Unfinished');
  });
});

describe('renderReport workers', () => {
  it('shows one row per worker with its counts, busy time, status and log', () => {
    const text = report(state([], { findings: [finding('a', 1, 2_000)], issues: [issue('b', 2, 'failed', 500), issue('c', 2, 'requeued', 500)] }));
    expect(rows(text, 'Workers').map(cells)).toEqual([
      ['1', '1', '0', '0', '2s', 'idle', '2024-05-01T12:00:00.000Z', `\`${DIR}/worker-1.log\``],
      ['2', '0', '1', '1', '1s', 'unknown', '', `\`${DIR}/worker-2.log\``],
    ]);
  });

  it('says so when no worker registered', () => {
    const st = state([]);
    const text = renderReport(st, buildSummary(st, [], { dir: DIR, report: 'R.md' }));
    expect(section(text, 'Workers')).toContain('No worker registered.');
  });
});

describe('renderReport and hostile text', () => {
  it('shows control characters of ids, findings and errors escaped: a terminal that cats the report runs none of them', () => {
    const text = report(
      state([
        done('id\u001b[2J', { finding: 'title \u001b]0;pwned\u0007 nul \u0000 csi \u009b31m' }),
        failed('f\u001b[31m', { error: 'exit 1\nlast output:\n\u001b]0;x\u0007\r\nend' }),
      ]),
    );
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(text).toContain('| id\\x1b[2J |');
    expect(text).toContain('title \\x1b]0;pwned\\x07 nul \\x00 csi \\x9b31m');
    expect(section(text, 'Failures').join('\n')).toContain('\\x1b]0;x\\x07\nend');
  });
});
