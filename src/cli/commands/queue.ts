import type { Command } from 'commander';
import { setPaused } from '../../orchestrator/pause.js';
import { stopTask } from '../../orchestrator/stop-task.js';
import { InputError } from '../../errors.js';
import { retryFailed } from '../../orchestrator/retry.js';
import { TASK_STATUSES } from '../../queue/types.js';
import { TASK_SORTS } from '../../queue/task-query.js';
import type { TaskSort } from '../../queue/task-query.js';
import type { TaskStatus } from '../../queue/types.js';
import { openQueue, openStore } from '../../store/open.js';
import { oneLine } from '../../redact/sanitize.js';
import { columns, print, printJson } from '../output.js';
import type { Task } from '../../queue/types.js';
import { dirOption, openExistingQueue, openExistingStore, queueOf, queueOption } from './common.js';
import { copyQueue } from '../../store/copy.js';
import { nonNegativeInt, positiveInt } from '../../config/parsers.js';
import { runIsLive } from '../../queue/liveness.js';
import { HOST } from '../../process/machine.js';
import { isAlive } from '../../process/alive.js';
import type { QueueFlags } from './common.js';
import { appendTasks, loadPrdFile, loadTasksFile } from '../../orchestrator/boot.js';
import { loadPg } from '../../store/pg-driver.js';

export function registerQueue(program: Command): void {
  const queue = program.command('queue').description('look at and change the queue: init, add, list, retry, stop, pause, resume, export, migrate');

  const init = queue
    .command('init')
    .description('make a queue in a PostgreSQL database (--queue URL), or bring its schema up to date; safe to run again')
    .option('--json', 'machine-readable output');
  queueOption(dirOption(init)).action(async (flags: QueueFlags & { json?: boolean }) => {
    const location = queueOf(flags);
    if (!location)
      throw new InputError(
        'Name the database with --queue postgres://role:password@host/db (or RALPH_QUEUE); a queue under --dir needs no init: `ralph run --tasks FILE` makes it.',
      );
    const { initDatabaseQueue } = await loadPg(() => import('../../store/pg/init.js'));
    const made = await initDatabaseQueue(location);
    if (flags.json) printJson(made);
    else print(`${made.created ? 'Made' : 'Found'} ${made.queue} (schema version ${made.schema}).`);
  });

  const exportCommand = queue
    .command('export')
    .description("write a database's queue (--queue) as work-queue.json and results.json in a directory, as the file store keeps them")
    .requiredOption('--to <dir>', 'the directory (made where missing; it must hold no queue yet)')
    .option('--json', 'machine-readable output');
  queueOption(dirOption(exportCommand)).action(async (flags: QueueFlags & { to: string; json?: boolean }) => {
    if (!queueOf(flags)) throw new InputError('Name the database queue to export with --queue URL (a queue under --dir is already in files).');
    const from = await openExistingQueue(flags);
    try {
      const to = openStore(flags.to);
      to.ensure();
      const copied = await copyQueue(from, to, { from: from.location, to: flags.to });
      await to.compact();
      to.close();
      if (flags.json) printJson({ ...copied, to: flags.to });
      else
        print(`Exported ${copied.tasks} task(s) and ${copied.findings + copied.issues} result(s) to ${flags.to}/work-queue.json and ${flags.to}/results.json.`);
    } finally {
      await from.close();
    }
  });

  const migrate = queue
    .command('migrate')
    .description('move a queue under a directory (--from, default .ralph) into a PostgreSQL database (--to URL); the directory is left as it was')
    .option('--from <dir>', 'the state directory whose queue moves', '.ralph')
    .option(
      '--to <url>',
      'the database (postgres://role:password@host/db; default: RALPH_QUEUE, which keeps the password off the command line); its queue (--queue-name) must be empty',
    )
    .option('--queue-name <name>', 'the queue in the database to move it into', 'default')
    .option('--json', 'machine-readable output');
  migrate.action(async (flags: { from: string; to?: string; queueName: string; json?: boolean }) => {
    const url = flags.to ?? process.env.RALPH_QUEUE;
    if (!url) throw new InputError('Name the database with --to postgres://role:password@host/db (or RALPH_QUEUE).');
    const target = queueOf({ dir: flags.from, queue: url, queueName: flags.queueName })!;
    const from = openExistingStore(flags.from);
    if (runIsLive(from.read().meta, HOST, isAlive)) throw new InputError(`A run is using ${flags.from}: let it finish (or stop it) before moving its queue.`);
    const to = await openQueue(flags.from, target, { create: true });
    try {
      const copied = await copyQueue(from, to, { from: flags.from, to: to.location });
      if (flags.json) printJson({ ...copied, to: to.location });
      else
        print(
          `Moved ${copied.tasks} task(s) and ${copied.findings + copied.issues} result(s) to ${to.location}; ${flags.from} is unchanged. Use --queue from now on.`,
        );
    } finally {
      await to.close();
    }
  });

  const add = queue
    .command('add')
    .description('append tasks from a file (ids already queued are skipped); running workers pick them up')
    .argument('[file]', 'tasks file: {"tasks":[…]}, a JSON array, or JSON Lines')
    .option('--prd <file>', "a prd.json's user stories that do not pass yet, instead (a run marks each passing once completed)")
    .option('--json', 'machine-readable output');
  queueOption(dirOption(add)).action(async (given: string | undefined, flags: QueueFlags & { json?: boolean; prd?: string }) => {
    if ((given === undefined) === (flags.prd === undefined)) throw new InputError('Give a tasks file or --prd prd.json (one of them).');
    const file = (given ?? flags.prd)!;
    const tasks = flags.prd ? loadPrdFile(flags.prd).tasks : loadTasksFile(file);
    const location = queueOf(flags);
    const store = location ? await openExistingQueue(flags, { load: false }) : openStore(flags.dir);
    store.ensure();
    const result = await appendTasks(store, tasks, { source: file }).finally(() => store.close());
    if (flags.json) printJson(result);
    else print(`Queued ${result.added} task(s)${result.skipped.length ? `; skipped ${result.skipped.length} already in the queue` : ''}.`);
  });

  const stop = queue
    .command('stop')
    .description("stop a running task: its agent's whole process group is killed, and the task fails (not retried); on the machine it runs on")
    .argument('<id>', 'the id of a claimed task')
    .option('--json', 'machine-readable output');
  queueOption(dirOption(stop)).action(async (id: string, flags: QueueFlags & { json?: boolean }) => {
    const store = await openExistingQueue(flags, { load: false });
    const result = await stopTask(store, id).finally(() => store.close());
    if (flags.json) printJson(result);
    else
      print(
        result.killed.length > 0
          ? `Stopped task ${id}: killed ${result.killed.join(', ')}; its worker records it as failed.`
          : `Task ${id} is marked to stop; no process of its agent was found (it may be ending): its worker records it as failed.`,
      );
  });

  for (const paused of [true, false]) {
    const command = queue
      .command(paused ? 'pause' : 'resume')
      .description(
        paused
          ? 'stop every worker (of every machine) from claiming tasks until `ralph queue resume`; tasks already running go on'
          : 'let workers claim tasks again after `ralph queue pause`',
      )
      .option('--json', 'machine-readable output');
    queueOption(dirOption(command)).action(async (flags: QueueFlags & { json?: boolean }) => {
      const store = await openExistingQueue(flags, { load: false });
      const result = await setPaused(store, paused).finally(() => store.close());
      if (flags.json) printJson(result);
      else if (!result.changed) print(paused ? 'Claiming was already paused.' : 'Claiming was not paused.');
      else print(paused ? 'Claiming paused: no worker takes a new task until `ralph queue resume`.' : 'Claiming resumed.');
    });
  }

  const list = queue
    .command('list')
    .description('list tasks')
    .option('--status <status>', `only tasks with this status (${TASK_STATUSES.join(', ')})`)
    .option('--type <type>', 'only tasks of this type')
    .option('--worker <n>', 'only tasks this worker ran or runs', positiveInt)
    .option('--text <text>', 'only tasks whose id, finding or error holds this text (any case)')
    .option('--sort <order>', `the order: ${TASK_SORTS.join(', ')} (default queue)`)
    .option('--limit <n>', 'at most this many (a page)', positiveInt)
    .option('--offset <n>', 'skip this many first (the next page: --offset plus --limit)', nonNegativeInt)
    .option('--json', 'machine-readable output');
  queueOption(dirOption(list)).action(
    async (
      flags: QueueFlags & { status?: string; type?: string; worker?: number; text?: string; sort?: string; json?: boolean; limit?: number; offset?: number },
    ) => {
      if (flags.status !== undefined && !TASK_STATUSES.includes(flags.status as TaskStatus)) {
        throw new InputError(`Expected --status to be one of ${TASK_STATUSES.join(', ')}, got \`${flags.status}\`.`);
      }
      if (flags.sort !== undefined && !TASK_SORTS.includes(flags.sort as TaskSort)) {
        throw new InputError(`Expected --sort to be one of ${TASK_SORTS.join(', ')}, got \`${flags.sort}\`.`);
      }
      const store = await openExistingQueue(flags, { load: false });
      const tasks = await store.listTasks({
        ...(flags.status === undefined ? {} : { status: flags.status as TaskStatus }),
        ...(flags.type === undefined ? {} : { type: flags.type }),
        ...(flags.worker === undefined ? {} : { worker: flags.worker }),
        ...(flags.text === undefined ? {} : { text: flags.text }),
        ...(flags.sort === undefined ? {} : { sort: flags.sort as TaskSort }),
        ...(flags.offset === undefined ? {} : { offset: flags.offset }),
        ...(flags.limit === undefined ? {} : { limit: flags.limit }),
      });
      await store.close();
      if (flags.json) {
        printJson(tasks);
        return;
      }
      for (const line of columns(tasks.map(listRow))) print(line.trimEnd());
      if (tasks.length === 0) print('No tasks.');
    },
  );

  const retry = queue
    .command('retry')
    .description('put failed tasks back to pending: the given ids, or every failed task with --failed')
    .argument('[ids...]', 'ids of failed tasks')
    .option('--failed', 'every failed task')
    .option('--json', 'machine-readable output');
  queueOption(dirOption(retry)).action(async (ids: string[], flags: QueueFlags & { failed?: boolean; json?: boolean }) => {
    if (ids.length === 0 && !flags.failed) throw new InputError('Name the task ids to retry, or pass --failed for every failed task.');
    if (ids.length > 0 && flags.failed) throw new InputError('Give task ids or --failed, not both.');
    const store = await openExistingQueue(flags, { load: false });
    const result = await retryFailed(store, { ids, allFailed: flags.failed === true }).finally(() => store.close());
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
