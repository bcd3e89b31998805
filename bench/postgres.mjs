// The queue on PostgreSQL (`--queue URL`), measured next to the file store in `npm run bench`: the
// worker's step at 1,000 and 100,000 queued tasks, `ralph run --queue` against the file store and
// xargs, a task added → claimed by an idle worker of another "machine" (directory), a worker's peak
// memory and `ralph status` on 100,000 tasks. The server is the embedded one the tests use, or the
// one RALPH_BENCH_PG_URL names (a role that may create databases).
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startEmbeddedPostgres, withClient } from '../scripts/lib/embedded-postgres.mjs';
import { OK_OUTCOME, stepConfig } from './lib/step.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist', 'cli', 'bin.js');
const { PgStore } = await import(join(ROOT, 'dist', 'store', 'pg', 'pg-store.js'));
const { appendTasks } = await import(join(ROOT, 'dist', 'orchestrator', 'boot.js'));
const { stepScope, workerStep } = await import(join(ROOT, 'dist', 'worker', 'step.js'));

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const tasks = (n, prefix = 't') =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, type: 'noop', data: { i, note: 'a task of ordinary size with a little data' } }));

let databases = 0;
async function database(serverUrl) {
  const name = `ralph_bench_${process.pid}_${++databases}`;
  await withClient(serverUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** `workers` workers of one process stepping through `ops` tasks (report + reap + claim each); ms per task. */
async function steps(store, ops, workers) {
  const context = { sessions: store.sessions, isAlive: () => true, host: 'bench' };
  let left = ops;
  let n = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      let report;
      for (;;) {
        const token = `tok${w}-${n++}`;
        const stopping = left-- <= 0;
        const request = { pid: process.pid, host: 'bench', token, stopping, ...(report ? { report } : {}) };
        const result = await store.transact((tx) => workerStep(tx, stepConfig(600_000, w + 1), request, context), 'bench', stepScope(request));
        if (stopping || !result.claimed) return;
        report = { taskId: result.claimed.id, token, interrupted: false, outcome: OK_OUTCOME };
      }
    }),
  );
  return (performance.now() - t0) / ops;
}

function ralphRun(dir, args) {
  const t0 = performance.now();
  const run = spawnSync(process.execPath, [CLI, 'run', '--tasks', 'tasks.json', '--workers', '8', '--agent-cmd', 'true', '--json', ...args], {
    cwd: dir,
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`ralph run ${args.join(' ')} failed: ${run.stderr}`);
  return 1000 / ((performance.now() - t0) / 1000);
}

export async function postgresBench({ row, temp }) {
  const given = process.env.RALPH_BENCH_PG_URL;
  const server = given ? { url: given, stop: async () => undefined } : await startEmbeddedPostgres({ user: 'ralph_bench', password: 'bench-only' });
  try {
    console.error('postgres: the queue on PostgreSQL (loopback)');
    // 1. The worker's step, one worker and eight at once, on 1,000 and 100,000 queued tasks.
    const perTask = {};
    const queues = {};
    for (const size of [1000, 100_000]) {
      const url = await database(server.url);
      const store = await PgStore.open(url, 'default', temp(), { create: true });
      const t0 = performance.now();
      for (let i = 0; i < size; i += 20_000) await appendTasks(store, tasks(Math.min(20_000, size - i), `t${i}-`));
      const loadSeconds = (performance.now() - t0) / 1000;
      await steps(store, 100, 1); // warm: connections made, statements planned
      const one = await steps(store, 400, 1);
      const eight = await steps(store, 400, 8);
      perTask[size] = { one, eight };
      row(
        `postgres: claim + report with ${size} tasks queued, one worker (ms per task; loading them took ${loadSeconds.toFixed(1)} s)`,
        one.toFixed(2),
        '<= 2 ms',
        one <= 2 ? 'yes' : 'NO',
      );
      row(`postgres: the same, eight workers at once (ms per task)`, eight.toFixed(2), '<= 2 ms', eight <= 2 ? 'yes' : 'NO');
      queues[size] = url;
      await store.close();
    }
    const ratio = perTask[1000].one / perTask[100_000].one;
    row('postgres: step rate at 100,000 / rate at 1,000 (one worker)', ratio.toFixed(2), '>= 0.8', ratio >= 0.8 ? 'yes' : 'NO');

    // 2. `ralph status --queue` and a worker's peak memory on the 100,000-task queue.
    const s0 = performance.now();
    const status = spawnSync(process.execPath, [CLI, 'status', '--queue', queues[100_000], '--json'], { encoding: 'utf8', cwd: temp() });
    const statusSeconds = (performance.now() - s0) / 1000;
    if (status.status !== 0) throw new Error(`ralph status failed: ${status.stderr}`);
    row('postgres: ralph status on 100,000 tasks (s, the whole command)', statusSeconds.toFixed(2), '<= 1 s', statusSeconds <= 1 ? 'yes' : 'NO');
    // A page of the tasks as the dashboard and `queue list` ask for it, at 100,000 (sorted, filtered, far in).
    const lister = await PgStore.open(queues[100_000], 'default', temp());
    const pageMs = [];
    for (const query of [{ sort: 'duration' }, { text: 't4' }, { status: 'pending', sort: 'id' }, { sort: 'finished', offset: 50_000 }]) {
      const p0 = performance.now();
      await lister.listTasks({ ...query, limit: 100 });
      pageMs.push(performance.now() - p0);
    }
    const h0 = performance.now();
    await lister.finishSeries(new Date(Date.now() - 3_600_000), 15_000);
    const historyMs = performance.now() - h0;
    await lister.close();
    row(
      "postgres: the dashboard charts' history of 100,000 tasks, an hour in 240 buckets (ms)",
      historyMs.toFixed(0),
      '<= 500 ms',
      historyMs <= 500 ? 'yes' : 'NO',
    );
    row(
      'postgres: a page of 100 tasks of 100,000, sorted, filtered by text, by status, 50,000 in (ms, the slowest)',
      Math.max(...pageMs).toFixed(0),
      '<= 500 ms',
      Math.max(...pageMs) <= 500 ? 'yes' : 'NO',
    );
    // A worker started by hand (as on another machine), running no-op tasks as fast as it can for 4 s.
    const peak = async (url) => {
      const worker = spawn(process.execPath, [CLI, 'worker', '--queue', url, '--id', '900', '--agent-cmd', 'true'], { cwd: temp(), stdio: 'ignore' });
      await sleep(4000);
      const exited = worker.exitCode !== null || worker.signalCode !== null ? Promise.resolve() : new Promise((r) => worker.on('exit', r));
      worker.kill('SIGTERM');
      await exited;
      return withClient(url, async (c) => (await c.query('SELECT session FROM ralph_sessions WHERE worker_id = 900')).rows[0]?.session);
    };
    // The small queue, stepped through above, gets 1,000 tasks more: both workers have enough to do for 4 s.
    const refill = await PgStore.open(queues[1000], 'default', temp());
    await appendTasks(refill, tasks(1000, 'more-'));
    await refill.close();
    const [small, large] = [await peak(queues[1000]), await peak(queues[100_000])];
    const mib = (s) => ((s?.max_rss_kb ?? 0) / 1024).toFixed(1);
    row(
      `postgres: peak RSS of a worker, ~1,000 / 100,000 queued (MiB; it ran ${small?.completed ?? '?'} / ${large?.completed ?? '?'} no-op tasks in 4 s)`,
      `${mib(small)} / ${mib(large)}`,
      '<= 80 MiB',
      (large?.max_rss_kb ?? Infinity) <= 80 * 1024 ? 'yes' : 'NO',
    );

    // 3. `ralph run`, 8 workers, 1,000 no-op tasks: on PostgreSQL, on the file store, and xargs -P 8.
    const rates = { pg: [], file: [], xargs: [] };
    for (let round = 0; round < 3; round++) {
      const pgDir = temp();
      writeFileSync(join(pgDir, 'tasks.json'), JSON.stringify(tasks(1000)));
      rates.pg.push(ralphRun(pgDir, ['--queue', await database(server.url)]));
      const fileDir = temp();
      writeFileSync(join(fileDir, 'tasks.json'), JSON.stringify(tasks(1000)));
      rates.file.push(ralphRun(fileDir, []));
      // On a quiet machine: right after a run, its exiting processes and the server's own work
      // (statistics, WAL) slowed xargs and made the ratio look better than it is.
      await sleep(1000);
      const x0 = performance.now();
      spawnSync('sh', ['-c', 'seq 1000 | xargs -P 8 -I{} sh -c true']);
      rates.xargs.push(1000 / ((performance.now() - x0) / 1000));
    }
    const [pgRate, fileRate, xargsRate] = [median(rates.pg), median(rates.file), median(rates.xargs)];
    row('postgres: ralph run --queue, no-op agent, 1,000 tasks, 8 workers (tasks/s)', pgRate.toFixed(0));
    row('postgres: the same on the file store, and xargs -P 8 (tasks/s)', `${fileRate.toFixed(0)} / ${xargsRate.toFixed(0)}`);
    row('postgres: ralph run --queue / xargs', (pgRate / xargsRate).toFixed(2), '>= 0.25', pgRate / xargsRate >= 0.25 ? 'yes' : 'NO');

    // 4. A task added → claimed by an idle worker of another machine (its own directory), woken by LISTEN/NOTIFY.
    const url = await database(server.url);
    const store = await PgStore.open(url, 'default', temp(), { create: true });
    // A run of another host is live: idle workers wait for tasks instead of stopping.
    await store.transact((tx) =>
      tx.setMeta({ active: true, worker_count: 4, run: { started_at: new Date().toISOString(), workers: 4, pid: 1, host: 'elsewhere' } }),
    );
    const machine = temp();
    const workers = Array.from({ length: 4 }, (_, i) =>
      spawn(process.execPath, [CLI, 'worker', '--queue', url, '--id', String(i + 1), '--agent-cmd', 'true', '--dir', join(machine, '.ralph')], {
        cwd: machine,
        stdio: 'ignore',
      }),
    );
    try {
      await sleep(2000);
      const latencies = [];
      for (let i = 0; i < 40; i++) {
        const id = `lat-${i}`;
        await appendTasks(store, [{ id, type: 'noop' }]);
        for (;;) {
          const row = await withClient(url, async (c) => (await c.query('SELECT task FROM ralph_tasks WHERE id = $1', [id])).rows[0]?.task);
          if (row?.status === 'completed') {
            latencies.push(Date.parse(row.completed_at) - (row.duration_ms ?? 0) - Date.parse(row.added_at));
            break;
          }
          if (row?.claimed_at) {
            latencies.push(Date.parse(row.claimed_at) - Date.parse(row.added_at));
            break;
          }
          await sleep(2);
        }
        await sleep(40);
      }
      const m = median(latencies);
      row('postgres: task added → claimed by an idle worker of another machine (median ms)', String(m), '<= 50 ms', m <= 50 ? 'yes' : 'NO');
    } finally {
      for (const w of workers) w.kill('SIGTERM');
      await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r() : w.on('exit', r)))));
      await store.close();
    }
  } finally {
    await server.stop();
  }
}
