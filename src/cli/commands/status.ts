import type { Command } from 'commander';
import { formatDuration } from '../../report/time.js';
import { gatherStatus } from '../../report/status.js';
import type { StatusView } from '../../report/status.js';
import { describeOwner } from '../../store/lock.js';
import { oneLine } from '../../redact/sanitize.js';
import { print, printJson, printPieces } from '../output.js';
import type { Store } from '../../store/store.js';
import { openStore } from '../../store/open.js';
import { loopsJson, loopsStatusLines, readLoopsView } from '../../loops/view.js';
import { dirOption, openExistingQueue, openExistingStore, queueOf, queueOption, untilStopped } from './common.js';
import type { QueueFlags } from './common.js';
import { positiveSeconds } from '../../config/parsers.js';
import { watchStatus } from '../../view/status-watch.js';

export function registerStatus(program: Command, setExit: (code: number) => void): void {
  const command = program
    .command('status')
    .description('show the queue, the workers and the lock (safe to run while a run is going)')
    .option('--json', 'machine-readable output (with --watch: one JSON snapshot a line)')
    .option('-w, --watch', "keep showing the run's live view (totals, each worker, failures as they happen) until it ends or Ctrl-C")
    .option('--interval <seconds>', 'with --watch: how often to look', positiveSeconds, 1);
  dirOption(command);
  queueOption(command);
  command.addHelpText(
    'after',
    `
Examples:
  $ ralph status --watch                 # in another terminal while \`ralph run\` goes on
  $ ralph status --watch --json | jq .counts`,
  );
  command.action(async (flags: QueueFlags & { json?: boolean; watch?: boolean; interval: number }) => {
    if (flags.watch) {
      const store = await openExistingQueue(flags, { load: false });
      try {
        setExit(await watch(store, flags.json === true, flags.interval));
      } finally {
        await store.close();
      }
      return;
    }
    if (queueOf(flags)) {
      // A queue in a database: every machine's workers and tasks.
      const store = await openExistingQueue(flags, { load: false });
      try {
        const view = await gatherStatus(store);
        if (flags.json) printJson(view);
        else printStatus(view);
      } finally {
        await store.close();
      }
      return;
    }
    // A repository that runs the supervisor/engineer loops has their state, with or without a queue.
    const loops = readLoopsView(process.cwd());
    const now = new Date();
    const loopsView = loops && loopsJson(loops, now);
    if (loops && !openStore(flags.dir).exists()) {
      if (flags.json) printJson({ loops: loopsView });
      else for (const line of loopsStatusLines(loops, now)) print(line);
      return;
    }
    const view = await gatherStatus(openExistingStore(flags.dir));
    if (flags.json) {
      printJson(loops ? { ...view, loops: loopsView } : view);
      return;
    }
    printStatus(view);
    if (loops) for (const line of loopsStatusLines(loops, now)) print(line);
  });
}

function printStatus(view: StatusView): void {
  const c = view.counts;
  const run = view.run ? (view.active ? ` — run active since ${view.run.started_at}` : ` — last run ended ${view.run.ended_at ?? '(interrupted)'}`) : '';
  printPieces([
    [`${view.queue ?? view.dir}: ${view.total} task(s): pending ${c.pending} · claimed ${c.claimed} · completed ${c.completed} · `],
    [`failed ${c.failed}`, c.failed > 0 ? 'red' : undefined],
    [view.cost_usd > 0 ? ` — cost $${view.cost_usd.toFixed(2)}` : ''],
    [run],
  ]);
  if (view.paused_at) print(`Claiming paused since ${view.paused_at}: \`ralph queue resume\` lets workers claim again.`, 'yellow');
  for (const m of view.messages)
    print(`Said ${m.at}${m.to === undefined ? '' : ` to worker-${m.to}`}${m.from === 'user' ? '' : ` by ${m.from}`}: ${oneLine(m.text)}`);
  if (view.waiting_on_dependencies.length > 0)
    print(
      `Waiting on other tasks: ${view.waiting_on_dependencies.map((w) => `${oneLine(w.id)} (on ${w.waiting_on.map(oneLine).join(', ')})`).join('; ')}${view.waiting_on_dependencies.length === 20 ? '; …' : ''}`,
    );
  if (view.workers.length === 0) print('Workers: none registered');
  for (const w of view.workers) {
    const gone = !w.alive && w.status !== 'stopped';
    const state = w.alive ? w.status : gone ? `gone (${w.status} when last seen; pid ${w.pid} not running)` : 'stopped';
    const task = w.current_task ? ` on ${oneLine(w.current_task)}` : '';
    printPieces([
      [`  worker ${w.worker_id}: `],
      [state, gone ? 'red' : undefined],
      [`${task}, ${w.iteration} task(s) run (completed or failed), heartbeat ${formatDuration(w.heartbeat_age_ms)} ago (pid ${w.pid} on ${oneLine(w.host)})`],
    ]);
  }
  const lock = view.lock;
  if (!lock) return;
  if (lock.state === 'free') print('Lock: free');
  else if (lock.state === 'held') print(`Lock: held by ${describeOwner(lock.owner)}`);
  else print(`Warning: stale lock ${view.dir}/.lock — ${lock.why}. Workers take it over by themselves; \`ralph unlock\` removes it now.`, 'yellow');
}

/** The live view until the run ends (exit 0) or a signal stops the watching (129/130/143). */
async function watch(store: Store, json: boolean, intervalSec: number): Promise<number> {
  return untilStopped((signal) => watchStatus(store, { json, intervalMs: Math.max(100, intervalSec * 1000), signal, out: process.stdout }));
}
