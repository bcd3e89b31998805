import { InputError } from '../errors.js';
import { retryTask } from '../queue/outcome.js';
import type { Store } from '../store/store.js';

export interface RetryResult {
  retried: string[];
}

/** `ralph queue retry`: failed tasks (the given ids, or all with `failed`) go back to pending. */
export async function retryFailed(store: Store, selection: { ids: readonly string[]; allFailed: boolean }): Promise<RetryResult> {
  const result = await store.transact(
    (tx) => {
      const ids = selection.allFailed ? tx.tasks.filter((t) => t.status === 'failed').map((t) => t.id) : [...new Set(selection.ids)];
      const problems: string[] = [];
      for (const id of ids) {
        const task = tx.get(id);
        if (!task) problems.push(`${JSON.stringify(id)} is not in the queue`);
        else if (task.status !== 'failed') problems.push(`${JSON.stringify(id)} is ${task.status}, not failed`);
      }
      if (problems.length > 0) throw new InputError(`Nothing retried: ${problems.join('; ')}.`);
      for (const id of ids) tx.put(retryTask(tx.get(id)!)!);
      return { retried: ids };
    },
    'queue retry',
    selection.allFailed ? undefined : { ids: [...new Set(selection.ids)] },
  ); // given ids: only those are read
  await store.compact();
  return result;
}
