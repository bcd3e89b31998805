// The worker's step (report the last task, reap, claim the next) on a real store: the same step
// asked for twice, as a worker does when its run died before answering, records and claims once.
import { describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/file-store.js';
import type { Task } from '../../src/queue/types.js';
import { workerStep } from '../../src/worker/step.js';
import type { StepConfig, StepContext, StepRequest, StepResult } from '../../src/worker/step.js';
import { tempDir } from '../helpers/index.js';
import { setPaused } from '../../src/orchestrator/pause.js';

const config: StepConfig = {
  workerId: 1,
  leaseMs: 60_000,
  maxAttempts: 3,
  retries: 0,
  retryBackoffMs: 0,
  onUsageLimit: 'wait',
  usageLimitMarginMs: 0,
  usageLimitWaitMs: 1000,
  agent: 'command',
};

/** A store, and the worker's step on it with `config` changed by `overrides`. */
function setup(overrides: Partial<StepConfig> = {}): { store: FileStore; step: (request: StepRequest) => Promise<StepResult> } {
  const store = new FileStore(tempDir());
  store.ensure();
  const context: StepContext = { paths: store.paths, isAlive: () => true, host: 'here' };
  const stepConfig = { ...config, ...overrides };
  return { store, step: (request) => store.transact((tx) => workerStep(tx, stepConfig, request, context)) };
}

async function withTasks(store: FileStore, ids: string[]): Promise<void> {
  await store.transact((tx) => {
    for (const id of ids) tx.put({ id, type: 't', status: 'pending', attempts: 0 } as Task);
  });
}

const ask = (token: string, extra: Partial<StepRequest> = {}): StepRequest => ({ pid: process.pid, host: 'here', token, stopping: false, ...extra });

describe('workerStep', () => {
  it('claims the next task; asked again with the same token, returns that claim and claims nothing more', async () => {
    const { store, step } = setup();
    await withTasks(store, ['a', 'b']);
    const first = await step(ask('t1'));
    expect(first.claimed).toMatchObject({ id: 'a', status: 'claimed', claim_token: 't1', attempts: 1 });
    const again = await step(ask('t1'));
    expect(again.claimed).toEqual(first.claimed);
    expect(store.read().tasks.map((t) => t.status)).toEqual(['claimed', 'pending']);
    expect(first.live).toBe(false);
    expect(first.open).toBe(true);
  });

  it('claims nothing while claiming is paused, stays around for the pending tasks, and claims once resumed', async () => {
    const { store, step } = setup();
    await withTasks(store, ['a']);
    await setPaused(store, true);
    const paused = await step(ask('t1'));
    expect(paused.claimed).toBeUndefined();
    expect(paused.block).toEqual({ kind: 'paused', since: store.read().meta.paused!.at });
    expect(paused.open).toBe(true);
    await setPaused(store, false);
    const resumed = await step(ask('t2'));
    expect(resumed.claimed?.id).toBe('a');
    expect(resumed.block).toBeUndefined();
  });

  it('asked again while stopping, gives the claim made with that token back (attempt not counted)', async () => {
    const { store, step } = setup();
    await withTasks(store, ['a']);
    await step(ask('t1'));
    const stopping = await step(ask('t1', { stopping: true }));
    expect(stopping.claimed).toBeUndefined();
    expect(store.read().tasks[0]).toMatchObject({ id: 'a', status: 'pending', attempts: 0 });
  });

  it('records a report once: the same report again is refused, with no second finding', async () => {
    const { store, step } = setup();
    await withTasks(store, ['a']);
    const claimed = (await step(ask('t1'))).claimed!;
    const report = { taskId: claimed.id, token: 't1', interrupted: false, outcome: { ok: true, finding: 'done', exitCode: 0, signal: null, durationMs: 5 } };
    const first = await step(ask('t2', { report }));
    expect(first.decision?.kind).toBe('completed');
    const second = await step(ask('t3', { report }));
    expect(second.decision?.kind).toBe('refused');
    const state = store.read();
    expect(state.findings.map((f) => f.task_id)).toEqual(['a']);
    expect(state.tasks[0]).toMatchObject({ status: 'completed', attempts: 1 });
    expect(second.open).toBe(false);
  });

  it('sees the task it reports as settled: no wake at its old lease, and nothing left keeps the worker', async () => {
    const { store, step } = setup();
    await withTasks(store, ['a']);
    const claimed = (await step(ask('t1'))).claimed!;
    const report = {
      taskId: claimed.id,
      token: 't1',
      interrupted: false,
      outcome: { ok: false, finding: '', exitCode: 3, signal: null, durationMs: 5, reason: 'exit' as const, error: 'exit 3' },
    };
    const result = await step(ask('t2', { report }));
    expect(result.decision?.kind).toBe('failed');
    expect(result.waitingUntilMs).toBeUndefined();
    expect(result.open).toBe(false);
  });

  it('wakes for a retry it has just scheduled, not for the lease of the claim it settled', async () => {
    const { store, step } = setup({ retries: 1, retryBackoffMs: 5_000 });
    await withTasks(store, ['a']);
    const claimed = (await step(ask('t1'))).claimed!;
    const report = {
      taskId: claimed.id,
      token: 't1',
      interrupted: false,
      outcome: { ok: false, finding: '', exitCode: 3, signal: null, durationMs: 5, reason: 'exit' as const, error: 'exit 3' },
    };
    const result = await step(ask('t2', { report }));
    const requeued = store.read().tasks[0]!;
    expect(requeued.status).toBe('pending');
    expect(result.waitingUntilMs).toBe(Date.parse(requeued.not_before!));
    expect(result.open).toBe(true);
  });

  it('a report that arrives after its lease ran out, before anyone reaped it, is recorded and not reaped as well', async () => {
    const { store, step } = setup({ leaseMs: 20 });
    await withTasks(store, ['a']);
    const claimed = (await step(ask('t1'))).claimed!;
    await new Promise((resolve) => setTimeout(resolve, 50));
    const report = { taskId: claimed.id, token: 't1', interrupted: false, outcome: { ok: true, finding: 'done', exitCode: 0, signal: null, durationMs: 5 } };
    const result = await step(ask('t2', { report }));
    expect(result.decision?.kind).toBe('completed');
    const state = store.read();
    expect(state.tasks[0]).toMatchObject({ id: 'a', status: 'completed', attempts: 1 });
    expect(state.findings.map((f) => f.task_id)).toEqual(['a']);
    expect(state.issues).toEqual([]);
  });

  it.each([false, true])(
    'a step asked for again after its claim lapsed and was given up in that step gets nothing, and its release undoes nothing (stopping: %s)',
    async (stopping) => {
      const { store, step } = setup({ leaseMs: 20, maxAttempts: 1 });
      await withTasks(store, ['a']);
      expect((await step(ask('t1'))).claimed?.id).toBe('a');
      await new Promise((resolve) => setTimeout(resolve, 50));
      const again = await step(ask('t1', { stopping }));
      // --max-attempts 1: the lapsed claim is given up by the reaper in that same step.
      expect(store.read().tasks[0]).toMatchObject({ id: 'a', status: 'failed' });
      expect(again.claimed).toBeUndefined();
    },
  );

  it.each([
    ["a pending task's backoff", 5_000, 30_000, 'backoff'],
    ["another worker's lease", 30_000, 5_000, 'lease'],
  ] as const)('an idle step wakes at the sooner of %s', async (_what, backoffMs, leaseMs, expected) => {
    const { store, step } = setup();
    const now = Date.now();
    const backoff = new Date(now + backoffMs).toISOString();
    const lease = new Date(now + leaseMs).toISOString();
    await store.transact((tx) => {
      tx.put({ id: 'waits', type: 't', status: 'pending', attempts: 1, not_before: backoff } as Task);
      tx.put({
        id: 'other',
        type: 't',
        status: 'claimed',
        attempts: 1,
        worker_id: 2,
        worker_pid: process.pid,
        worker_host: 'here',
        claim_token: 'x',
        lease_expires_at: lease,
      } as Task);
    });
    const result = await step(ask('t1'));
    expect(result.claimed).toBeUndefined();
    expect(result.waitingUntilMs).toBe(Date.parse(expected === 'backoff' ? backoff : lease));
    expect(result.open).toBe(true);
  });

  it('answers in plain JSON (it crosses the IPC channel as JSON): a usage-limit wait and a report', async () => {
    const { store, step } = setup();
    await withTasks(store, ['a', 'b']);
    const claimed = (await step(ask('t1'))).claimed!;
    const until = new Date(Date.now() + 60_000).toISOString();
    await store.transact((tx) => tx.setMeta({ usage_limit: { agent: 'claude', message: 'limit', until, noticed_at: until, worker_id: 1 } }));
    const report = {
      taskId: claimed.id,
      token: 't1',
      interrupted: false,
      outcome: { ok: false, finding: '', exitCode: 3, signal: null, durationMs: 5, reason: 'exit' as const, error: 'exit 3' },
    };
    const result = await step(ask('t2', { report }));
    expect(result.block).toEqual({ kind: 'waiting', note: expect.objectContaining({ until }) });
    expect(result.waitingUntilMs).toBe(Date.parse(until));
    expect(result.decision?.kind).toBe('failed');
    expect(result.claimed).toBeUndefined();
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });
});
