import { InputError, StateMissingError } from '../../errors.js';
import type { FileStore } from '../../store/file-store.js';
import { describeQueue, openQueue, openStore } from '../../store/open.js';
import type { QueueLocation } from '../../store/open.js';
import type { Store } from '../../store/store.js';
import { describeQueueUrl, isPostgresUrl } from '../../store/pg/url.js';
import type { Command } from 'commander';
import type { WorkerSettings } from '../../orchestrator/settings.js';
import { ownValues } from '../../agents/own-flags.js';
import type { OwnApiKey, OwnFlagKey } from '../../agents/own-flags.js';
import type { AgentChoice } from '../../agents/registry.js';
import { addSettings } from '../../config/cli.js';
import type { SettingsOptions } from '../../config/cli.js';
import { WORKER_SETTINGS, fieldOf } from '../../config/table.js';
import type { SettingsByKey } from '../../config/settings-types.js';

/** The signals that stop a run or a loop, and the exit codes they end with. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export const SIGNAL_EXIT: Record<string, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

/**
 * Runs `body` with a signal that SIGINT, SIGTERM or SIGHUP abort (a command that watches until told to
 * stop); the exit code of the signal that came, 0 if none did.
 */
export async function untilStopped(body: (signal: AbortSignal) => Promise<void>): Promise<number> {
  const abort = new AbortController();
  let signalled: string | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    signalled ??= signal;
    abort.abort();
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  try {
    await body(abort.signal);
  } finally {
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
  }
  return signalled ? (SIGNAL_EXIT[signalled] ?? 1) : 0;
}

/** The store of an existing queue, or the error that says how to create one. */
export function openExistingStore(dir: string): FileStore {
  const store = openStore(dir);
  if (!store.exists()) throw new StateMissingError(dir);
  return store;
}

/** The queue flags as commander gives them. */
export interface QueueFlags {
  dir: string;
  queue?: string;
  queueName?: string;
}

/** `--queue URL` and `--queue-name NAME`: a queue in PostgreSQL instead of the files under `--dir`. */
export function queueOption(command: Command): Command {
  return addSettings(command, 'queue');
}

/** The database queue the flags name, if any; a URL that is not PostgreSQL's is refused in one line. */
export function queueOf(flags: QueueFlags): QueueLocation | undefined {
  if (flags.queue === undefined || flags.queue === '') return undefined;
  if (!isPostgresUrl(flags.queue)) {
    throw new InputError(
      `--queue must be a PostgreSQL URL (postgres://role:password@host:port/database), not ${JSON.stringify(describeQueueUrl(flags.queue))}.`,
    );
  }
  return { url: flags.queue, name: flags.queueName ?? 'default' };
}

/**
 * The queue the flags name (a database's, or the files under `--dir`), which must exist; loaded for
 * `read()` unless `load` is false (a worker reads only what its steps need).
 */
export async function openExistingQueue(flags: QueueFlags, { load = true } = {}): Promise<Store> {
  const queue = queueOf(flags);
  if (!queue) return openExistingStore(flags.dir);
  const store = await openQueue(flags.dir, queue);
  if (!store.exists()) {
    await store.close();
    throw new StateMissingError(flags.dir, describeQueue(queue));
  }
  if (load) await store.refresh();
  return store;
}

/** `--dir` (or RALPH_DIR, or "dir" in the config file): the state directory. */
export function dirOption(command: Command): Command {
  return addSettings(command, 'state');
}

/**
 * The flags shared by `ralph run` and `ralph worker`: how tasks are run (see config/table.ts). A
 * worker that `ralph run` started was given all of them as flags; one started by hand takes what the
 * flags leave open from the environment, the config file and the run recorded in the queue.
 */
export function workerOptions(command: Command, options: SettingsOptions): Command {
  return addSettings(command, 'worker', options);
}

/** The agent flags as parsed by commander: named as the choice they make. */
export type AgentFlags = Omit<AgentChoice, OwnApiKey>;

/** Only the agent flags that were given. */
export function agentChoice(flags: AgentFlags): AgentChoice {
  const choice: AgentChoice = {};
  for (const key of ['agent', 'agentCmd', 'agentBin', 'model', 'agentArgs', 'permissions'] as const) {
    if (flags[key] !== undefined) choice[key] = flags[key];
  }
  return { ...choice, ...ownValues(flags) };
}

/**
 * The flags that `ralph run` and `ralph worker` share, as commander gives them (by key: `grace`,
 * `taskTimeout`, in seconds): the settings table's type of them, and the chosen CLI's own flags.
 */
export type WorkerFlags = SettingsByKey<'worker'> & { [K in OwnFlagKey]?: string };

/** The settings a run passes on to its workers, from its flags (named as in the settings table). */
export function toWorkerSettings(flags: WorkerFlags): WorkerSettings {
  const values = flags as unknown as Record<string, unknown>;
  const settings: Record<string, unknown> = {};
  for (const setting of WORKER_SETTINGS) {
    const value = values[setting.key];
    if (value !== undefined && !(Array.isArray(value) && value.length === 0)) settings[fieldOf(setting)] = value;
  }
  return settings as unknown as WorkerSettings;
}

/** Rings the terminal bell on stderr, when asked and stderr is a terminal. */
export function ringBell(asked: boolean | undefined): void {
  if (asked && process.stderr.isTTY) process.stderr.write('\x07');
}
