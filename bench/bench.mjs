#!/usr/bin/env node
// `npm run bench`: the speed figures of the orchestration mode, measured in one run on this machine.
// Targets are printed next to each figure; they are not asserted (timing belongs here, not in tests).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { OK_OUTCOME, stepConfig } from './lib/step.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist', 'cli', 'bin.js');
const { FileStore } = await import(join(ROOT, 'dist', 'store', 'file-store.js'));
const { appendTasks } = await import(join(ROOT, 'dist', 'orchestrator', 'boot.js'));
const { retryTask } = await import(join(ROOT, 'dist', 'queue', 'outcome.js'));
const { workerStep } = await import(join(ROOT, 'dist', 'worker', 'step.js'));
const { HOST } = await import(join(ROOT, 'dist', 'process', 'machine.js'));
const { spawnBackend } = await import(join(ROOT, 'dist', 'process', 'spawn.js'));

const scratch = [];
function temp() {
  const dir = mkdtempSync(join(tmpdir(), 'ralph-bench-'));
  scratch.push(dir);
  return dir;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const rows = [];
const row = (metric, value, target = '', ok = '') => {
  rows.push([metric, value, target, ok]);
  console.error(`  ${metric}: ${value}`);
};

// 1. Throughput: `ralph run` with a no-op agent vs xargs -P 8 spawning the same command.
// What any design with Node worker processes can reach here: 8 Node processes spawning the agent
// with nothing else to do (no queue, no lock, no log), through Ralph's own spawn layer: with
// Node's child_process (a fork() of the Node process per spawn) and with the native posix_spawn helper.
const SPAWN_LOOP = `
const { spawnDetached } = await import(process.env.SPAWN_MODULE);
let left = Number(process.argv[1]);
const next = () => { if (left-- <= 0) return;
  const c = spawnDetached('/bin/sh', ['-c', 'true'], { cwd: process.cwd(), env: process.env, input: 'prompt' }, process.env.SPAWN_BACKEND);
  c.stdout.on('data', () => {}); c.stderr.on('data', () => {}); c.on('close', next); };
next();`;

function nodeSpawnFloor(tasks, workers, backend) {
  const t0 = performance.now();
  const per = Math.ceil(tasks / workers);
  const script = `${Array.from({ length: workers }, () => `"${process.execPath}" --input-type=module -e "$LOOP" ${per} &`).join(' ')} wait`;
  const env = { ...process.env, LOOP: SPAWN_LOOP, SPAWN_MODULE: join(ROOT, 'dist', 'process', 'spawn.js'), SPAWN_BACKEND: backend };
  const run = spawnSync('sh', ['-c', script], { env });
  if (run.status !== 0) throw new Error(`spawn floor failed: ${run.stderr}`);
  return tasks / ((performance.now() - t0) / 1000);
}

// RALPH_BENCH_TTY=1: `ralph run` with its stderr on a pseudo-terminal (its live view drawn), not a pipe.
const TTY = process.env.RALPH_BENCH_TTY === '1';
const onTerminal = (argv) => (TTY ? ['python3', [join(ROOT, 'bench', 'pty-stderr.py'), ...argv]] : [argv[0], argv.slice(1)]);

function ralphRun(tasks, workers) {
  const dir = temp();
  writeFileSync(join(dir, 'tasks.json'), JSON.stringify({ tasks: Array.from({ length: tasks }, (_, i) => ({ id: `t${i}`, type: 'noop' })) }));
  const t0 = performance.now();
  const run = spawnSync(...onTerminal([process.execPath, CLI, 'run', '--tasks', 'tasks.json', '--workers', String(workers), '--agent-cmd', 'true', '--json']), {
    cwd: dir,
    encoding: 'utf8',
  });
  const seconds = (performance.now() - t0) / 1000;
  if (run.status !== 0) throw new Error(`ralph run failed: ${run.stderr}`);
  const summary = JSON.parse(run.stdout);
  if (summary.counts.completed !== tasks) throw new Error(`only ${summary.counts.completed} tasks completed`);
  return { rate: tasks / seconds, dir, summary };
}

async function throughput(tasks = 1000, workers = 8, rounds = 5) {
  console.error(`throughput: ${tasks} tasks, ${workers} workers, ${rounds} rounds each`);
  const ralphRates = [];
  const xargsRates = [];
  let rss;
  const floorRates = [];
  const nativeFloorRates = [];
  const native = spawnBackend().backend === 'posix_spawn';
  const twoWorkerRates = [];
  for (let r = 0; r < rounds; r++) {
    const { rate, dir, summary } = ralphRun(tasks, workers);
    ralphRates.push(rate);
    const sessions = readdirSync(join(dir, '.ralph', 'sessions')).map((f) => JSON.parse(readFileSync(join(dir, '.ralph', 'sessions', f), 'utf8')));
    rss = { orchestrator: summary.run.max_rss_kb, worker: Math.max(...sessions.map((s) => s.max_rss_kb ?? 0)) };
    twoWorkerRates.push(ralphRun(tasks, 2).rate);
    floorRates.push(nodeSpawnFloor(tasks, workers, 'child_process'));
    if (native) nativeFloorRates.push(nodeSpawnFloor(tasks, workers, 'posix_spawn'));

    const x0 = performance.now();
    const xargs = spawnSync('sh', ['-c', `seq ${tasks} | xargs -P ${workers} -I{} sh -c true`]);
    if (xargs.status !== 0) throw new Error('xargs failed');
    xargsRates.push(tasks / ((performance.now() - x0) / 1000));
  }
  const ours = median(ralphRates);
  const theirs = median(xargsRates);
  row(
    `ralph run, no-op agent, ${tasks} tasks, ${workers} workers (tasks/s, wall clock incl. boot+report; agents started with ${spawnBackend().backend})`,
    ours.toFixed(0),
  );
  row(`xargs -P ${workers} spawning sh -c true ${tasks} times (tasks/s)`, theirs.toFixed(0));
  row(`ralph run, same, 2 workers (tasks/s)`, median(twoWorkerRates).toFixed(0));
  row(`floor: ${workers} bare Node processes spawning sh -c true with child_process, nothing else (tasks/s)`, median(floorRates).toFixed(0));
  if (native) row(`floor: the same with posix_spawn (tasks/s)`, median(nativeFloorRates).toFixed(0));
  row('ralph / xargs', `${(ours / theirs).toFixed(2)}`, '>= 0.33', ours / theirs >= 1 / 3 ? 'yes' : 'NO');
  return rss;
}

// 2. Coordination cost: claim + report through the real store, no agent, on queues of N tasks.
async function coordination(sizes = [100, 1000, 10000], ops = 1000) {
  console.error(`coordination: claim + report as a worker's step does it (one transaction), ${ops} tasks per queue size`);
  const config = stepConfig(60_000);
  const rates = {};
  for (const n of sizes) {
    const dir = join(temp(), '.ralph');
    const store = new FileStore(dir);
    store.ensure();
    const context = { sessions: store.sessions, isAlive: () => true, host: HOST };
    await appendTasks(
      store,
      Array.from({ length: n }, (_, i) => ({ id: `t${i}`, type: 'noop', data: { i, note: 'a task of ordinary size with a little data' } })),
    );
    store.read();
    let elapsed = 0;
    let step = 0;
    for (let done = 0; done < ops; ) {
      const t0 = performance.now();
      const batch = Math.min(ops - done, n);
      // Each step reports the task the one before it claimed, and claims the next: one per task.
      let last;
      for (let i = 0; i <= batch; i++) {
        const token = `tok${step++}`;
        const report = last ? { taskId: last.id, token: last.claim_token, interrupted: false, outcome: OK_OUTCOME } : undefined;
        const stopping = i === batch;
        const result = await store.transact((tx) =>
          workerStep(tx, config, { pid: process.pid, host: HOST, token, stopping, ...(report ? { report } : {}) }, context),
        );
        last = result.claimed;
      }
      elapsed += performance.now() - t0;
      done += batch;
      if (done < ops)
        await store.transact((tx) => {
          for (const t of tx.tasks) tx.put(retryTask({ ...t, status: 'failed' }));
        });
    }
    const perTask = elapsed / ops;
    rates[n] = 1000 / perTask;
    row(
      `claim + report with ${n} tasks in the queue (ms per task)`,
      perTask.toFixed(3),
      n === 1000 ? '<= 2 ms' : '',
      n === 1000 ? (perTask <= 2 ? 'yes' : 'NO') : '',
    );
  }
  const ratio = rates[sizes.at(-1)] / rates[sizes[0]];
  row(`rate at ${sizes.at(-1)} / rate at ${sizes[0]}`, ratio.toFixed(2), '>= 0.5', ratio >= 0.5 ? 'yes' : 'NO');
}

// 3. Latency from adding a task to an idle pool until a worker claims it.
async function claimLatency(workers = 4, samples = 40) {
  console.error(`claim latency: ${workers} idle workers, ${samples} tasks added one at a time`);
  const cwd = temp();
  const dir = join(cwd, '.ralph');
  const store = new FileStore(dir);
  store.ensure();
  await store.transact((tx) => tx.setMeta({ active: true, worker_count: workers }));
  const children = Array.from({ length: workers }, (_, i) =>
    spawn(process.execPath, [CLI, 'worker', '--id', String(i + 1), '--agent-cmd', 'true'], { cwd, stdio: 'ignore' }),
  );
  try {
    const sessionsDir = join(dir, 'sessions');
    const deadline = Date.now() + 20_000;
    while (readdirSync(sessionsDir).length < workers && Date.now() < deadline) await sleep(20);
    await sleep(300);
    const latencies = [];
    for (let i = 0; i < samples; i++) {
      const id = `lat-${i}`;
      await appendTasks(store, [{ id, type: 'noop' }]);
      const find = () => store.read().tasks.find((t) => t.id === id);
      let task = find();
      while (!task?.claimed_at && task?.status !== 'completed') {
        await sleep(2);
        task = find();
      }
      // A fast agent may finish before we look: the claim is then gone from the task, and the agent's
      // start (completion minus its duration, a few ms after the claim) stands in for it.
      const claimedAt = task.claimed_at ? Date.parse(task.claimed_at) : Date.parse(task.completed_at) - (task.duration_ms ?? 0);
      latencies.push(claimedAt - Date.parse(task.added_at));
      while (store.read().tasks.find((t) => t.id === id)?.status !== 'completed') await sleep(5);
      await sleep(30);
    }
    const m = median(latencies);
    row(`task added → claimed by an idle pool (median ms; p90 ${pct(latencies, 0.9)} ms)`, String(m), '<= 100 ms', m <= 100 ? 'yes' : 'NO');
  } finally {
    await store.transact((tx) => tx.setMeta({ active: false }));
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r() : c.on('exit', r)))));
  }
}

// 4. Worktree isolation: the added cost per task (branch from the base tip, worktree checkout, commit
// of what the agent left, merge into the base) on a repository of ~1,000 files, next to the same run
// without isolation. Each task's agent changes one file.
function gitIn(cwd, ...args) {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

function worktreeRepo(files) {
  const dir = temp();
  gitIn(dir, 'init', '-q', '-b', 'main');
  gitIn(dir, 'config', 'user.email', 'bench@example.com');
  gitIn(dir, 'config', 'user.name', 'bench');
  for (let i = 0; i < files; i++) {
    const sub = join(dir, 'src', `d${i % 40}`);
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `f${i}.txt`), `file ${i}\n${'x'.repeat(200)}\n`);
  }
  writeFileSync(
    join(dir, 'agent.sh'),
    '#!/bin/sh\nn=${RALPH_TASK_ID#t}\necho "changed by $RALPH_TASK_ID" >> "src/d$((n % 40))/f$n.txt"\necho "FINDINGS: changed f$n"\n',
  );
  chmodSync(join(dir, 'agent.sh'), 0o755);
  gitIn(dir, 'add', '-A');
  gitIn(dir, 'commit', '-q', '-m', 'seed');
  writeFileSync(join(dir, 'tasks.json'), JSON.stringify({ tasks: Array.from({ length: TASKS_WT }, (_, i) => ({ id: `t${i}`, type: 'edit' })) }));
  return dir;
}

const TASKS_WT = 40;
function timedRun(dir, extra) {
  const t0 = performance.now();
  const run = spawnSync(process.execPath, [CLI, 'run', '--tasks', 'tasks.json', '--workers', '1', '--agent-cmd', './agent.sh', '--json', ...extra], {
    cwd: dir,
    encoding: 'utf8',
  });
  const ms = performance.now() - t0;
  if (run.status !== 0) throw new Error(`ralph run ${extra.join(' ')} failed: ${run.stderr}`);
  return { ms, summary: JSON.parse(run.stdout) };
}

async function worktreeOverhead(files = 1000, rounds = 3) {
  console.error(`worktree isolation: ${files} files, ${TASKS_WT} tasks, 1 worker, ${rounds} rounds`);
  const plain = [];
  const isolated = [];
  let worktrees = 0;
  let merged = 0;
  for (let r = 0; r < rounds; r++) {
    plain.push(timedRun(worktreeRepo(files), []).ms);
    const dir = worktreeRepo(files);
    const { ms, summary } = timedRun(dir, ['--isolate', 'worktree']);
    isolated.push(ms);
    merged = summary.git.counts.merged;
    worktrees =
      gitIn(dir, 'worktree', 'list', '--porcelain')
        .split('\n')
        .filter((l) => l.startsWith('worktree ')).length - 1;
    if (gitIn(dir, 'ls-files', '-m') !== '') throw new Error('the checkout was not brought along');
  }
  const perTask = (median(isolated) - median(plain)) / TASKS_WT;
  row(`run without isolation, ${TASKS_WT} tasks on a ${files}-file repo (ms per task)`, (median(plain) / TASKS_WT).toFixed(1));
  row(`run with --isolate worktree, same (ms per task; ${merged} merged, ${worktrees} worktree(s) made and reused)`, (median(isolated) / TASKS_WT).toFixed(1));
  row(
    'added cost of worktree isolation per task (ms; branch + checkout + commit + merge)',
    perTask.toFixed(1),
    '< 1000 ms',
    perTask < 1000 && worktrees === 1 ? 'yes' : 'NO',
  );
}

// 5. Writes per task on a big queue: 4 workers, agents that take 5 s, for 40 s, on queues of 1,000
// and 50,000 tasks (run side by side). Bytes written are what the run and its workers pass to
// write() (/proc/<pid>/io wchar: state files, logs, sessions, prompts), from the first completed
// task to just before the run's end (the run folds the journal into the snapshots once at its end).
const WRITES_SECONDS = 40;
function ioWritten(pid) {
  try {
    return Number(/^wchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))[1]);
  } catch {
    return 0;
  }
}
async function writesOnQueue(size) {
  const dir = temp();
  const tasks = Array.from({ length: size }, (_, i) => ({ id: `task-${String(i).padStart(6, '0')}`, type: 'review', data: { file: `src/module-${i}.ts` } }));
  writeFileSync(join(dir, 'tasks.json'), JSON.stringify({ tasks }));
  const run = spawn(
    process.execPath,
    [
      CLI,
      'run',
      '--tasks',
      'tasks.json',
      '--workers',
      '4',
      '--agent-cmd',
      'sleep 5; echo "FINDINGS: reviewed $RALPH_TASK_ID"',
      '--timeout',
      String(WRITES_SECONDS),
      '--json',
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // Read to the end: ralph waits for its output to be taken before it exits.
  run.stdout.resume();
  run.stderr.resume();
  const done = new Promise((res) => run.on('close', res));
  const started = Date.now();
  const pids = () => {
    try {
      return [
        run.pid,
        ...readdirSync(join(dir, '.ralph', 'sessions'))
          .filter((f) => f.endsWith('.session'))
          .map((f) => JSON.parse(readFileSync(join(dir, '.ralph', 'sessions', f), 'utf8')).pid),
      ];
    } catch {
      return [run.pid];
    }
  };
  const completed = () => {
    try {
      return new FileStore(join(dir, '.ralph')).read().tasks.filter((t) => t.status === 'completed').length;
    } catch {
      return 0;
    }
  };
  const sample = () => ({ bytes: pids().reduce((sum, pid) => sum + ioWritten(pid), 0), completed: completed() });
  let first;
  while (!first) {
    await sleep(250);
    const now = sample();
    if (now.completed > 0) first = now;
  }
  await sleep(Math.max(0, started + (WRITES_SECONDS - 2) * 1000 - Date.now()));
  const last = sample();
  await done;
  const sessions = readdirSync(join(dir, '.ralph', 'sessions')).map((f) => JSON.parse(readFileSync(join(dir, '.ralph', 'sessions', f), 'utf8')));
  return {
    perTask: (last.bytes - first.bytes) / (last.completed - first.completed),
    tasks: last.completed - first.completed,
    rss: Math.max(...sessions.map((s) => s.max_rss_kb ?? 0)),
  };
}

async function writeAmplification() {
  console.error(`writes per task: 4 workers, 5 s agents, ${WRITES_SECONDS} s, on 1,000 and 50,000 queued tasks (side by side)`);
  const [small, big] = await Promise.all([writesOnQueue(1000), writesOnQueue(50000)]);
  const kib = (b) => (b / 1024).toFixed(1);
  row(`bytes written per completed task, 1,000 queued (KiB; ${small.tasks} tasks)`, kib(small.perTask));
  row(`bytes written per completed task, 50,000 queued (KiB; ${big.tasks} tasks)`, kib(big.perTask), '<= 64 KiB', big.perTask <= 64 * 1024 ? 'yes' : 'NO');
  row('ratio 50,000 / 1,000', (big.perTask / small.perTask).toFixed(2), '<= 2', big.perTask / small.perTask <= 2 ? 'yes' : 'NO');
  row('peak RSS of one worker, 1,000 / 50,000 queued (MiB)', `${(small.rss / 1024).toFixed(1)} / ${(big.rss / 1024).toFixed(1)}`);
}

console.error(`ralph benchmark on ${cpus().length} cores, node ${process.version}${TTY ? '; ralph run on a pseudo-terminal' : ''}`);
try {
  // `npm run bench -- orchestration` (or `worktree`, `coordination`, `writes`, `postgres`, `dashboard`) runs only that part.
  const only = process.argv[2];
  if (only === 'coordination') await coordination();
  if (only === undefined || only === 'writes') await writeAmplification();
  if (only === undefined || only === 'orchestration') {
    const rss = await throughput();
    await coordination();
    await claimLatency();
    row('peak RSS of the orchestrator (MiB)', (rss.orchestrator / 1024).toFixed(1));
    row('peak RSS of one worker (MiB, largest of 8)', (rss.worker / 1024).toFixed(1));
  }
  if (only === undefined || only === 'worktree') await worktreeOverhead();
  if (only === undefined || only === 'postgres') await (await import('./postgres.mjs')).postgresBench({ row, temp });
  if (only === undefined || only === 'dashboard') await (await import('./dashboard.mjs')).dashboardBench({ row, temp });
  const width = [0, 1, 2, 3].map((i) => Math.max(...[['metric', 'value', 'target', 'met'], ...rows].map((r) => String(r[i]).length)));
  const line = (r) => `| ${r.map((c, i) => String(c).padEnd(width[i])).join(' | ')} |`;
  console.log(line(['metric', 'value', 'target', 'met']));
  console.log(`|${width.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
} finally {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
}
