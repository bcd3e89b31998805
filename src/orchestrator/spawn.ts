import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { workerArgv } from './settings.js';
import { workerProcessEnv } from './worker-env.js';
import type { WorkerSettings } from './settings.js';

export const CLI_PATH = fileURLToPath(new URL('../cli/bin.js', import.meta.url));

/**
 * Starts `ralph worker --id N` with its stdout and stderr appended to `.ralph/worker-<N>.log`. The IPC
 * channel is only a lifeline: when the orchestrator dies, the worker sees it disconnect and stops.
 */
export function spawnWorker(id: number, dir: string, logPath: string, settings: WorkerSettings): ChildProcess {
  const fd = openSync(logPath, 'a');
  try {
    return spawn(process.execPath, [CLI_PATH, 'worker', '--id', String(id), '--dir', dir, ...workerArgv(settings)], {
      stdio: ['ignore', fd, fd, 'ipc'],
      env: workerProcessEnv(process.env),
    });
  } finally {
    closeSync(fd);
  }
}
