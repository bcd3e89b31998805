import type { Finding, Issue, QueueMeta, Task } from '../../queue/types.js';
import { StagedChanges } from '../staged.js';
import type { Transaction } from '../store.js';

/** A task row as read, with the revision a write of it must find. */
export interface LoadedTask {
  task: Task;
  rev: number;
}

/**
 * What a PostgreSQL transaction read before its body runs: everything (`all`), or a worker's working
 * set: the claims, the tasks asked for by id, and the few pending tasks a claim chooses among.
 */
export interface Loaded {
  all: boolean;
  meta: QueueMeta;
  metaRev: number;
  /** Every task read, by id. */
  byId: Map<string, LoadedTask>;
  /** The ids the scope asked for (one not in `byId` is not in the queue). */
  asked?: ReadonlySet<string>;
  /** The pending and claimed tasks read, in claim order (pending) and queue order (claimed). */
  pending: Task[];
  claimed: Task[];
  /** Every task in queue order (`all` only). */
  tasks: Task[];
  findings: Finding[];
  issues: Issue[];
  now: Date;
}

/** A transaction body asked for what its scope did not load: a mistake in the caller, not a state to handle. */
export class OutOfScopeError extends Error {}

/**
 * One transaction's view of what was loaded, and what it changes; written by PgStore afterwards. With
 * a worker's working set, `withStatus('pending')` lists the tasks a claim may take (the next ready ones
 * in claim order), another pending one when there is one, and the one whose backoff ends first: enough
 * to claim, to tell whether work is left and when to look again, without reading the whole queue.
 */
export class LoadedTransaction extends StagedChanges implements Transaction {
  readonly now: Date;

  constructor(readonly loaded: Loaded) {
    super();
    this.now = loaded.now;
  }

  get tasks(): readonly Task[] {
    if (this.resetRequested) return [];
    if (!this.loaded.all) throw new OutOfScopeError('this transaction did not load every task');
    return this.loaded.tasks;
  }
  get findings(): readonly Finding[] {
    if (this.resetRequested) return [];
    if (!this.loaded.all) throw new OutOfScopeError('this transaction did not load the results');
    return this.loaded.findings;
  }
  get issues(): readonly Issue[] {
    if (this.resetRequested) return [];
    if (!this.loaded.all) throw new OutOfScopeError('this transaction did not load the results');
    return this.loaded.issues;
  }
  get meta(): Readonly<QueueMeta> {
    return { ...this.loaded.meta, ...this.metaChange };
  }

  withStatus(status: 'pending' | 'claimed'): readonly Task[] {
    if (this.resetRequested) return [];
    const listed = status === 'pending' ? this.loaded.pending : this.loaded.claimed;
    return this.puts.size === 0 ? listed : listed.map((task) => this.puts.get(task.id) ?? task);
  }

  pendingInQueueOrder(): boolean {
    return false;
  }

  get(id: string): Task | undefined {
    const put = this.puts.get(id);
    if (put || this.resetRequested) return put;
    const found = this.loaded.byId.get(id);
    if (found) return found.task;
    if (!this.loaded.all && !this.loaded.asked?.has(id)) throw new OutOfScopeError(`this transaction did not load task ${JSON.stringify(id)}`);
    return undefined;
  }

  /** A transaction that starts where this one is (its changes included), to run the next body of a batch on. */
  child(): LoadedTransaction {
    const next = new LoadedTransaction(this.loaded);
    next.resetRequested = this.resetRequested;
    for (const [id, task] of this.puts) next.puts.set(id, task);
    next.newFindings.push(...this.newFindings);
    next.newIssues.push(...this.newIssues);
    if (this.metaChange) next.metaChange = { ...this.metaChange };
    return next;
  }

  /** Whether committing it changes anything. */
  get changed(): boolean {
    return this.resetRequested || this.puts.size > 0 || this.newFindings.length > 0 || this.newIssues.length > 0 || this.metaChange !== undefined;
  }
}
