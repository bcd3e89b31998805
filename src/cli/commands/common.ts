import { Option } from 'commander';
import { StateMissingError } from '../../errors.js';
import { FileStore } from '../../store/file-store.js';
import type { Command } from 'commander';
import { WORKER_DEFAULTS } from '../../orchestrator/settings.js';
import type { WorkerSettings } from '../../orchestrator/settings.js';
import { nonNegativeInt, nonNegativeSeconds, positiveInt, positiveSeconds } from '../parsers.js';

export const DEFAULT_DIR = '.ralph';

/** The signals that stop a run or a loop, and the exit codes they end with. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export const SIGNAL_EXIT: Record<string, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

/** The store of an existing queue, or the error that says how to create one. */
export function openStore(dir: string): FileStore {
  const store = new FileStore(dir);
  if (!store.exists()) throw new StateMissingError(dir);
  return store;
}

export function dirOption(command: Command): Command {
  return command.option('--dir <dir>', 'state directory', DEFAULT_DIR);
}

/** The flags shared by `ralph run` and `ralph worker`: how tasks are run. */
export function workerOptions(command: Command): Command {
  return command
    .requiredOption('--agent-cmd <cmd>', 'agent command line, run with /bin/sh -c; the prompt arrives on stdin and in $RALPH_PROMPT_FILE')
    .option('--prompt-template <file>', 'prompt template with {{id}}, {{type}}, {{data}} and {{data.<field>}}')
    .option('--task-timeout <seconds>', 'kill an agent (its whole process group) after this long', positiveSeconds)
    .option('--grace <seconds>', 'time between SIGTERM and SIGKILL when stopping an agent', nonNegativeSeconds, WORKER_DEFAULTS.graceSec)
    .option('--lease <seconds>', 'claim lease, renewed by the heartbeat; a dead worker\'s task is requeued after it', positiveSeconds, WORKER_DEFAULTS.leaseSec)
    .option('--max-attempts <n>', 'claims per task before a task whose worker keeps dying is failed', positiveInt, WORKER_DEFAULTS.maxAttempts)
    .option('--retries <n>', 'requeue a failed task this many times (with backoff)', nonNegativeInt, WORKER_DEFAULTS.retries)
    .addOption(new Option('--retry-backoff <seconds>', 'first retry delay; doubles per attempt').argParser(nonNegativeSeconds).default(WORKER_DEFAULTS.retryBackoffSec));
}

export interface WorkerFlags {
  agentCmd: string;
  promptTemplate?: string;
  taskTimeout?: number;
  grace: number;
  lease: number;
  maxAttempts: number;
  retries: number;
  retryBackoff: number;
}

export function toWorkerSettings(flags: WorkerFlags): WorkerSettings {
  const settings: WorkerSettings = {
    agentCmd: flags.agentCmd,
    graceSec: flags.grace,
    leaseSec: flags.lease,
    maxAttempts: flags.maxAttempts,
    retries: flags.retries,
    retryBackoffSec: flags.retryBackoff,
  };
  if (flags.promptTemplate !== undefined) settings.promptTemplate = flags.promptTemplate;
  if (flags.taskTimeout !== undefined) settings.taskTimeoutSec = flags.taskTimeout;
  return settings;
}
