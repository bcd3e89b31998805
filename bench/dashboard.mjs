// `ralph dashboard` (issue 17), in `npm run bench` (`npm run bench -- dashboard` alone): the first
// load of the page with 10,000 tasks in a real headless Chromium, the dashboard's memory with 100,000
// tasks, a change reaching an open page, and what twenty open pages cost a run's throughput.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist', 'cli', 'bin.js');
const { FileStore } = await import(join(ROOT, 'dist', 'store', 'file-store.js'));
const { appendTasks } = await import(join(ROOT, 'dist', 'orchestrator', 'boot.js'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const tasks = (n, prefix = 't') =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, type: 'noop', data: { i, note: 'a task of ordinary size with a little data' } }));

async function queueOf(temp, n) {
  const dir = temp();
  const store = new FileStore(join(dir, '.ralph'));
  store.ensure();
  for (let i = 0; i < n; i += 20_000) await appendTasks(store, tasks(Math.min(20_000, n - i), `t${i}-`));
  return dir;
}

/** Every other task completed, with a duration of its own, as after a long run. */
async function finishHalf(store) {
  const at = Date.now();
  await store.transact((tx) => {
    for (const [i, task] of tx.tasks.entries()) {
      if (i % 2 === 0) continue;
      tx.put({
        ...task,
        status: 'completed',
        attempts: 1,
        worker_id: 1 + (i % 8),
        duration_ms: (i * 7919) % 100_000,
        completed_at: new Date(at - i).toISOString(),
        finding: `did ${task.id}`,
      });
    }
  });
  await store.compact();
}

async function serve(dir) {
  const child = spawn(process.execPath, [CLI, 'dashboard', '--json'], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  for (let i = 0; i < 400 && !out.includes('"url"'); i++) await sleep(25);
  const url = new URL(JSON.parse(out).url);
  return { child, url, auth: { authorization: `Bearer ${url.searchParams.get('token')}` } };
}

function peakRssMiB(pid) {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmHWM:\s+(\d+) kB/);
  return line ? Number(line[1]) / 1024 : NaN;
}

async function stop(child) {
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGINT');
  await exited;
}

export async function dashboardBench({ row, temp }) {
  console.error('dashboard: ralph dashboard');
  const { chromium } = await import('playwright-core');
  const shipped = (await import('@sparticuz/chromium')).default;
  const browser = await chromium.launch({
    executablePath: process.env.RALPH_CHROMIUM || (await shipped.executablePath()),
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  try {
    // 1. The first load of the page, 10,000 tasks queued: from navigation to the counts and the first page of tasks shown.
    const ten = await queueOf(temp, 10_000);
    const d = await serve(ten);
    const loads = [];
    const latencies = [];
    try {
      for (let i = 0; i < 5; i++) {
        const page = await browser.newPage();
        const t0 = performance.now();
        await page.goto(d.url.toString());
        await page.waitForFunction(
          () => document.querySelectorAll('.tasks tbody tr').length === 100 && document.querySelector('.card[data-status="pending"] .n'),
        );
        loads.push(performance.now() - t0);
        await page.close();
      }
      const first = median(loads);
      row('dashboard: first load of the page, 10,000 tasks (ms, median of 5)', first.toFixed(0), '<= 1000 ms', first <= 1000 ? 'yes' : 'NO');

      // 3. A change (a task added by another process) reaching the open page.
      const page = await browser.newPage();
      await page.goto(d.url.toString());
      await page.waitForSelector('.card[data-status="pending"] .n');
      const store = new FileStore(join(ten, '.ralph'));
      for (let i = 0; i < 10; i++) {
        const before = Number(await page.textContent('.card[data-status="pending"] .n'));
        const t0 = performance.now();
        await appendTasks(store, [{ id: `late-${i}`, type: 'noop' }]);
        await page.waitForFunction((n) => Number(document.querySelector('.card[data-status="pending"] .n')?.textContent) > n, before, { polling: 5 });
        latencies.push(performance.now() - t0);
        await sleep(300);
      }
      const change = median(latencies);
      row('dashboard: a task added → shown on an open page (ms, median of 10)', change.toFixed(0), '<= 1000 ms', change <= 1000 ? 'yes' : 'NO');
      await page.close();
    } finally {
      await stop(d.child);
    }

    // 2. The dashboard's memory with 100,000 tasks (half of them finished, of many durations): a page
    // open, its table sorted, filtered and paged (from the action to the table drawn again), and
    // pages of tasks read across the queue.
    const hundred = await queueOf(temp, 100_000);
    await finishHalf(new FileStore(join(hundred, '.ralph')));
    const big = await serve(hundred);
    try {
      const page = await browser.newPage();
      await page.goto(big.url.toString());
      await page.waitForFunction(() => document.querySelectorAll('.tasks tbody tr').length === 100);
      const took = {};
      const timed = async (name, part, act) => {
        const t0 = performance.now();
        const answered = page.waitForResponse((r) => r.url().includes('/api/tasks?') && r.url().includes(part));
        await act();
        await answered;
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
        took[name] = performance.now() - t0;
      };
      await timed('sorted by duration', 'sort=duration', () => page.selectOption('select[aria-label="sort"]', 'duration'));
      await timed('next page', 'offset=100', () => page.click('.controls button:nth-of-type(2)'));
      await timed('filtered by status', 'status=completed', () => page.selectOption('select[aria-label="status"]', 'completed'));
      await timed('filtered by text', 'text=t4', () => page.fill('input[aria-label="text"]', 't4'));
      const slowest = Math.max(...Object.values(took));
      row(
        `dashboard: 100,000 tasks, an action → the table drawn again (ms: ${Object.entries(took)
          .map(([k, v]) => `${k} ${v.toFixed(0)}`)
          .join(', ')})`,
        slowest.toFixed(0),
        '<= 500 ms',
        slowest <= 500 ? 'yes' : 'NO',
      );
      await page.goto(big.url.toString());
      await page.waitForFunction(() => document.querySelectorAll('.tasks tbody tr').length === 100);
      for (const offset of [0, 25_000, 50_000, 99_900])
        await (await fetch(`${big.url.origin}/api/tasks?offset=${offset}&limit=500`, { headers: big.auth })).json();
      await appendTasks(new FileStore(join(hundred, '.ralph')), [{ id: 'late', type: 'noop' }]);
      await page.waitForFunction(() => document.querySelector('.card[data-status="pending"] .n')?.textContent === '50001');
      await page.close();
      const rss = peakRssMiB(big.child.pid);
      row('dashboard: peak RSS of the dashboard, 100,000 tasks (MiB)', rss.toFixed(0), '<= 150 MiB', rss <= 150 ? 'yes' : 'NO');
    } finally {
      await stop(big.child);
    }
  } finally {
    await browser.close();
  }

  // 4. A run's throughput (1,000 no-op tasks, 8 workers) with twenty pages open, against none. A
  // page is an event stream that reads the first page of tasks again at each change, as the page does.
  const rates = { none: [], twenty: [] };
  for (let round = 0; round < 3; round++) {
    for (const pages of [0, 20]) {
      const dir = temp();
      writeFileSync(join(dir, 'tasks.json'), JSON.stringify(tasks(1000)));
      spawnSync(process.execPath, [CLI, 'queue', 'add', 'tasks.json'], { cwd: dir });
      const d = pages ? await serve(dir) : undefined;
      const abort = new AbortController();
      const readers = [];
      for (let p = 0; p < pages; p++) {
        readers.push(
          (async () => {
            const response = await fetch(`${d.url.origin}/api/events`, { headers: d.auth, signal: abort.signal });
            const reader = response.body.getReader();
            for (;;) {
              const { done } = await reader.read();
              if (done) return;
              await (await fetch(`${d.url.origin}/api/tasks?limit=100`, { headers: d.auth, signal: abort.signal })).json();
            }
          })().catch(() => undefined),
        );
      }
      await sleep(pages ? 500 : 0);
      const t0 = performance.now();
      const run = spawnSync(process.execPath, [CLI, 'run', '--workers', '8', '--agent-cmd', 'true', '--json'], { cwd: dir, encoding: 'utf8' });
      const seconds = (performance.now() - t0) / 1000;
      if (run.status !== 0) throw new Error(`ralph run failed: ${run.stderr}`);
      abort.abort();
      await Promise.all(readers);
      if (d) await stop(d.child);
      (pages ? rates.twenty : rates.none).push(1000 / seconds);
      await sleep(500);
    }
  }
  const [none, twenty] = [median(rates.none), median(rates.twenty)];
  row('dashboard: ralph run, 1,000 no-op tasks, no page / twenty pages open (tasks/s)', `${none.toFixed(0)} / ${twenty.toFixed(0)}`);
  const slower = 1 - twenty / none;
  row('dashboard: run slowed by twenty open pages', `${(slower * 100).toFixed(1)} %`, '<= 5 %', slower <= 0.05 ? 'yes' : 'NO');
}
