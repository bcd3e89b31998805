import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError, StateWriteError, isErrno } from '../errors.js';
import { checkDependencies, dependenciesOf } from '../queue/dependencies.js';
import { planAppend } from '../queue/append.js';
import { parseTasksFile } from '../queue/tasks-file.js';
import { parsePrd } from '../queue/prd.js';
import type { TaskInput } from '../queue/types.js';
import type { Store } from '../store/store.js';

/** Reads and checks a tasks file before anything under `.ralph/` is touched. */
export function loadTasksFile(path: string): TaskInput[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) throw new InputError(`Tasks file ${path} not found.`);
    if (isErrno(error, 'EISDIR')) throw new InputError(`Tasks file ${path} is a directory; give a JSON or JSON Lines file.`);
    throw new InputError(`Cannot read tasks file ${path}: ${(error as Error).message}`, { cause: error });
  }
  return parseTasksFile(text, path);
}

export interface AppendResult {
  added: number;
  skipped: string[];
}

/** Appends tasks as `pending` (ids already queued are skipped); `reset` empties queue and results first. */
export async function appendTasks(store: Store, tasks: readonly TaskInput[], options: { reset?: boolean; source?: string } = {}): Promise<AppendResult> {
  const result = await store.transact((tx) => {
    if (options.reset) tx.reset();
    const queued = options.reset ? [] : tx.tasks;
    const existing = new Set(queued.map((t) => t.id));
    const plan = planAppend(existing, tasks, tx.now);
    // Every id a new task depends on is queued or added with it, and no dependencies go round.
    if (plan.added.some((t) => t.depends_on !== undefined)) {
      checkDependencies(plan.added, new Map(queued.map((t) => [t.id, dependenciesOf(t)])), options.source ?? 'the tasks');
      // A worker's claim then looks at each pending task's dependencies; a completion wakes idle workers.
      if (!tx.meta.dependencies) tx.setMeta({ dependencies: true });
    }
    if (plan.added.some((t) => t.prd !== undefined) && !tx.meta.prd) tx.setMeta({ prd: true });
    for (const task of plan.added) tx.put(task);
    return { added: plan.added.length, skipped: plan.skipped };
  }, 'append tasks');
  // Committed: a compaction that cannot be written now (a full disk) is done later.
  await store.compact().catch((error: unknown) => {
    if (!(error instanceof StateWriteError)) throw error;
  });
  return result;
}

/** The stories of a prd.json that do not pass yet, as tasks that name the file (absolute: a run marks them there once completed). */
export function loadPrdFile(path: string): { tasks: TaskInput[]; passing: string[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) throw new InputError(`PRD file ${path} not found.`);
    if (isErrno(error, 'EISDIR')) throw new InputError(`PRD file ${path} is a directory; give a prd.json.`);
    throw new InputError(`Cannot read PRD file ${path}: ${(error as Error).message}`, { cause: error });
  }
  const file = resolve(path);
  const { tasks, passing } = parsePrd(text, path);
  return { tasks: tasks.map((t) => ({ ...t, prd: file })), passing };
}
