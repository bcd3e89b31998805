import { CorruptStateError } from '../errors.js';
import { inQueueOrder } from '../queue/claim.js';
import type { Finding, Issue, QueueMeta, QueueState, Task } from '../queue/types.js';
import type { JournalEntry, JournalRead } from './journal.js';
import { OpenList } from './open-list.js';
import { applyChange } from './task-change.js';

/** What a FileStore holds of the queue in memory: the state, and what it was read from. */
export interface Cache {
  /** Its `findings` and `issues` are `results`'s. */
  state: QueueState;
  results: Results;
  index: Map<string, number>;
  /** The pending and the claimed tasks, each in queue order. */
  open: OpenIndex;
  queueSig: string;
  resultsSig: string;
  /** The two snapshots' size in bytes, as last read or written. */
  snapshotBytes: number;
  generations: { queue: number; results: number };
  journal?: Pick<JournalRead, 'header' | 'headerLine' | 'end' | 'tornBytes' | 'fenced'>;
  applyTasks: boolean;
  applyResults: boolean;
}

export function isConsistent(cache: Cache): boolean {
  return cache.journal !== undefined && !cache.journal.fenced && cache.applyTasks && cache.applyResults;
}

// Snapshots and journal disagree on their generation only while a compaction is being written (or
// was cut off by a crash). A store without a journal yet (new, or in the shell layout) is settled.
export function midCompaction(cache: Cache): boolean {
  const { queue, results } = cache.generations;
  return queue !== results || (cache.journal !== undefined && cache.journal.header.generation !== queue);
}

export function journalHasEntries(cache: Cache): boolean {
  return cache.journal !== undefined && cache.journal.end > Buffer.byteLength(cache.journal.headerLine) + 1;
}

// Puts a task in the cache: in place of the one with its id, or added at the end.
function putTask(cache: Cache, task: Task): void {
  const at = cache.index.get(task.id);
  if (at === undefined) {
    cache.index.set(task.id, cache.state.tasks.length);
    if (isOpen(task.status)) cache.open[task.status].set(cache.state.tasks.length, task);
    cache.state.tasks.push(task);
    return;
  }
  const was = cache.state.tasks[at]!.status;
  if (was !== task.status && isOpen(was)) cache.open[was].delete(at);
  if (isOpen(task.status)) cache.open[task.status].set(at, task);
  cache.state.tasks[at] = task;
}

export function applyEntry(cache: Cache, entry: JournalEntry, tasks: boolean, results: boolean, journalPath: string): void {
  if (entry.reset && tasks) {
    cache.state.tasks = [];
    cache.index = new Map();
    cache.open = openIndex([]);
  }
  if (entry.reset && results) cache.results.reset();
  if (tasks) {
    for (const task of entry.tasks ?? []) putTask(cache, task);
    for (const change of entry.changes ?? []) {
      const at = cache.index.get(change.id);
      if (at === undefined) throw new CorruptStateError(journalPath, `an entry changes task ${JSON.stringify(change.id)}, which is not in the queue`);
      putTask(cache, applyChange(cache.state.tasks[at]!, change));
    }
    if (entry.meta) cache.state.meta = { ...cache.state.meta, ...entry.meta };
  }
  if (results) cache.results.add(entry.findings, entry.issues);
}

export type OpenIndex = Record<'pending' | 'claimed', OpenList>;

export function isOpen(status: Task['status']): status is 'pending' | 'claimed' {
  return status === 'pending' || status === 'claimed';
}

export function openIndex(tasks: readonly Task[]): OpenIndex {
  // Counting the pending tasks that are not in plain queue order lets a claim skip its pass over
  // them all when there are none (`pendingInQueueOrder`).
  const open: OpenIndex = { pending: new OpenList((task) => !inQueueOrder(task)), claimed: new OpenList() };
  tasks.forEach((task, at) => {
    if (isOpen(task.status)) open[task.status].set(at, task);
  });
  return open;
}

interface ResultLists {
  findings: Finding[];
  issues: Issue[];
}

/**
 * The findings and issues of the queue: those of `results.json`, read when first asked for (or at
 * once), and those journaled since. A worker never asks but to compact, so its memory does not grow
 * with every finding of the queue; it reads them then, under the lock, and lets go of them again.
 */
export class Results {
  private lists: ResultLists | undefined;
  /** Journaled before `results.json` was read. */
  private readonly added: ResultLists = { findings: [], issues: [] };
  private load: () => ResultLists;

  constructor(load: () => ResultLists, loaded?: ResultLists) {
    this.load = load;
    this.lists = loaded;
  }

  get findings(): Finding[] {
    return this.all().findings;
  }
  get issues(): Issue[] {
    return this.all().issues;
  }

  add(findings: readonly Finding[] | undefined, issues: readonly Issue[] | undefined): void {
    const into = this.lists ?? this.added;
    if (findings) into.findings.push(...findings);
    if (issues) into.issues.push(...issues);
  }

  /** Empties them (a reset), without reading the file. */
  reset(): void {
    this.lists = { findings: [], issues: [] };
    this.added.findings.length = 0;
    this.added.issues.length = 0;
  }

  /** Lets go of them: written to `results.json`, which `load` reads when next asked. */
  unload(load: () => ResultLists): void {
    this.load = load;
    this.lists = undefined;
  }

  private all(): ResultLists {
    if (!this.lists) {
      const read = this.load();
      this.lists = { findings: [...read.findings, ...this.added.findings], issues: [...read.issues, ...this.added.issues] };
      this.added.findings.length = 0;
      this.added.issues.length = 0;
    }
    return this.lists;
  }
}

/** A queue state whose findings and issues are those of `results`. */
export function stateOf(tasks: Task[], meta: QueueMeta, results: Results): QueueState {
  const state = { tasks, meta } as QueueState;
  Object.defineProperty(state, 'findings', { get: () => results.findings, enumerable: true });
  Object.defineProperty(state, 'issues', { get: () => results.issues, enumerable: true });
  return state;
}
