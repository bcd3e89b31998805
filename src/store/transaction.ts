import type { Finding, Issue, QueueMeta, Task } from '../queue/types.js';
import type { Cache } from './cache.js';
import type { JournalEntry } from './journal.js';
import { StagedChanges } from './staged.js';
import type { Transaction } from './store.js';
import { diffTask } from './task-change.js';
import type { TaskChange } from './task-change.js';

/** One transaction's view of a FileStore's cache, and what it changes (its journal line). */
export class FileTransaction extends StagedChanges implements Transaction {
  readonly now: Date;
  private readonly cache: Cache;

  constructor(cache: Cache, now: Date) {
    super();
    this.cache = cache;
    this.now = now;
  }

  get tasks(): readonly Task[] {
    return this.resetRequested ? [] : this.cache.state.tasks;
  }
  get findings(): readonly Finding[] {
    return this.resetRequested ? [] : this.cache.state.findings;
  }
  get issues(): readonly Issue[] {
    return this.resetRequested ? [] : this.cache.state.issues;
  }
  get meta(): Readonly<QueueMeta> {
    return { ...this.cache.state.meta, ...this.metaChange };
  }

  withStatus(status: 'pending' | 'claimed'): readonly Task[] {
    if (this.resetRequested) return [];
    const listed = this.cache.open[status].tasks;
    // Read back through this transaction's own changes, copying the list only when one touches it.
    return this.changedAny(status) ? listed.map((task) => this.puts.get(task.id) ?? task) : listed;
  }

  pendingInQueueOrder(): boolean {
    return this.resetRequested || (this.cache.open.pending.counted === 0 && !this.changedAny('pending'));
  }

  /** Whether this transaction has changed a task that had `status` when it started. */
  private changedAny(status: 'pending' | 'claimed'): boolean {
    for (const id of this.puts.keys()) {
      const at = this.cache.index.get(id);
      if (at !== undefined && this.cache.state.tasks[at]!.status === status) return true;
    }
    return false;
  }

  get(id: string): Task | undefined {
    const put = this.puts.get(id);
    if (put || this.resetRequested) return put;
    const at = this.cache.index.get(id);
    return at === undefined ? undefined : this.cache.state.tasks[at];
  }

  /** What this transaction changed, as its journal line; undefined when it changed nothing after all. */
  entry(): JournalEntry | undefined {
    const entry: JournalEntry = this.resetRequested ? { reset: true } : {};
    const added: Task[] = [];
    const changes: TaskChange[] = [];
    for (const task of this.puts.values()) {
      const at = this.resetRequested ? undefined : this.cache.index.get(task.id);
      if (at === undefined) {
        added.push(task);
        continue;
      }
      const change = diffTask(this.cache.state.tasks[at]!, task);
      if (change) changes.push(change);
    }
    if (added.length > 0) entry.tasks = added;
    if (changes.length > 0) entry.changes = changes;
    if (this.newFindings.length > 0) entry.findings = this.newFindings;
    if (this.newIssues.length > 0) entry.issues = this.newIssues;
    if (this.metaChange) entry.meta = this.metaChange;
    return Object.keys(entry).length === 0 ? undefined : entry;
  }
}
