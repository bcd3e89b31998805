import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { StateWriteError } from '../../errors.js';
import { endLines } from '../../report/end.js';
import type { RunSummary } from '../../report/summary.js';
import { addSettings } from '../../config/cli.js';
import { configureRedaction } from '../../redact/process.js';
import { note, print, printJson } from '../output.js';
import { RalphError } from '../../errors.js';
import { SIGNAL_EXIT, STOP_SIGNALS, dirOption, openExistingQueue, queueOf, queueOption, ringBell, toWorkerSettings, workerOptions } from './common.js';
import type { QueueFlags } from './common.js';
import type { WorkerFlags } from './common.js';
import { RunEvents } from '../../events/run-watch.js';
import type { EventFlags } from '../../events/run-watch.js';
import { runOrchestration } from '../../orchestrator/run.js';

interface RunFlags extends WorkerFlags, EventFlags, QueueFlags {
  dir: string;
  tasks?: string;
  prd?: string;
  workers: number;
  minWorkers?: number;
  maxWorkers?: number;
  workerIdleTimeout: number;
  reset?: boolean;
  timeout?: number;
  json?: boolean;
  bell?: boolean;
  dashboard?: boolean;
}

export function registerRun(program: Command, setExit: (code: number) => void): void {
  const command = program
    .command('run')
    .description('load tasks into the queue, run N workers until every task is done, write the report')
    .option('--tasks <file>', 'tasks to append: {"tasks":[…]}, a JSON array, or JSON Lines (omit to resume the queue)')
    .option(
      '--prd <file>',
      "a prd.json's user stories that do not pass yet, as tasks (in its priority order, its dependencies kept); each is marked passing in the file, and in progress.txt beside it, once completed",
    )
    .option(
      '--reset',
      "empty the queue and results before loading tasks (the earlier run's logs, sessions and prompts go to <dir>/archive/), and start from the defaults, not the last run's settings",
    )
    .option('--json', 'print a machine-readable summary at the end')
    .option('--dashboard', 'also serve the live web page of `ralph dashboard` while the run goes (its address is printed)');
  dirOption(command);
  queueOption(command);
  // Settings not given take the environment's, the config file's, then the last run's (see `ralph config`).
  addSettings(command, 'run');
  // The last run is read from the file queue under --dir; a database's queue does not offer one yet.
  workerOptions(command, { lastRun: (flags) => flags.reset !== true });
  command.addHelpText(
    'after',
    `
Examples:
  $ ralph run --tasks tasks.json --workers 4 --agent-cmd './my-agent.sh'
  $ ralph run --agent-cmd 'claude -p' --task-timeout 900 --retries 1     # resume the queue in .ralph/
  $ ralph queue retry --failed && ralph run                             # again, with the last run's settings
  $ ralph run --prd prd.json --agent claude --verify 'npm test'         # a prd.json's stories, each checked

Settings not given as flags come from RALPH_* variables, ralph.config.json (or "ralph" in
package.json), then the last run of the queue: \`ralph config\` shows them.

Exit codes: 0 every task completed, 1 some failed or unfinished, 2 bad usage or input,
129/130/143 interrupted by SIGHUP/SIGINT/SIGTERM (in-flight tasks go back to pending, unless their agent
finishes with its result within --grace).`,
  );
  command.action(async (flags: RunFlags) => {
    configureRedaction(flags.redact ?? []);
    if (flags.minWorkers !== undefined && flags.maxWorkers === undefined) throw new InputError('--min-workers goes with --max-workers (autoscaling).');
    const abort = new AbortController();
    let signalled: string | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) {
        note(`ralph: ${signal} again; still stopping workers, please wait`);
        return;
      }
      signalled = signal;
      note(`ralph: ${signal}: stopping workers; in-flight tasks go back to pending unless their agent finishes within --grace`);
      abort.abort(signal);
    };
    const queue = queueOf(flags);
    const events = RunEvents.for(flags, flags.dir, flags.maxCostUsd, note);
    for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
    let dashboard: { close(): Promise<void> } | undefined;
    try {
      const result = await runOrchestration({
        ...toWorkerSettings(flags),
        dir: flags.dir,
        ...(queue ? { queue } : {}),
        // Autoscaling (--max-workers): up to that many workers, idle ones stopped down to --min-workers.
        workers: flags.maxWorkers ?? flags.workers,
        ...(flags.maxWorkers === undefined
          ? {}
          : { autoscale: { min: Math.min(flags.minWorkers ?? 1, flags.maxWorkers), max: flags.maxWorkers, idleMs: flags.workerIdleTimeout * 1000 } }),
        ...(flags.tasks === undefined ? {} : { tasksFile: flags.tasks }),
        ...(flags.prd === undefined ? {} : { prdFile: flags.prd }),
        ...(flags.reset ? { reset: true } : {}),
        ...(flags.timeout === undefined ? {} : { timeoutSec: flags.timeout }),
        signal: abort.signal,
        ...(events ? { observe: (state) => events.observe(state) } : {}),
        ...(flags.dashboard
          ? {
              started: async () => {
                // A dashboard that cannot start is said, and the run goes on without it.
                dashboard = await startRunDashboard(flags).catch((error: unknown) => {
                  note(`ralph: the dashboard could not start: ${error instanceof Error ? error.message : String(error)}`);
                  return undefined;
                });
              },
            }
          : {}),
      }).catch(async (error: unknown) => {
        // The state directory could not be written: what is known of the end is printed, then the error.
        if (error instanceof StateWriteError && error.ended) printEnd(error.ended.summary as RunSummary, flags.json, error.ended.reportWritten);
        await events?.failed(error, error instanceof RalphError ? error.exitCode : 1);
        ringBell(flags.bell);
        throw error;
      });
      printEnd(result, flags.json);
      const code = signalled ? (SIGNAL_EXIT[signalled] ?? 1) : result.exit_code;
      setExit(code);
      await events?.finished(result, code);
      ringBell(flags.bell);
    } finally {
      for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
      await dashboard?.close();
    }
  });
}

/** `--dashboard`: `ralph dashboard` on the run's queue (a store of its own) until the run ends. */
async function startRunDashboard(flags: RunFlags): Promise<{ close(): Promise<void> }> {
  const [{ startDashboard }, store] = await Promise.all([import('../../dashboard/server.js'), openExistingQueue(flags, { load: false })]);
  try {
    const dashboard = await startDashboard(store, { host: '127.0.0.1', port: 0, onError: (message) => note(`ralph dashboard: ${message}`) });
    note(`ralph: dashboard at ${dashboard.url}`);
    return {
      async close() {
        await dashboard.close();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** The run's final lines (report/end.ts), or the same facts as JSON. */
function printEnd(summary: RunSummary, json: boolean | undefined, reportWritten = true): void {
  if (json) printJson(summary);
  else for (const line of endLines(summary, { reportWritten })) print(line);
}
