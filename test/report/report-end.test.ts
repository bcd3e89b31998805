import { describe, expect, it } from 'vitest';
import type { QueueMeta, QueueState, StatusCounts, Task } from '../../src/queue/types.js';
import { endLines } from '../../src/report/end.js';
import { describeStop, exitCodeFor } from '../../src/report/stop.js';
import type { StopReason } from '../../src/report/stop.js';
import { buildSummary } from '../../src/report/summary.js';
import { localAndUtc } from '../../src/report/time.js';
import { DIR, state } from '../helpers/report-fixtures.js';
import { NOW, at, task } from '../helpers/task-fixtures.js';

const counts = (over: Partial<StatusCounts> = {}): StatusCounts => ({ pending: 0, claimed: 0, completed: 3, failed: 0, ...over });
const run = (over: Partial<NonNullable<QueueMeta['run']>> = {}) => ({ started_at: at(-10_000), ended_at: NOW.toISOString(), workers: 2, ...over });
const meta = (over: Partial<QueueMeta> = {}): QueueMeta => ({ active: false, worker_count: 2, run: run(), ...over });

describe('exitCodeFor', () => {
  it.each<[string, StatusCounts, Parameters<typeof exitCodeFor>[1], number]>([
    ['every task completed', counts(), undefined, 0],
    ['a failed task', counts({ failed: 1 }), undefined, 1],
    ['a pending task', counts({ pending: 1 }), { reason: 'budget' }, 1],
    ['SIGINT', counts({ pending: 1 }), { reason: 'signal', signal: 'SIGINT' }, 130],
    ['SIGTERM', counts({ pending: 1 }), { reason: 'signal', signal: 'SIGTERM' }, 143],
    ['SIGHUP, everything done meanwhile', counts(), { reason: 'signal', signal: 'SIGHUP' }, 129],
    ['a signal not named', counts({ pending: 1 }), { reason: 'signal' }, 1],
    ['an unknown signal name', counts({ pending: 1 }), { reason: 'signal', signal: 'SIGNOPE' }, 1],
  ])('gives %s exit code %d', (_what, c, stop, code) => {
    expect(exitCodeFor(c, stop)).toBe(code);
  });
});

describe('describeStop', () => {
  it.each<[StopReason, QueueMeta, StatusCounts, Record<string, unknown>]>([
    ['completed', meta(), counts(), { text: 'every task completed' }],
    ['completed', meta(), counts({ failed: 2 }), { text: 'no task left to run; 2 failed' }],
    ['timeout', meta(), counts({ pending: 2, claimed: 1 }), { text: 'the --timeout was reached; 3 unfinished task(s) went back to pending' }],
    [
      'signal',
      meta({ run: run({ stopped_by: 'signal', signal: 'SIGTERM' }) }),
      counts(),
      { signal: 'SIGTERM', text: 'interrupted by SIGTERM; the tasks in flight went back to pending' },
    ],
    ['signal', meta(), counts(), { text: 'interrupted by a signal; the tasks in flight went back to pending' }],
    [
      'budget',
      meta({ cost_usd: 0.06, run: run({ max_cost_usd: 0.05 }) }),
      counts({ pending: 7 }),
      {
        cost_usd: 0.06,
        max_cost_usd: 0.05,
        text: 'the budget was reached: $0.0600 of $0.05 (--max-cost-usd); the tasks in flight finished, no new task was claimed',
      },
    ],
    [
      'usage-limit',
      meta({ stop: { reason: 'usage-limit', at: at(-1), detail: "codex: You've hit your usage limit: try later", resets_at: '2024-05-01T15:00:00.000Z' } }),
      counts({ pending: 1 }),
      {
        agent: 'codex',
        message: "You've hit your usage limit: try later",
        until: '2024-05-01T15:00:00.000Z',
        text: `codex hit its usage limit (--on-usage-limit stop) until ${localAndUtc('2024-05-01T15:00:00.000Z')}: You've hit your usage limit: try later`,
      },
    ],
    ['usage-limit', meta(), counts({ pending: 1 }), { text: 'an agent hit its usage limit (--on-usage-limit stop)' }],
    ['workers-exited', meta(), counts({ pending: 1 }), { text: 'every worker exited and could not be restarted; their logs say why' }],
    ['cannot-write', meta(), counts({ pending: 1 }), { text: expect.stringMatching(/^the state directory could not be written/) }],
  ])('%s', (reason, m, c, expected) => {
    expect(describeStop(reason, m, c)).toEqual({ reason, ...expected });
  });

  it('says when a usage limit still held claims back as the run ended', () => {
    const note = { agent: 'claude', message: 'limit', until: at(3_600_000), noticed_at: at(-5_000), worker_id: 1 };
    expect(describeStop('timeout', meta({ usage_limit: note }), counts({ pending: 1 })).text).toBe(
      `the --timeout was reached; 1 unfinished task(s) went back to pending; claude's usage limit held new claims back until ${localAndUtc(note.until)}`,
    );
    expect(describeStop('timeout', meta({ usage_limit: { ...note, until: at(-1_000) } }), counts({ pending: 1 })).text).not.toContain('usage limit');
  });
});

describe('endLines', () => {
  const failed = (id: string, error: string): Task => task(id, { status: 'failed', worker_id: 1, attempts: 1, error });
  const lines = (st: QueueState, reason?: StopReason, options?: { reportWritten?: boolean }) =>
    endLines(buildSummary(st, [], { dir: DIR, report: `${DIR}/ORCHESTRATOR-REPORT.md`, ...(reason ? { stoppedBy: reason } : {}) }), options);
  const ended = localAndUtc(NOW);

  it('says why, the counts, and where the report is, with the end time', () => {
    expect(lines(state([task('a', { status: 'completed' })]))).toEqual([
      'Stopped: every task completed.',
      '1 task(s) in 10s: 1 completed, 0 failed, 0 pending, 0 claimed.',
      `Report: ${DIR}/ORCHESTRATOR-REPORT.md — ended ${ended}`,
    ]);
  });

  it('names the cost and tokens of this run, and the recorded total when earlier runs added to it', () => {
    const st = state([task('a', { status: 'completed' })], {
      findings: [
        {
          task_id: 'a',
          worker_id: 1,
          finding: 'ok',
          timestamp: at(-1_000),
          duration_ms: 1,
          exit_code: 0,
          attempt: 1,
          cost_usd: 0.25,
          tokens: { input: 10, output: 2 },
        },
        { task_id: 'z', worker_id: 1, finding: 'ok', timestamp: at(-100_000), duration_ms: 1, exit_code: 0, attempt: 1, cost_usd: 1 },
      ],
    });
    expect(lines(st)).toContain('Cost: $0.25 ($1.25 recorded in all); tokens: 10 in, 2 out.');
  });

  it.each<[string, Array<Record<string, unknown>>, string]>([
    [
      'an estimated cost',
      [{ agent: 'codex', model: 'gpt-5', cost_usd: 0.0042, cost_estimated: true, tokens: { input: 10, output: 2 } }],
      'Cost: ~$0.0042 (estimated from tokens at list prices); tokens: 10 in, 2 out.',
    ],
    [
      'an unknown cost (never $0.00), and why',
      [{ agent: 'codex', model: 'gpt-99', tokens: { input: 10, output: 2 } }],
      'Cost: unknown (not counted toward --max-cost-usd: model gpt-99 not in the price table (add it under "prices" in ralph.config.json)); tokens: 10 in, 2 out.',
    ],
  ])('says %s', (_what, usages, line) => {
    const findings = usages.map((u, i) => ({
      task_id: `t${i}`,
      worker_id: 1,
      finding: 'ok',
      timestamp: at(-1_000),
      duration_ms: 1,
      exit_code: 0,
      attempt: 1,
      ...u,
    }));
    const out = lines(state([task('t0', { status: 'completed' })], { findings }));
    expect(out).toContain(line);
  });

  it('lists ten failures with their one-line causes and logs, then how many more', () => {
    const tasks = Array.from({ length: 12 }, (_, i) =>
      failed(
        `t${i}`,
        i === 0 ? 'agent exited with code 3; last output:\nworking\nboom' : `API unreachable — claude reported an error: ECONNREFUSED\nlast output:\nx`,
      ),
    );
    const out = lines(state(tasks));
    expect(out[0]).toBe('Stopped: no task left to run; 12 failed.');
    const start = out.indexOf('Failed (12):');
    expect(out.slice(start + 1, start + 3)).toEqual([
      `  t0: agent exited with code 3: boom (${DIR}/worker-1.log)`,
      `  t1: API unreachable — claude reported an error: ECONNREFUSED (${DIR}/worker-1.log)`,
    ]);
    expect(out[start + 11]).toBe('  … and 2 more failures (the report lists them all)');
    expect(out.join('\n')).not.toContain('last output');
  });

  it('shows control characters in ids and causes escaped', () => {
    const out = lines(state([failed('a\u001b[2J', 'exit \u001b]0;x\u0007')])).join('\n');
    expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
  });

  it('says when the report could not be written', () => {
    expect(lines(state([]), 'cannot-write', { reportWritten: false }).at(-1)).toBe(
      `Report: ${DIR}/ORCHESTRATOR-REPORT.md could not be written — ended ${ended}`,
    );
  });
});
