import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { retryFailed } from '../../orchestrator/retry.js';
import { TASK_STATUSES } from '../../queue/types.js';
import type { TaskStatus } from '../../queue/types.js';
import { openStore } from '../../store/open.js';
import { oneLine } from '../../redact/sanitize.js';
import { columns, print, printJson } from '../output.js';
import type { Task } from '../../queue/types.js';
import { dirOption, openExistingStore } from './common.js';
import { appendTasks, loadTasksFile } from '../../orchestrator/boot.js';

export function registerQueue(program: Command): void {
  const queue = program.command('queue').description('look at and change the queue: add, list, retry');

  const add = queue
    .command('add')
    .description('append tasks from a file (ids already queued are skipped); running workers pick them up')
    .argument('<file>', 'tasks file: {"tasks":[…]}, a JSON array, or JSON Lines')
    .option('--json', 'machine-readable output');
  dirOption(add).action(async (file: string, flags: { dir: string; json?: boolean }) => {
    const tasks = loadTasksFile(file);
    const store = openStore(flags.dir);
    store.ensure();
    const result = await appendTasks(store, tasks);
    if (flags.json) printJson(result);
    else print(`Queued ${result.added} task(s)${result.skipped.length ? `; skipped ${result.skipped.length} already in the queue` : ''}.`);
  });

  const list = queue
    .command('list')
    .description('list tasks')
    .option('--status <status>', `only tasks with this status (${TASK_STATUSES.join(', ')})`)
    .option('--json', 'machine-readable output');
  dirOption(list).action((flags: { dir: string; status?: string; json?: boolean }) => {
    if (flags.status !== undefined && !TASK_STATUSES.includes(flags.status as TaskStatus)) {
      throw new InputError(`Expected --status to be one of ${TASK_STATUSES.join(', ')}, got \`${flags.status}\`.`);
    }
    const tasks = openExistingStore(flags.dir)
      .read()
      .tasks.filter((t) => flags.status === undefined || t.status === flags.status);
    if (flags.json) {
      printJson(tasks);
      return;
    }
    for (const line of columns(tasks.map(listRow))) print(line.trimEnd());
    if (tasks.length === 0) print('No tasks.');
  });

  const retry = queue
    .command('retry')
    .description('put failed tasks back to pending: the given ids, or every failed task with --failed')
    .argument('[ids...]', 'ids of failed tasks')
    .option('--failed', 'every failed task')
    .option('--json', 'machine-readable output');
  dirOption(retry).action(async (ids: string[], flags: { dir: string; failed?: boolean; json?: boolean }) => {
    if (ids.length === 0 && !flags.failed) throw new InputError('Name the task ids to retry, or pass --failed for every failed task.');
    if (ids.length > 0 && flags.failed) throw new InputError('Give task ids or --failed, not both.');
    const result = await retryFailed(openExistingStore(flags.dir), { ids, allFailed: flags.failed === true });
    if (flags.json) printJson(result);
    else
      print(
        `Requeued ${result.retried.length} task(s)${result.retried.length ? `: ${result.retried.map(oneLine).join(', ')}` : ''}. Run \`ralph run\` to work on them.`,
      );
  });
}

/**
 * One row of `queue list`: status, id, type, attempts; the worker that runs it or ran it last (not for
 * a pending task, which no worker has); a failed task's cause (the first line of its error).
 */
function listRow(t: Task): string[] {
  const attempts = t.attempts === 0 ? 'not tried yet' : t.attempts === 1 ? '1 attempt' : `${t.attempts} attempts`;
  const row = [t.status, oneLine(t.id), oneLine(t.type), attempts];
  if (t.status !== 'pending') row.push(t.worker_id != null ? `worker ${t.worker_id}` : '');
  if (t.status === 'failed' && t.error) row.push(oneLine((t.error.split('\n')[0] ?? '').replace(/; last output:$/, '')));
  return row;
}
