import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openPrivateAppend } from '../process/private.js';
import { workerArgv } from './settings.js';
import { workerProcessEnv } from './worker-env.js';
import type { WorkerSettings } from './settings.js';
import type { QueueLocation } from '../store/open.js';

export const CLI_PATH = fileURLToPath(new URL('../cli/bin.js', import.meta.url));
const WORKER_BUNDLE = fileURLToPath(new URL('../cli/worker.cjs', import.meta.url));
const WORKER_ENTRY = fileURLToPath(new URL('../cli/worker-bin.js', import.meta.url));

/**
 * What a worker process runs: the loader of the bundled `ralph worker` (faster to start; see
 * cli/worker-bin.ts) when the build made it after the modules it bundles, else the CLI itself.
 */
export function workerScript(bundle = WORKER_BUNDLE, entry = WORKER_ENTRY, cli = CLI_PATH): string {
  try {
    return statSync(bundle).mtimeMs >= statSync(entry).mtimeMs ? bundle : cli;
  } catch {
    return cli;
  }
}

/**
 * Starts `ralph worker --id N` with its stdout and stderr appended to `.ralph/worker-<N>.log`. Over
 * the IPC channel the worker sends its steps to the run (`stepsViaRun`, see coordinator.ts); it is
 * also a lifeline: when the orchestrator dies, the worker sees it disconnect and stops.
 */
export function spawnWorker(
  id: number,
  dir: string,
  logPath: string,
  settings: WorkerSettings,
  script = workerScript(),
  stepsViaRun = false,
  queue?: QueueLocation,
): ChildProcess {
  const fd = openPrivateAppend(logPath);
  // A database's URL holds its password: it goes in the environment, never on a command line (`ps`).
  const env = workerProcessEnv(process.env, stepsViaRun);
  if (queue) Object.assign(env, { RALPH_QUEUE: queue.url, RALPH_QUEUE_NAME: queue.name });
  try {
    return spawn(process.execPath, [script, 'worker', '--id', String(id), '--dir', dir, ...workerArgv(settings)], {
      stdio: ['ignore', fd, fd, 'ipc'],
      env,
    });
  } finally {
    closeSync(fd);
  }
}
