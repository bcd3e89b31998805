import { InputError } from '../errors.js';
import type { Store } from './store.js';

export interface CopyResult {
  tasks: number;
  findings: number;
  issues: number;
}

/**
 * `ralph queue export` and `ralph queue migrate`: the whole queue of `from` (tasks, results and the
 * recorded cost; not the sessions, which are each machine's) written to `to` in one transaction, in
 * the form `to` keeps it. `to` must hold no tasks or results yet; a live run on `from` is refused
 * by the caller. `from` must have been refreshed.
 */
export async function copyQueue(from: Store, to: Store, names: { from: string; to: string }): Promise<CopyResult> {
  const state = from.read();
  return to.transact((tx) => {
    if (tx.tasks.length > 0 || tx.findings.length > 0 || tx.issues.length > 0) {
      throw new InputError(
        `${names.to} already holds a queue (${tx.tasks.length} task(s), ${tx.findings.length + tx.issues.length} result(s)); nothing was copied. Name an empty one.`,
      );
    }
    for (const task of state.tasks) tx.put(task);
    for (const finding of state.findings) tx.addFinding(finding);
    for (const issue of state.issues) tx.addIssue(issue);
    const { active: _active, ...meta } = state.meta;
    tx.setMeta({ ...meta, active: false });
    return { tasks: state.tasks.length, findings: state.findings.length, issues: state.issues.length };
  }, `copy the queue from ${names.from}`);
}
