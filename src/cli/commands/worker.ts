import type { Command } from 'commander';
import { loadAgent } from '../../agents/load.js';
import { InputError, StateWriteError } from '../../errors.js';
import { configureRedaction, describeRedaction } from '../../redact/process.js';
import { leanHeap } from '../../process/lean-heap.js';
import { fileLogger } from '../../process/log.js';
import { statePaths } from '../../store/paths.js';
import { loadPromptTemplate } from '../../worker/template.js';
import { runWorker } from '../../worker/worker.js';
import { IpcSteps, tellRunCannotWrite } from '../../worker/ipc-steps.js';
import { restoreAgentEnv } from '../../orchestrator/worker-env.js';
import { positiveInt } from '../../config/parsers.js';
import { agentChoice, dirOption, openExistingQueue, queueOf, queueOption, toWorkerSettings, workerOptions } from './common.js';
import type { QueueFlags } from './common.js';
import { WORKER_DEFAULTS, workerTimings } from '../../orchestrator/settings.js';
import { runWorkerGroup, withoutOptions } from '../../orchestrator/worker-group.js';
import type { WorkerFlags } from './common.js';

interface Flags extends WorkerFlags, QueueFlags {
  id?: number;
  dir: string;
  workers?: number;
}

export function registerWorker(program: Command, setExit: (code: number) => void): void {
  const command = program
    .command('worker')
    .description('run one worker on an existing queue (ralph run starts these; you can start more by hand)')
    .option(
      '--id <n>',
      'worker number; the log is <dir>/worker-<n>.log (with --queue: a number no other worker of the queue has, when not given)',
      positiveInt,
    );
  command.option('--workers <n>', 'with --queue: start this many workers on this machine, each with an id of its own', positiveInt);
  dirOption(command);
  queueOption(command);
  // Started by `ralph run`, a worker gets every setting as a flag; by hand, it takes the others from
  // the environment, the config file, and the run recorded in the queue (the one it joins).
  workerOptions(command, { lastRun: () => true, flagsOnly: () => process.channel !== undefined });
  command.addHelpText(
    'after',
    `
The worker claims tasks until it is stopped (SIGTERM/SIGINT) or, when no run is active, until no task
is pending. Its log goes to <dir>/worker-<n>.log (and to the terminal when there is one).

Examples:
  $ ralph worker --id 9 --agent-cmd ./my-agent.sh
  $ ralph worker --queue postgres://ralph@db.internal/ralph --workers 4 --agent claude   # join a fleet`,
  );
  command.action(async (flags: Flags) => {
    leanHeap();
    configureRedaction(flags.redact ?? []);
    // Started by `ralph run`: what the orchestrator set aside for the agents comes back first.
    const { stepsViaRun } = restoreAgentEnv(process.env);
    const queue = queueOf(flags);
    // The database's URL (and its password) is this worker's alone: agents do not inherit it.
    delete process.env.RALPH_QUEUE;
    if (!queue && flags.id === undefined) throw new InputError('Give the worker a number with --id N (each worker of a queue has its own).');
    const store = await openExistingQueue(flags, { load: false });
    // This machine's directory for the logs and prompts (a database's queue keeps nothing else there).
    store.ensure();
    // git is loaded only by a worker that uses it; checked once, before a group of workers starts.
    const isolation =
      flags.isolate === 'worktree' || flags.base !== undefined || flags.remote !== undefined
        ? await (await import('../../git/isolation.js')).resolveIsolation(process.cwd(), flags, queue !== undefined)
        : undefined;
    if (flags.workers !== undefined && flags.workers > 1) {
      if (!queue) throw new InputError('--workers needs --queue: on one machine, `ralph run --workers N` starts the workers of a queue under --dir.');
      if (flags.id !== undefined) throw new InputError('Give --id or --workers, not both: each worker of the group gets an id of its own.');
      const first = await store.sessions.issueIds(flags.workers);
      await store.close();
      const ids = Array.from({ length: flags.workers }, (_, i) => first + i);
      const argv = withoutOptions(process.argv.slice(3), ['--workers', '--queue', '--id']);
      setExit(await runWorkerGroup(ids, argv, queue));
      return;
    }
    if (flags.requireChanges && !isolation) throw new InputError('--require-changes needs --isolate worktree: it fails a task whose branch has no commit.');
    const id = flags.id ?? (await store.sessions.issueIds(1));
    const template = loadPromptTemplate(flags.promptTemplate);
    const timings = workerTimings(toWorkerSettings(flags));
    const timeoutMs = timings.taskTimeoutMs;
    const agent = await loadAgent(agentChoice(flags), { ...(timeoutMs === undefined ? {} : { timeoutMs }), ...(flags.prices ? { prices: flags.prices } : {}) });
    const problem = agent.preflight(process.cwd());
    if (problem) throw new InputError(`${problem}.`);
    const abort = new AbortController();
    const stop = () => abort.abort();
    // Its run scaling down: finish the task in hand, then stop.
    const drain = new AbortController();
    process.on('message', (message: unknown) => {
      if ((message as { kind?: unknown } | null)?.kind === 'ralph-drain') drain.abort();
    });
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, stop);
    process.on('disconnect', stop);
    const log = fileLogger(statePaths(flags.dir).workerLog(id), process.stdout.isTTY ? process.stdout : undefined);
    log.info(describeRedaction());
    try {
      await runWorker({
        dir: flags.dir,
        ...(queue ? { queue, store } : {}),
        id,
        agent,
        promptTemplate: template,
        log,
        ...timings,
        signal: abort.signal,
        drain: drain.signal,
        ...(stepsViaRun && process.send ? { steps: new IpcSteps() } : {}),
        // `ralph run` starts its workers with an IPC channel.
        ...(process.channel ? { runPid: process.ppid } : {}),
        ...(flags.verify ? { verify: { command: flags.verify, timeoutMs: (flags.verifyTimeout ?? WORKER_DEFAULTS.verifyTimeoutSec) * 1000 } } : {}),
        ...(flags.requireChanges ? { requireChanges: true } : {}),
        ...(isolation
          ? {
              isolation: {
                base: isolation.base,
                merge: isolation.merge,
                onConflict: isolation.onConflict,
                ...(isolation.remote ? { remote: isolation.remote } : {}),
              },
            }
          : {}),
      });
    } catch (error) {
      log.info(`worker ${id} failed: ${(error as Error).message}`);
      if (error instanceof StateWriteError) await tellRunCannotWrite(error);
      throw error;
    } finally {
      log.close();
    }
  });
}
