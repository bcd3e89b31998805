import { describe, expect, it } from 'vitest';
import { decideReport, releaseInterrupted, retryBackoff, retryTask } from '../../src/queue/outcome.js';
import type { ReportContext, RunOutcome } from '../../src/queue/outcome.js';
import type { Task } from '../../src/queue/types.js';
import { NOW, at, claimed, task } from '../helpers/task-fixtures.js';

const ctx = (over: Partial<ReportContext> = {}): ReportContext => ({ token: 'tok-1', workerId: 1, now: NOW, retries: 0, backoffMs: () => 2_000, ...over });
const ok: RunOutcome = { ok: true, finding: 'all good', exitCode: 0, signal: null, durationMs: 1_234 };
const bad: RunOutcome = { ok: false, finding: '', exitCode: 2, signal: null, durationMs: 500, reason: 'exit', error: 'agent exited with code 2' };

describe('decideReport refuses a result whose claim was lost', () => {
  it.each<[string, Task | undefined, string]>([
    ['the task was reclaimed by another worker', claimed('a', { claim_token: 'tok-2', worker_id: 2 }), 'is claimed (worker 2)'],
    ['the task was completed meanwhile', claimed('a', { status: 'completed' }), 'is completed (worker 1)'],
    ['the task went back to pending without a worker', task('a'), 'is pending'],
    ['the task is no longer in the queue', undefined, 'is no longer in the queue'],
  ])('when %s', (_what, t, state) => {
    const decision = decideReport(t, ok, ctx());
    expect(decision.kind).toBe('refused');
    expect(decision.kind === 'refused' && decision.why).toContain(`the task ${state}`);
  });

  it('also refuses a failure report', () => {
    expect(decideReport(claimed('a', { claim_token: 'other' }), bad, ctx()).kind).toBe('refused');
  });
});

describe('decideReport on success', () => {
  const decision = decideReport(claimed('a', { attempts: 2, last_error: 'old', error: 'older', failed_at: at(-9), data: { x: 1 } }), ok, ctx({ workerId: 7 }));
  if (decision.kind !== 'completed') throw new Error(`expected completed, got ${decision.kind}`);

  it('produces the finding', () => {
    expect(decision.finding).toEqual({
      task_id: 'a',
      worker_id: 7,
      finding: 'all good',
      timestamp: NOW.toISOString(),
      duration_ms: 1_234,
      exit_code: 0,
      attempt: 2,
    });
  });

  it.each<[string, unknown]>([
    ['status', 'completed'],
    ['completed_at', NOW.toISOString()],
    ['duration_ms', 1_234],
    ['exit_code', 0],
    ['finding', 'all good'],
    ['attempts', 2],
    ['data', { x: 1 }],
  ])('sets %s on the task', (field, value) => {
    expect(decision.task[field]).toEqual(value);
  });

  it.each(['claim_token', 'lease_expires_at', 'worker_pid', 'worker_host', 'claimed_at', 'error', 'failed_at', 'last_error'])('clears %s', (field) => {
    expect(decision.task).not.toHaveProperty(field);
  });
});

describe('decideReport on failure', () => {
  it.each<[string, number, number, 'requeued' | 'failed']>([
    ['no retries: the first failure is final', 1, 0, 'failed'],
    ['one retry: the first failure is requeued', 1, 1, 'requeued'],
    ['one retry: the second failure is final', 2, 1, 'failed'],
    ['two retries: the second failure is requeued', 2, 2, 'requeued'],
    ['two retries: the third failure is final', 3, 2, 'failed'],
  ])('%s', (_what, attempts, retries, kind) => {
    const decision = decideReport(claimed('a', { attempts }), bad, ctx({ retries }));
    expect(decision.kind).toBe(kind);
    expect(decision.kind !== 'refused' && decision.kind !== 'completed' && decision.issue.outcome).toBe(kind);
  });

  it.each([
    [1, 1_000],
    [2, 2_000],
    [3, 4_000],
  ])('requeues attempt %d with not_before = now + backoff(%d ms)', (attempts, delay) => {
    const decision = decideReport(claimed('a', { attempts }), bad, ctx({ retries: 5, backoffMs: retryBackoff(1_000) }));
    expect(decision.kind === 'requeued' && decision.task.not_before).toBe(at(delay));
  });

  it('fails a task stopped by hand for good, whatever --retries allows, and says it was stopped', () => {
    const stopped = claimed('a', { attempts: 1, stop_requested_at: at(-5_000) });
    const killed: RunOutcome = { ...bad, exitCode: null, signal: 'SIGKILL', reason: 'signal', error: 'agent killed by SIGKILL' };
    const decision = decideReport(stopped, killed, ctx({ retries: 3 }));
    if (decision.kind !== 'failed') throw new Error(decision.kind);
    expect(decision.task.error).toBe(`stopped by hand at ${at(-5_000)}: agent killed by SIGKILL`);
    expect(decision.task).not.toHaveProperty('stop_requested_at');
    expect(decision.issue.outcome).toBe('failed');
    // An agent that finished its work before the stop reached it: completed, the mark gone.
    const done = decideReport(stopped, ok, ctx({ retries: 3 }));
    expect(done.kind === 'completed' && done.task).not.toHaveProperty('stop_requested_at');
  });

  it('requeues as pending with the error as last_error, attempts kept and the claim gone', () => {
    const decision = decideReport(claimed('a', { attempts: 1 }), bad, ctx({ retries: 1 }));
    if (decision.kind !== 'requeued') throw new Error(decision.kind);
    expect(decision.task).toMatchObject({ status: 'pending', attempts: 1, last_error: 'agent exited with code 2' });
    expect(decision.task).not.toHaveProperty('claim_token');
    expect(decision.task).not.toHaveProperty('failed_at');
  });

  it('fails with failed_at, error, duration and exit code', () => {
    const decision = decideReport(claimed('a'), bad, ctx());
    if (decision.kind !== 'failed') throw new Error(decision.kind);
    expect(decision.task).toMatchObject({ status: 'failed', failed_at: NOW.toISOString(), error: 'agent exited with code 2', duration_ms: 500, exit_code: 2 });
    expect(decision.task).not.toHaveProperty('lease_expires_at');
  });

  it('describes the failure in the issue', () => {
    const decision = decideReport(claimed('a'), { ...bad, exitCode: null, signal: 'SIGKILL', reason: 'timeout', error: 'timed out' }, ctx({ workerId: 4 }));
    if (decision.kind !== 'failed') throw new Error(decision.kind);
    expect(decision.issue).toEqual({
      task_id: 'a',
      worker_id: 4,
      error: 'timed out',
      reason: 'timeout',
      timestamp: NOW.toISOString(),
      attempt: 1,
      exit_code: null,
      signal: 'SIGKILL',
      duration_ms: 500,
      outcome: 'failed',
    });
  });

  it.each<[string, Partial<RunOutcome>, string, string]>([
    ['a failure without an error message', { error: undefined }, 'error', 'agent failed'],
    ['a failure without a reason', { reason: undefined }, 'reason', 'exit'],
  ])('fills in defaults for %s', (_what, over, field, value) => {
    const decision = decideReport(claimed('a'), { ...bad, ...over }, ctx());
    expect(decision.kind === 'failed' && decision.issue[field]).toBe(value);
  });
});

describe('releaseInterrupted', () => {
  it.each<[string, number, number]>([
    ['gives back the interrupted attempt', 2, 1],
    ['does not go below zero attempts', 0, 0],
  ])('%s', (_what, attempts, expected) => {
    expect(releaseInterrupted(claimed('a', { attempts }), 'tok-1')?.attempts).toBe(expected);
  });

  it('puts the task back to pending without its claim', () => {
    const released = releaseInterrupted(claimed('a'), 'tok-1')!;
    expect(released.status).toBe('pending');
    expect(released).not.toHaveProperty('claim_token');
    expect(released).not.toHaveProperty('lease_expires_at');
  });

  it.each<[string, Task | undefined]>([
    ['another token holds the claim', claimed('a', { claim_token: 'tok-2' })],
    ['the task is completed', claimed('a', { status: 'completed' })],
    ['the task is gone', undefined],
  ])('does nothing when %s', (_what, t) => {
    expect(releaseInterrupted(t, 'tok-1')).toBeUndefined();
  });
});

describe('retryBackoff', () => {
  it.each([
    [1_000, 1, 1_000],
    [1_000, 2, 2_000],
    [1_000, 3, 4_000],
    [1_000, 4, 8_000],
    [1_000, 0, 1_000],
    [2_000, 8, 256_000],
    [2_000, 9, 300_000],
    [1_000, 50, 300_000],
    [1_000, 5_000, 300_000],
    [400_000, 1, 300_000],
    [0, 1, 0],
    [0, 10, 0],
  ])('with a base of %d ms, attempt %d waits %d ms', (base, attempt, expected) => {
    expect(retryBackoff(base)(attempt)).toBe(expected);
  });

  // A zero base (`--retry-backoff 0`) times 2 ** 1024 (= Infinity) is NaN, and a NaN delay makes
  // decideReport throw "Invalid time value" on `new Date(NaN).toISOString()`.
  it('stays at zero for a zero base however many attempts there were', () => {
    expect(retryBackoff(0)(1_100)).toBe(0);
  });
});

describe('retryTask', () => {
  const failed = task('a', {
    status: 'failed',
    attempts: 3,
    error: 'boom',
    failed_at: at(-1),
    not_before: at(5),
    worker_id: 2,
    claim_token: 'stale',
    data: { x: 1 },
  });

  it('puts a failed task back to pending with attempts reset', () => {
    expect(retryTask(failed)).toMatchObject({ status: 'pending', attempts: 0, data: { x: 1 } });
  });

  it('keeps the error as last_error', () => {
    expect(retryTask(failed)?.last_error).toBe('boom');
  });

  it.each(['error', 'failed_at', 'not_before', 'claim_token'])('clears %s', (field) => {
    expect(retryTask(failed)).not.toHaveProperty(field);
  });

  it.each(['pending', 'claimed', 'completed'] as const)('leaves a %s task alone', (status) => {
    expect(retryTask(task('a', { status }))).toBeUndefined();
  });
});

describe("decideReport: a task's cost is its last run's", () => {
  const before = claimed('a', { cost_usd: 0.3, cost_estimated: true });
  it.each<[string, RunOutcome, Record<string, unknown>]>([
    ['a reported cost replaces an estimate (no estimate mark left behind)', { ...ok, usage: { agent: 'claude', cost_usd: 0.1 } }, { cost_usd: 0.1 }],
    ['a run with no cost leaves none', { ...ok, usage: { agent: 'codex', tokens: { input: 5 } } }, {}],
    ['a failed run with an estimate', { ...bad, usage: { agent: 'codex', cost_usd: 0.2, cost_estimated: true } }, { cost_usd: 0.2, cost_estimated: true }],
  ])('%s', (_what, outcome, cost) => {
    const decision = decideReport(before, outcome, ctx());
    if (decision.kind !== 'completed' && decision.kind !== 'failed') throw new Error(`unexpected ${decision.kind}`);
    expect({ cost_usd: decision.task.cost_usd, cost_estimated: decision.task.cost_estimated }).toEqual({
      cost_usd: undefined,
      cost_estimated: undefined,
      ...cost,
    });
  });
});
