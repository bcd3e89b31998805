import type { Finding, Issue, QueueMeta, QueueState, StatusCounts, Task } from '../queue/types.js';
import type { TaskFilter } from '../queue/task-query.js';
import type { SeriesBucket } from '../queue/series.js';
import type { StatePaths } from './paths.js';
import type { Sessions } from './sessions.js';
import type { QueueWatch } from './watch.js';

/**
 * Where the queue lives. The file store under `.ralph/` is the one implementation today; the
 * interface is what workers and the orchestrator use, so another backend can take its place.
 */
export interface Store {
  /** The state directory: the queue's files, or (a database's queue) this machine's logs, prompts and report. */
  readonly dir: string;
  readonly paths: StatePaths;
  /** Where the queue is, as it may be shown: the state directory, or a database's URL without the password. */
  readonly location: string;
  /** Whether a queue exists here. */
  exists(): boolean;
  /** Creates the directory and empty state files where missing; never overwrites. */
  ensure(): void;
  /** A consistent view of the state, read without taking the lock (a database's: as the last `refresh()` read it). */
  read(): QueueState;
  /** Brings what `read()` and the sessions' reads give up to date (the file store reads on demand: nothing to do). */
  refresh(): Promise<void>;
  /**
   * The tasks counted by status and the queue's meta, and the sessions brought up to date: what
   * `status` shows, without reading every task (a database counts them itself).
   */
  overview(): Promise<QueueOverview>;
  /** Tasks as the query selects and orders them (default: all, in queue order), a page of them (`offset`, `limit`). */
  listTasks(query: TaskQuery): Promise<Task[]>;
  /** One task with its findings and issues (every attempt's), or undefined when it is not in the queue. */
  taskDetail(id: string): Promise<TaskDetail | undefined>;
  /** Pending tasks that wait on others (`depends_on` not all completed), in queue order, at most `limit`, each with what it waits on. */
  waitingOnDependencies(limit: number): Promise<DependencyWait[]>;
  /** Tasks finished and money spent since `from`, counted per `bucketMs` (the dashboard's charts; see report/history.ts). */
  finishSeries(from: Date, bucketMs: number): Promise<SeriesBucket[]>;
  /**
   * Runs `body` under the lock on the current state and commits what it changed, atomically. `scope`
   * says what the body reads when it is less than everything (a database then reads only that).
   */
  transact<T>(body: (tx: Transaction) => T, purpose?: string, scope?: TxScope): Promise<T>;
  /**
   * Runs each body as its own transaction, in turn, under one taking of the lock (each sees the
   * changes of those before it). A body that throws changes nothing; the others are committed.
   */
  transactEach<T>(
    bodies: ReadonlyArray<(tx: Transaction) => T>,
    purpose?: string,
    scopes?: ReadonlyArray<TxScope | undefined>,
  ): Promise<Array<PromiseSettledResult<T>>>;
  /** Rewrites the JSON snapshots so that they hold every change (also done now and then by itself). */
  compact(): Promise<void>;
  /**
   * Compacts when it is due (the snapshots' lag has passed a bound that grows with their size), or
   * with `everything` whenever anything is not yet in them; says whether it did.
   */
  compactIfDue(everything?: boolean): Promise<boolean>;
  /** The workers' sessions (registration, heartbeat, current task, counts). */
  readonly sessions: Sessions;
  /** A watch on the queue's changes, for an idle worker or run to wait on (one each; close it when done). */
  watch(): QueueWatch;
  /**
   * A lock taken one at a time by every worker of the queue wherever it runs, for merges onto a base
   * branch on a shared remote; absent where one machine's lock does (the file store).
   */
  mergeLock?(): MergeLock;
  /** Lets go of what the store holds open (files, connections); a database's writes in flight are waited for. */
  close(): void | Promise<void>;
}

/**
 * What a transaction's body reads, when it is less than every task and result: the tasks it gets by
 * id, and with `step` a worker's step (the claims, and the pending tasks a claim chooses among:
 * `withStatus('pending')` may then list only those). `lockMeta`: the body changes the recorded cost,
 * so the queue's meta is taken first. Without a scope, the body may read everything.
 */
export interface QueueOverview {
  counts: StatusCounts;
  meta: QueueMeta;
}

export interface TaskDetail {
  task: Task;
  findings: Finding[];
  issues: Issue[];
}

export interface DependencyWait {
  id: string;
  waiting_on: string[];
}

export interface TaskQuery extends TaskFilter {
  offset?: number;
  limit?: number;
}

export interface TxScope {
  ids?: readonly string[];
  step?: boolean;
  /** The claims alone (`withStatus('claimed')`), to reap. */
  claimed?: boolean;
  lockMeta?: boolean;
}

export interface Transaction {
  /** The tasks as they were when the transaction started. */
  readonly tasks: readonly Task[];
  /**
   * The tasks that were `pending` (or `claimed`) when the transaction started, in queue order, as
   * this transaction sees them now: one it has changed since is listed with its new status (so
   * callers check `status`); one it added is not listed. What claiming and reaping look at, without
   * a pass over every task on each claim. Read it during the transaction only: the store may change
   * the list in place once the transaction is over.
   */
  withStatus(status: 'pending' | 'claimed'): readonly Task[];
  /**
   * Whether every task `withStatus('pending')` lists takes its turn in plain queue order (see
   * `inQueueOrder`), so that the first of them is the next to claim; false when unsure.
   */
  pendingInQueueOrder(): boolean;
  readonly meta: Readonly<QueueMeta>;
  readonly findings: readonly Finding[];
  readonly issues: readonly Issue[];
  readonly now: Date;
  /** The task as this transaction sees it (its own changes included). */
  get(id: string): Task | undefined;
  put(task: Task): void;
  addFinding(finding: Finding): void;
  addIssue(issue: Issue): void;
  setMeta(meta: Partial<QueueMeta>): void;
  /** Empties the queue and the results. */
  reset(): void;
}

/** A lock across every process of a queue (see Store.mergeLock). */
export interface MergeLock {
  acquire(purpose: string): Promise<{ release(): void | Promise<void> }>;
}
