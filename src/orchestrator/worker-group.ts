import { spawn } from 'node:child_process';
import type { QueueLocation } from '../store/open.js';
import { CLI_PATH } from './spawn.js';

/**
 * `argv` without the options named (each `--name value` or `--name=value`): what a worker of a group
 * is started with, before its own `--id` is added.
 */
export function withoutOptions(argv: readonly string[], names: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (names.includes(arg)) {
      i++;
      continue;
    }
    if (names.some((name) => arg.startsWith(`${name}=`))) continue;
    out.push(arg);
  }
  return out;
}

/**
 * `ralph worker --workers N` on a queue in a database: N worker processes on this machine, each
 * `ralph worker --id K` (with the ids the database gave this machine), the queue's URL in their
 * environment. Ctrl-C and SIGTERM reach every one (each stops as a worker does); resolves with the
 * highest exit code among them once all have stopped.
 */
export async function runWorkerGroup(ids: readonly number[], argv: readonly string[], queue: QueueLocation): Promise<number> {
  const env = { ...process.env, RALPH_QUEUE: queue.url, RALPH_QUEUE_NAME: queue.name };
  const children = ids.map((id) =>
    spawn(process.execPath, [CLI_PATH, 'worker', ...argv, '--id', String(id)], { stdio: ['ignore', 'inherit', 'inherit'], env }),
  );
  const forward = (signal: NodeJS.Signals) => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const signal of signals) process.on(signal, forward);
  try {
    const codes = await Promise.all(
      children.map(
        (child) =>
          new Promise<number>((resolve) => {
            child.on('error', () => resolve(1));
            child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
          }),
      ),
    );
    return Math.max(0, ...codes);
  } finally {
    for (const signal of signals) process.off(signal, forward);
  }
}
