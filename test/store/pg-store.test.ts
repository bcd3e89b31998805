// The queue on a real PostgreSQL server (issue 16): PgStore behind the same Store interface as the
// file store. Workers' steps (report + reap + claim) from several stores at once claim each task
// once and record it once; a stale claim records nothing; claims follow priority; the budget is
// shared; a change on one store wakes another's idle watch; a connection the server kills is retried.
import type { Finding, Issue } from '../../src/queue/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendTasks } from '../../src/orchestrator/boot.js';
import { PgStore } from '../../src/store/pg/pg-store.js';
import { gatherStatus } from '../../src/report/status.js';
import type { StepConfig, StepRequest, StepResult } from '../../src/worker/step.js';
import { stepScope, workerStep } from '../../src/worker/step.js';
import { newToken } from '../../src/store/token.js';
import { setPaused } from '../../src/orchestrator/pause.js';
import { selects, sortTasks } from '../../src/queue/task-query.js';
import type { TaskQuery } from '../../src/store/store.js';
import { HISTORY_RESULTS, HISTORY_TASKS, QUERIES, QUERY_TASKS } from '../helpers/query-tasks.js';
import { NOW } from '../helpers/task-fixtures.js';
import { countSeries } from '../../src/queue/series.js';
import { startPostgres, withClient } from '../helpers/postgres.js';
import { tempDir } from '../helpers/index.js';
import type { TestPostgres } from '../helpers/postgres.js';
import type { Store } from '../../src/store/store.js';

const config = (workerId: number, extra: Partial<StepConfig> = {}): StepConfig => ({
  workerId,
  leaseMs: 60_000,
  maxAttempts: 3,
  retries: 0,
  retryBackoffMs: 0,
  onUsageLimit: 'wait',
  usageLimitMarginMs: 0,
  usageLimitWaitMs: 1000,
  agent: 'fake',
  ...extra,
});

const ctx = { sessions: undefined as never, isAlive: () => true, host: 'test-host' };

function step(store: Store, cfg: StepConfig, request: StepRequest): Promise<StepResult> {
  return store.transact((tx) => workerStep(tx, cfg, request, { ...ctx, sessions: store.sessions }), `worker ${cfg.workerId}`, stepScope(request));
}

const ok = (taskId: string, token: string, cost?: number): StepRequest['report'] => ({
  taskId,
  token,
  interrupted: false,
  outcome: { ok: true, finding: `did ${taskId}`, exitCode: 0, signal: null, durationMs: 1, ...(cost === undefined ? {} : { usage: { cost_usd: cost } }) },
});

describe('the queue on PostgreSQL (PgStore)', () => {
  let server: TestPostgres;
  const dir = () => tempDir('ralph-pgstore-');
  beforeAll(async () => {
    server = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  async function fresh(name = 'default'): Promise<{ url: string; open: () => Promise<PgStore> }> {
    const url = await server.database();
    await (await PgStore.open(url, name, dir(), { create: true })).close();
    return { url, open: () => PgStore.open(url, name, dir()) };
  }

  /** One worker's loop of steps until nothing is left; what it claimed. */
  async function drain(store: Store, workerId: number, cfg: Partial<StepConfig> = {}): Promise<string[]> {
    const claimed: string[] = [];
    let report: StepRequest['report'];
    for (;;) {
      const token = newToken();
      const result = await step(store, config(workerId, cfg), { pid: process.pid, host: 'test-host', token, stopping: false, ...(report ? { report } : {}) });
      if (result.decision) expect(result.decision.kind).toBe('completed');
      if (!result.claimed) return claimed;
      claimed.push(result.claimed.id);
      report = ok(result.claimed.id, token, cfg.maxCostUsd === undefined ? undefined : 1);
    }
  }

  it('is opened only where `ralph queue init` made it, and holds what is appended', async () => {
    const url = await server.database();
    const missing = await PgStore.open(url, 'default', dir());
    expect(missing.exists()).toBe(false);
    expect(() => missing.ensure()).toThrow(/queue "default" at postgres:\/\/ralph_test@127\.0\.0\.1:\d+\/ralph_test_\d+_\d+/);
    await missing.close();
    const store = await PgStore.open(url, 'default', dir(), { create: true });
    expect(
      await appendTasks(store, [
        { id: 'a', type: 't' },
        { id: 'b', type: 't', data: { x: 1 } },
      ]),
    ).toEqual({ added: 2, skipped: [] });
    expect(
      await appendTasks(store, [
        { id: 'b', type: 't' },
        { id: 'c', type: 't' },
      ]),
    ).toEqual({ added: 1, skipped: ['b'] });
    await store.refresh();
    expect(store.read().tasks.map((t) => [t.id, t.status])).toEqual([
      ['a', 'pending'],
      ['b', 'pending'],
      ['c', 'pending'],
    ]);
    await store.close();
  });

  it('claims each of 400 tasks once and records it once, with 12 workers on 3 stores at once', async () => {
    const q = await fresh();
    const loader = await q.open();
    await appendTasks(
      loader,
      Array.from({ length: 400 }, (_, i) => ({ id: `t${i}`, type: 'noop' })),
    );
    const stores = await Promise.all([q.open(), q.open(), q.open()]);
    const claims = (await Promise.all(Array.from({ length: 12 }, (_, w) => drain(stores[w % 3]!, w + 1)))).flat();
    expect(claims.length).toBe(400);
    expect(new Set(claims).size).toBe(400);
    await loader.refresh();
    const state = loader.read();
    expect(state.tasks.every((t) => t.status === 'completed' && t.attempts === 1)).toBe(true);
    expect(state.findings.length).toBe(400);
    expect(new Set(state.findings.map((f) => f.task_id)).size).toBe(400);
    for (const s of [loader, ...stores]) await s.close();
  }, 60_000);

  it('records nothing for a claim that was taken away (fencing), and the reaper counts the attempt', async () => {
    const q = await fresh();
    const a = await q.open();
    const b = await q.open();
    await appendTasks(a, [{ id: 'only', type: 't' }]);
    const token = newToken();
    const first = await step(a, config(1, { leaseMs: 50 }), { pid: 1, host: 'elsewhere', token, stopping: false });
    expect(first.claimed?.id).toBe('only');
    await new Promise((r) => setTimeout(r, 120));
    // Worker 2 reaps the expired lease (as with the file store, a step claims what was pending when
    // it began), and claims the task again with its next step.
    const reaping = await step(b, config(2), { pid: 2, host: 'elsewhere', token: newToken(), stopping: false });
    expect(reaping.notes.join('\n')).toMatch(/task only: lease expired/);
    expect(reaping.open).toBe(true);
    const token2 = newToken();
    const second = await step(b, config(2), { pid: 2, host: 'elsewhere', token: token2, stopping: false });
    expect(second.claimed?.id).toBe('only');
    expect(second.claimed?.attempts).toBe(2);
    // Worker 1 comes back with its report: refused, nothing recorded.
    const late = await step(a, config(1), { pid: 1, host: 'elsewhere', token: newToken(), stopping: true, report: ok('only', token) });
    expect(late.decision?.kind).toBe('refused');
    const done = await step(b, config(2), { pid: 2, host: 'elsewhere', token: newToken(), stopping: true, report: ok('only', token2) });
    expect(done.decision?.kind).toBe('completed');
    await a.refresh();
    expect(a.read().findings.map((f) => [f.task_id, f.worker_id])).toEqual([['only', 2]]);
    expect(a.read().issues.map((i) => i.reason)).toEqual(['lease-expired']);
    await a.close();
    await b.close();
  });

  it('claims by priority, then in queue order; a task in backoff waits', async () => {
    const q = await fresh();
    const s = await q.open();
    await appendTasks(s, [
      { id: 'low', type: 't', data: { priority: 'low' } },
      { id: 'plain1', type: 't' },
      { id: 'high', type: 't', data: { priority: 'high' } },
      { id: 'plain2', type: 't' },
    ]);
    expect(await drain(s, 1)).toEqual(['high', 'plain1', 'plain2', 'low']);
    await s.close();
  });

  it('shares the budget: once the recorded cost reaches --max-cost-usd no store claims again', async () => {
    const q = await fresh();
    const loader = await q.open();
    await appendTasks(
      loader,
      Array.from({ length: 40 }, (_, i) => ({ id: `t${i}`, type: 't' })),
    );
    const stores = await Promise.all([q.open(), q.open()]);
    // Each task costs $1; the budget is $5; four workers have at most four tasks in flight.
    const claims = (await Promise.all(Array.from({ length: 4 }, (_, w) => drain(stores[w % 2]!, w + 1, { maxCostUsd: 5 })))).flat();
    await loader.refresh();
    const { meta, findings } = loader.read();
    expect(findings.length).toBe(claims.length);
    expect(meta.cost_usd).toBe(claims.length);
    expect(claims.length).toBeGreaterThanOrEqual(5);
    expect(claims.length).toBeLessThanOrEqual(5 + 4);
    expect(meta.stop?.reason).toBe('budget');
    // `status` shows the cost every machine recorded, counted by the database.
    const view = await gatherStatus(loader);
    expect(view).toMatchObject({ cost_usd: claims.length, counts: { completed: claims.length, pending: 40 - claims.length } });
    for (const s of [loader, ...stores]) await s.close();
  }, 30_000);

  it("wakes another store's idle watch within milliseconds of a task being added", async () => {
    const q = await fresh();
    const idle = await q.open();
    const adder = await q.open();
    const watch = idle.watch();
    expect(watch.arm()).toBe(true);
    // The LISTEN connection comes up in the background; its first notice says "look once more".
    await watch.wait(5000);
    watch.clear();
    const started = Date.now();
    const woken = watch.wait(10_000).then(() => Date.now() - started);
    await appendTasks(adder, [{ id: 'new', type: 't' }]);
    expect(await woken).toBeLessThan(2000);
    watch.close();
    await idle.close();
    await adder.close();
  });

  it('goes on when the server terminates its connection (pg_terminate_backend)', async () => {
    const q = await fresh();
    const s = await q.open();
    await appendTasks(s, [{ id: 'a', type: 't' }]);
    await withClient(q.url, (c) =>
      c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'ralph' AND pid <> pg_backend_pid()"),
    );
    await appendTasks(s, [{ id: 'b', type: 't' }]);
    await s.refresh();
    expect(s.read().tasks.map((t) => t.id)).toEqual(['a', 'b']);
    await s.close();
  });

  it('the merge lock is held by one store at a time across stores, and let go when its holder loses its connection', async () => {
    const q = await fresh();
    const [one, two] = [await q.open(), await q.open()];
    const held = await one.mergeLock().acquire('merge a');
    let second = false;
    const waiting = two
      .mergeLock()
      .acquire('merge b')
      .then((handle) => {
        second = true;
        return handle;
      });
    await new Promise((r) => setTimeout(r, 300));
    expect(second).toBe(false);
    await held.release();
    const next = await waiting;
    // Its holder's connection ends (a machine gone mid-merge): the server lets go, the next one goes on.
    let thirdHeld = false;
    const third = one
      .mergeLock()
      .acquire('merge c')
      .then((handle) => {
        thirdHeld = true;
        return handle;
      });
    await new Promise((r) => setTimeout(r, 300));
    expect(thirdHeld).toBe(false);
    const terminated = await withClient(q.url, (c) =>
      c.query("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()"),
    );
    expect(terminated.rowCount).toBe(1);
    await (await third).release();
    await next.release();
    await Promise.all([one.close(), two.close()]);
  });

  it("keeps a run's view current by reading only what changed, and reads everything again after a reset", async () => {
    const q = await fresh();
    const watcher = await q.open();
    const loader = await q.open();
    await appendTasks(
      loader,
      Array.from({ length: 200 }, (_, i) => ({ id: `t${i}`, type: 't' })),
    );
    const stores = await Promise.all([q.open(), q.open()]);
    let looking = true;
    const looks = (async () => {
      let n = 0;
      while (looking) {
        await watcher.refresh();
        n++;
      }
      return n;
    })();
    await Promise.all(Array.from({ length: 4 }, (_, w) => drain(stores[w % 2]!, w + 1)));
    looking = false;
    expect(await looks).toBeGreaterThan(3);
    await watcher.refresh();
    const whole = await q.open();
    await whole.refresh();
    expect(watcher.read()).toEqual(whole.read());
    expect(watcher.read().findings.length).toBe(200);
    await appendTasks(loader, [{ id: 'after-reset', type: 't' }], { reset: true });
    await watcher.refresh();
    expect(watcher.read().tasks.map((t) => t.id)).toEqual(['after-reset']);
    expect(watcher.read().findings).toEqual([]);
    for (const s of [watcher, loader, whole, ...stores]) await s.close();
  }, 30_000);

  it('reads and writes a step by the indexes, not by a scan of the queue (the generic plans every call uses)', async () => {
    const q = await fresh();
    const s = await q.open();
    await appendTasks(
      s,
      Array.from({ length: 3000 }, (_, i) => ({ id: `t${i}`, type: 't' })),
    );
    await s.close();
    const { LoadedTransaction } = await import('../../src/store/pg/loaded-tx.js');
    const { load } = await import('../../src/store/pg/load.js');
    const { write } = await import('../../src/store/pg/write.js');
    await withClient(q.url, async (client) => {
      await client.query('SET plan_cache_mode = force_generic_plan');
      await client.query('BEGIN');
      const first = new LoadedTransaction(await load(client as never, 'default', { all: false, step: true, claims: 2 }));
      workerStep(first, config(1), { pid: 1, host: 'test-host', token: 'tok1', stopping: false }, ctx);
      await write(client as never, 'default', first);
      // A worker's step: it reports one task and claims the next (an update of each, a finding added).
      const statements: Array<{ name?: string; text: string; values?: unknown[] }> = [];
      const recording = {
        query: (config: { name?: string; text: string; values?: unknown[] }) => {
          statements.push(config);
          return client.query(config);
        },
      };
      const second = new LoadedTransaction(await load(recording as never, 'default', { all: false, step: true, claims: 2, ids: ['t0'] }));
      workerStep(second, config(1), { pid: 1, host: 'test-host', token: 'tok2', stopping: false, report: ok('t0', 'tok1') }, ctx);
      await write(recording as never, 'default', second);
      expect(statements.map((st) => st.name)).toEqual(['ralph-load-s2i', 'ralph-write-ur']);
      const literal = (value: unknown): string =>
        Array.isArray(value) ? `ARRAY[${value.map(literal).join(', ')}]` : typeof value === 'number' ? String(value) : client.escapeLiteral(String(value));
      for (const statement of statements) {
        // The statement as prepared on this connection, with its generic plan.
        const { rows } = await client.query(`EXPLAIN (FORMAT JSON) EXECUTE "${statement.name}"(${statement.values!.map(literal).join(', ')})`);
        const plan = JSON.stringify(rows[0]['QUERY PLAN']);
        expect(plan).toContain('"Relation Name":"ralph_tasks"');
        expect(plan, statement.name).not.toContain('"Node Type":"Seq Scan"');
      }
      await client.query('ROLLBACK');
    });
  });

  it('applies a batch of bodies in one database transaction: each sees those before it, one that throws changes nothing', async () => {
    const q = await fresh();
    const s = await q.open();
    await appendTasks(s, [
      { id: 'a', type: 't' },
      { id: 'b', type: 't' },
      { id: 'c', type: 't' },
    ]);
    const requests = [1, 2, 3].map((w) => ({ pid: w, host: 'test-host', token: `tok${w}`, stopping: false }));
    const results = await s.transactEach(
      [
        (tx) => workerStep(tx, config(1), requests[0]!, { ...ctx, sessions: s.sessions }),
        (tx) => {
          workerStep(tx, config(2), requests[1]!, { ...ctx, sessions: s.sessions });
          throw new Error('this body fails after claiming');
        },
        (tx) => workerStep(tx, config(3), requests[2]!, { ...ctx, sessions: s.sessions }),
      ],
      'batch',
      requests.map((r) => stepScope(r)),
    );
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const claimed = results.map((r) => (r.status === 'fulfilled' ? r.value.claimed?.id : undefined));
    // The third body saw the first's claim (it took the next task), not the failed body's.
    expect(claimed).toEqual(['a', undefined, 'b']);
    await s.refresh();
    expect(s.read().tasks.map((t) => [t.id, t.status, t.worker_id ?? null])).toEqual([
      ['a', 'claimed', 1],
      ['b', 'claimed', 3],
      ['c', 'pending', null],
    ]);
    await s.close();
  });

  it("holds back every store's claims while a usage limit one worker ran into is in force", async () => {
    const q = await fresh();
    const a = await q.open();
    const b = await q.open();
    await appendTasks(a, [
      { id: 'x', type: 't' },
      { id: 'y', type: 't' },
    ]);
    const token = newToken();
    const first = await step(a, config(1), { pid: 1, host: 'test-host', token, stopping: false });
    expect(first.claimed?.id).toBe('x');
    const resetsAt = new Date(Date.now() + 3_600_000).toISOString();
    const limited = await step(a, config(1), {
      pid: 1,
      host: 'test-host',
      token: newToken(),
      stopping: false,
      report: {
        taskId: 'x',
        token,
        interrupted: false,
        usageLimit: { message: 'usage limit reached', resetsAt },
        outcome: { ok: false, finding: '', exitCode: 1, signal: null, durationMs: 1, reason: 'usage-limit', error: 'usage limit reached' },
      },
    });
    expect(limited.decision?.kind).toBe('deferred');
    // Another machine's worker: nothing claimed, told to wait until the reset.
    const other = await step(b, config(2), { pid: 2, host: 'test-host', token: newToken(), stopping: false });
    expect(other.claimed).toBeUndefined();
    expect(other.block).toMatchObject({ kind: 'waiting', note: { agent: 'fake', resets_at: resetsAt } });
    expect(other.waitingUntilMs).toBeGreaterThan(Date.now() + 3_000_000);
    await a.close();
    await b.close();
  });

  it.each(['committed', 'rolled back'] as const)('records a report and its cost once when the answer to its COMMIT is lost (the COMMIT %s)', async (fault) => {
    const q = await fresh();
    const s = await q.open();
    await appendTasks(s, [{ id: 'a', type: 't' }]);
    const token = newToken();
    expect((await step(s, config(1), { pid: 1, host: 'test-host', token, stopping: false })).claimed?.id).toBe('a');
    PgStore.faults.commits = [fault];
    const reported = await step(s, config(1), { pid: 1, host: 'test-host', token: newToken(), stopping: true, report: ok('a', token, 2) });
    expect(PgStore.faults.commits).toEqual([]);
    // Committed: the answer stands; rolled back: the step ran again. Either way, once.
    expect(reported.decision?.kind).toBe('completed');
    await s.refresh();
    expect(s.read().findings.map((f) => f.task_id)).toEqual(['a']);
    expect(s.read().meta.cost_usd).toBe(2);
    await s.close();
  });

  it('registers a worker id once when two machines register it at the same moment', async () => {
    const q = await fresh();
    const [a, b] = await Promise.all([q.open(), q.open()]);
    const session = (host: string) => ({
      worker_id: 7,
      status: 'idle' as const,
      registered: new Date().toISOString(),
      last_heartbeat: new Date().toISOString(),
      iteration: 0,
      findings: [],
      pid: 1234,
      host,
      current_task: null,
      agent_pgid: null,
      completed: 0,
      failed: 0,
      busy_ms: 0,
    });
    const check = (me: string) => (previous: { host: string } | undefined) => {
      if (previous && previous.host !== me) throw new Error(`held by ${previous.host}`);
    };
    const results = await Promise.allSettled([a.sessions.register(session('a'), check('a')), b.sessions.register(session('b'), check('b'))]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    await a.close();
    await b.close();
  });

  it('refuses the report of a task a reset took away (the step goes on; nothing recorded)', async () => {
    const q = await fresh();
    const s = await q.open();
    await appendTasks(s, [{ id: 'old', type: 't' }]);
    const token = newToken();
    expect((await step(s, config(1), { pid: 1, host: 'test-host', token, stopping: false })).claimed?.id).toBe('old');
    await appendTasks(s, [{ id: 'new', type: 't' }], { reset: true });
    const late = await step(s, config(1), { pid: 1, host: 'test-host', token: newToken(), stopping: false, report: ok('old', token) });
    expect(late.decision?.kind).toBe('refused');
    expect(late.claimed?.id).toBe('new');
    await s.close();
  });

  it('goes on while the server keeps terminating its connections, also between two statements of a transaction', async () => {
    const q = await fresh();
    const loader = await q.open();
    await appendTasks(
      loader,
      Array.from({ length: 150 }, (_, i) => ({ id: `k${i}`, type: 't' })),
    );
    const stores = await Promise.all([q.open(), q.open()]);
    let cutting = true;
    const cuts = (async () => {
      let n = 0;
      while (cutting) {
        await withClient(q.url, (c) =>
          c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'ralph' AND pid <> pg_backend_pid()"),
        );
        n++;
        await new Promise((r) => setTimeout(r, 15));
      }
      return n;
    })();
    const claims = (await Promise.all(Array.from({ length: 4 }, (_, w) => drain(stores[w % 2]!, w + 1)))).flat();
    cutting = false;
    expect(await cuts).toBeGreaterThan(5);
    expect(new Set(claims).size).toBe(150);
    await loader.refresh();
    expect(loader.read().findings.length).toBe(150);
    for (const s of [loader, ...stores]) await s.close();
  }, 60_000);

  it('claims past a higher-priority task another worker is claiming, without waiting on it', async () => {
    const q = await fresh();
    const s = await q.open();
    await appendTasks(s, [
      { id: 'urgent', type: 't', data: { priority: 'high' } },
      { id: 'plain', type: 't' },
    ]);
    // Another worker's claim in the making: its transaction holds the urgent task's row.
    await withClient(q.url, async (other) => {
      await other.query('BEGIN');
      await other.query("SELECT 1 FROM ralph_tasks WHERE id = 'urgent' FOR UPDATE");
      const claimed = await Promise.race([
        step(s, config(1), { pid: 1, host: 'test-host', token: newToken(), stopping: false }).then((r) => r.claimed?.id),
        new Promise((resolve) => setTimeout(() => resolve('still waiting after 3 s'), 3000)),
      ]);
      await other.query('ROLLBACK');
      expect(claimed).toBe('plain');
    });
    await s.close();
  });

  it('tells a paused worker that work is left while every pending task is locked by claims in the making', async () => {
    const q = await fresh();
    const s = await q.open();
    await appendTasks(s, [
      { id: 'a', type: 't' },
      { id: 'b', type: 't' },
    ]);
    await setPaused(s, true);
    // Other workers' steps in the making hold every pending row (they skip them, as this one does).
    await withClient(q.url, async (other) => {
      await other.query('BEGIN');
      await other.query("SELECT 1 FROM ralph_tasks WHERE status = 'pending' FOR UPDATE");
      const result = await Promise.race([
        step(s, config(1), { pid: 1, host: 'test-host', token: newToken(), stopping: false }),
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 3000)),
      ]);
      await other.query('ROLLBACK');
      // No run is live: a worker told that nothing is open would stop ("no work left").
      expect(result).toMatchObject({ open: true, live: false, block: { kind: 'paused' } });
      expect(result?.claimed).toBeUndefined();
    });
    await s.close();
  });

  it('selects, orders and pages tasks in SQL as the file store does in memory (queue list, the dashboard)', async () => {
    const q = await fresh();
    const s = await q.open();
    await s.transact((tx) => {
      for (const task of QUERY_TASKS) tx.put(task);
    });
    for (const query of QUERIES) {
      const filter = query as TaskQuery;
      const all = sortTasks(
        QUERY_TASKS.filter((t) => selects(t, filter)),
        filter.sort,
      );
      const from = filter.offset ?? 0;
      const expected = all.slice(from, filter.limit === undefined ? undefined : from + filter.limit).map((t) => t.id);
      expect(
        (await s.listTasks(filter)).map((t) => t.id),
        JSON.stringify(query),
      ).toEqual(expected);
    }
    await s.close();
  });

  it("counts the dashboard charts' history in SQL as the file store does in memory", async () => {
    const q = await fresh();
    const s = await q.open();
    await s.transact((tx) => {
      for (const task of HISTORY_TASKS) tx.put(task);
      for (const result of HISTORY_RESULTS) {
        if ('finding' in result) tx.addFinding(result as Finding);
        else tx.addIssue(result as Issue);
      }
    });
    const from = NOW.getTime() - 10_000;
    const expected = countSeries(HISTORY_TASKS, HISTORY_RESULTS, from, 2000);
    expect(expected.length).toBeGreaterThan(0);
    expect(await s.finishSeries(new Date(from), 2000)).toEqual(expected);
    await s.close();
  });
});
