// biome-ignore-all lint/style/noExcessiveLinesPerFile: the Store implementation's transactions, compaction and fencing share the state they guard; the pure parts are in cache, transaction, compaction and generations
import { existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { CorruptStateError, RalphError, StateWriteError, asWriteError, isErrno } from '../errors.js';
import { FileSessions } from './sessions.js';
import { ChangeWatcher } from './watch.js';
import type { QueueWatch } from './watch.js';
import type { Finding, Issue, QueueState, Task } from '../queue/types.js';
import { writeFileAtomicSync } from './atomic-write.js';
import { compactionDue } from './compaction.js';
import { stopPoint } from './faults.js';
import { JournalFile, headerLine } from './journal.js';
import type { JournalEntry } from './journal.js';
import { decideGenerations } from './generations.js';
import { FileLock } from './lock.js';
import type { LockHandle, LockInspection, LockOptions } from './lock.js';
import { statePaths } from './paths.js';
import { checkStateDir, unwritable } from './state-dir.js';
import type { StatePaths } from './paths.js';
import { pause } from '../process/alive.js';
import { makePrivateDir } from '../process/private.js';
import { parseQueueSnapshot, parseResultsSnapshot, peekResultsStamp, readJsonFile, serializeQueue, serializeResults } from './snapshot.js';
import { FencedError, Stage, removeStage } from './stage.js';
import type { DependencyWait, QueueOverview, Store, TaskDetail, TaskQuery, Transaction, TxScope } from './store.js';
import { waitingOn } from '../queue/dependencies.js';
import { selects, sortTasks } from '../queue/task-query.js';
import { countByStatus } from '../queue/counts.js';
import { countSeries } from '../queue/series.js';
import type { SeriesBucket } from '../queue/series.js';
import { Results, applyEntry, isConsistent, journalHasEntries, midCompaction, openIndex, stateOf } from './cache.js';
import type { Cache } from './cache.js';
import { FileTransaction } from './transaction.js';

export interface FileStoreOptions {
  lock?: LockOptions;
  /**
   * A fixed bound on how long the JSON snapshots may lag the journal (ms), instead of the policy in
   * compaction.ts (a bound that grows with their size); for tests.
   */
  compactEveryMs?: number;
  /** The journal is folded into the snapshots once it grows past this size. */
  maxJournalBytes?: number;
  /**
   * Reads `results.json`'s findings and issues only when a transaction or a compaction needs them
   * (under the lock), and lets go of them after a compaction: for a process that never reads them
   * otherwise (a worker), whose memory then does not grow with every finding of the queue.
   */
  lazyResults?: boolean;
}

/**
 * The `.ralph/` file store: `work-queue.json` and `results.json` snapshots plus `journal/queue.ndjson`.
 * A transaction appends one journal line under `.ralph/.lock`; now and then (compaction.ts, and at
 * the end of a run) the snapshots are rewritten atomically, each stamped with a generation that tells
 * which journal lines they already contain, so a crash at any point loses nothing and applies nothing
 * twice.
 */
export class FileStore implements Store {
  readonly dir: string;
  /** The state directory, as `status` names the queue. */
  get location(): string {
    return this.dir;
  }
  readonly paths: StatePaths;
  readonly lock: FileLock;
  readonly sessions: FileSessions;
  private readonly compactEveryMs: number | undefined;
  private readonly maxJournalBytes: number;
  private readonly lazyResults: boolean;
  private cache: Cache | undefined;
  private readonly journalFile: JournalFile;
  private readonly stage: Stage;

  constructor(dir: string, options: FileStoreOptions = {}) {
    this.dir = dir;
    this.paths = statePaths(dir);
    this.sessions = new FileSessions(this.paths, (body, purpose) => this.transact(body, purpose));
    this.journalFile = new JournalFile(this.paths.journal);
    this.stage = new Stage(dir);
    this.lock = new FileLock(this.paths.lock, { ...leaseFromEnvironment(), ...options.lock });
    this.compactEveryMs = options.compactEveryMs;
    this.lazyResults = options.lazyResults === true;
    this.maxJournalBytes = options.maxJournalBytes ?? 16 * 1024 * 1024;
  }

  /** Whether there is a queue; a `dir` that cannot be a state directory (a file, a dangling link) is an error. */
  exists(): boolean {
    checkStateDir(this.dir);
    try {
      statSync(this.paths.queue);
      return true;
    } catch (error) {
      // A directory this user may not look into (0700, someone else's) says so, not "no queue".
      if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) return false;
      throw asWriteError(error, this.dir);
    }
  }

  /** Makes the state directory ready to be written, or says why it cannot be (exit 2). */
  ensure(): void {
    checkStateDir(this.dir);
    for (const dir of [this.dir, this.paths.sessions, this.paths.prompts, this.paths.journalDir]) {
      try {
        makePrivateDir(dir);
      } catch (error) {
        throw asWriteError(error, dir);
      }
    }
    const problem = unwritable(this.dir);
    if (problem) throw problem;
    const empty: QueueState = { tasks: [], meta: { active: false, worker_count: 0 }, findings: [], issues: [] };
    const now = new Date();
    // Created only where missing (an exclusive link, without the lock): never over a queue that
    // another process made meanwhile.
    if (!existsSync(this.paths.queue)) writeFileAtomicSync(this.paths.queue, serializeQueue(empty, 0, now), { exclusive: true });
    if (!existsSync(this.paths.results)) writeFileAtomicSync(this.paths.results, serializeResults(empty, 0, now), { exclusive: true });
  }

  read(): QueueState {
    for (let attempt = 0; ; attempt++) {
      try {
        const cache = this.sync();
        if (!midCompaction(cache) || attempt >= 20) return cache.state;
      } catch (error) {
        // A snapshot renamed away between stat and open: read again.
        if (!isErrno(error, 'ENOENT') || attempt >= 20) throw error;
      }
      this.cache = undefined;
      pause(5);
    }
  }

  /** Nothing to bring in: `read()` reads the files on demand. */
  async refresh(): Promise<void> {}

  async listTasks(query: TaskQuery): Promise<Task[]> {
    const { tasks } = this.read();
    const unfiltered = query.status === undefined && query.type === undefined && query.worker === undefined && !query.text && query.merge === undefined;
    const matching = sortTasks(unfiltered ? tasks : tasks.filter((t) => selects(t, query)), query.sort);
    const from = query.offset ?? 0;
    return matching.slice(from, query.limit === undefined ? undefined : from + query.limit);
  }

  async taskDetail(id: string): Promise<TaskDetail | undefined> {
    const state = this.read();
    const task = state.tasks.find((t) => t.id === id);
    if (!task) return undefined;
    return { task, findings: state.findings.filter((f) => f.task_id === id), issues: state.issues.filter((i) => i.task_id === id) };
  }

  async waitingOnDependencies(limit: number): Promise<DependencyWait[]> {
    const state = this.read();
    if (!state.meta.dependencies) return [];
    const byId = new Map(state.tasks.map((t) => [t.id, t]));
    return waitingOn(state.tasks, (id) => byId.get(id), limit);
  }

  async finishSeries(from: Date, bucketMs: number): Promise<SeriesBucket[]> {
    const state = this.read();
    return countSeries(state.tasks, [...state.findings, ...state.issues], from.getTime(), bucketMs);
  }

  async overview(): Promise<QueueOverview> {
    const state = this.read();
    return { counts: countByStatus(state.tasks), meta: state.meta };
  }

  /** `scope` is not needed here: the state is in memory whole, read by the body as it goes. */
  async transact<T>(body: (tx: Transaction) => T, purpose?: string, _scope?: TxScope): Promise<T> {
    const [result] = await this.transactEach([body], purpose);
    if (result!.status === 'rejected') throw result!.reason;
    return result!.value;
  }

  /**
   * Runs each body in turn, as its own transaction, under one taking of the lock: each sees what
   * the ones before it changed, and what they all changed is appended in one write. A body that
   * throws changes nothing (its result says why); the others still count.
   */
  async transactEach<T>(bodies: ReadonlyArray<(tx: Transaction) => T>, purpose?: string): Promise<Array<PromiseSettledResult<T>>> {
    // What others committed is read before the lock is taken, so that the lock is held only for what
    // arrives meanwhile: every microsecond under it is one that all other workers wait. (Read again
    // under the lock, which alone decides; a failure here shows there too.)
    try {
      this.sync(true);
    } catch {
      this.cache = undefined;
    }
    const { handle, fenced } = await this.lockForWrite(purpose);
    try {
      const cache = this.sync();
      const now = new Date();
      stopPoint('locked');
      if (!isConsistent(cache) || fenced) this.writeSnapshots(cache, now);
      const results: Array<PromiseSettledResult<T>> = [];
      const entries: JournalEntry[] = [];
      for (const body of bodies) {
        const tx = new FileTransaction(cache, now);
        try {
          results.push({ status: 'fulfilled', value: body(tx) });
        } catch (reason) {
          results.push({ status: 'rejected', reason });
          continue;
        }
        const entry = tx.entry();
        if (!entry) continue;
        entries.push(entry);
        // The next body sees this one's changes. Should the commit below fail, the cache is dropped.
        applyEntry(cache, entry, true, true, this.paths.journal);
      }
      if (entries.length === 0) return results;
      if (!handle.holdsNow()) {
        throw new RalphError('RALPH_LOCK_LOST', `Lost ${this.paths.lock} before committing (another process took it over); nothing was written.`, {
          exitCode: 1,
        });
      }
      // A journal line per transaction is the commit point, also for a reset: a crash between the
      // snapshot writes that follow can never pair the reset queue with the old results.
      const journal = cache.journal!;
      journal.end = this.journalFile.append(entries, journal.end);
      journal.tornBytes = 0;
      stopPoint('appended');
      // Still the holder after the write: then whoever takes the lock over later reads this line.
      // Otherwise it may have gone into a journal the new holder had already read or replaced.
      if (!handle.holdsNow()) {
        throw new RalphError(
          'RALPH_LOCK_LOST',
          `Lost ${this.paths.lock} while committing (this process was paused and another took the lock over); this change may or may not have been recorded, and this process stops here. Run the command again: nothing is recorded twice.`,
          { exitCode: 1 },
        );
      }
      if (entries.some((e) => e.reset) || this.compactionDue(cache, now.getTime())) {
        // Committed: a compaction that cannot be written now (a full disk) is tried again later, and
        // the files it did not replace, with the journal, still hold everything. One refused because
        // another process took the lock over (fenced) leaves the commit to it: it read the journal.
        try {
          this.writeSnapshots(cache, now);
        } catch (error) {
          if (!(error instanceof StateWriteError) && !(error instanceof FencedError)) throw error;
          this.cache = undefined;
        }
      }
      return results;
    } catch (error) {
      this.cache = undefined;
      throw error;
    } finally {
      handle.release();
    }
  }

  /**
   * Takes the lock to write. When it was taken over from another process (dead, or silent on
   * another machine past its lease), that process's writes are fenced first: the journal is moved
   * aside (it may still append there, never to a journal anyone else appends to), its staging
   * directory is removed (any snapshot it still renames fails), and the caller compacts before
   * anything else. Should that compaction fail, the journal stays aside and the next holder
   * compacts first instead: nobody appends until a new journal is written.
   */
  private async lockForWrite(purpose: string | undefined): Promise<{ handle: LockHandle; fenced: boolean }> {
    let handle: LockHandle;
    try {
      // Taking the lock writes a file too: a full disk or a read-only directory says so there.
      handle = await this.lock.acquire(purpose, { stage: this.stage.name() });
    } catch (error) {
      throw asWriteError(error, this.paths.lock);
    }
    return { handle, fenced: this.fence(handle) };
  }

  // Removes the staging directory of the owner `handle` replaced, if any; says whether it replaced one.
  private fence(handle: LockHandle): boolean {
    const replaced = handle.replaced;
    if (replaced === undefined) return false;
    try {
      // The journal first: from here on the old holder can append only to the file moved aside,
      // which this holder reads now and replaces by compacting before it appends anything.
      this.journalFile.fence();
      if (replaced.stage !== undefined && replaced.stage !== handle.owner.stage) removeStage(this.dir, replaced.stage);
    } catch (error) {
      handle.release();
      throw error;
    }
    this.cache = undefined;
    return true;
  }

  /**
   * Runs `body` holding the lock to write (a takeover fences the holder it replaced, as for a
   * transaction): for repairs that replace the state files themselves (`--reset` of unreadable ones).
   */
  async withWriteLock<T>(purpose: string, body: () => T): Promise<T> {
    const { handle } = await this.lockForWrite(purpose);
    try {
      return body();
    } finally {
      this.cache = undefined;
      handle.release();
    }
  }

  /**
   * `ralph unlock`: takes the lock from the owner `seen` describes (a stale one; a live one when
   * forced), fences that owner's writes as a takeover does, and lets go. False when the lock
   * changed hands meanwhile (then it is left as it is).
   */
  async breakLock(seen: LockInspection): Promise<boolean> {
    const handle = this.lock.takeOver(seen, 'unlock', { stage: this.stage.name() });
    if (!handle) return false;
    try {
      this.fence(handle);
      if (this.exists()) this.writeSnapshots(this.sync(), new Date());
    } catch (error) {
      this.cache = undefined;
      throw error;
    } finally {
      handle.release();
    }
    return true;
  }

  /** Wakes on changes to the journal (inotify and friends), which every transaction appends to. */
  watch(): QueueWatch {
    return new ChangeWatcher(this.paths.journalDir, [basename(this.paths.journal)]);
  }

  /** Lets go of the open journal file and the lock's spare file (both made again when needed). */
  close(): void {
    this.journalFile.close();
    this.lock.dropSpare();
  }

  /** Folds the journal into the snapshots now, if it holds anything. */
  async compact(): Promise<void> {
    const { handle, fenced } = await this.lockForWrite('compact');
    try {
      const cache = this.sync();
      if (!isConsistent(cache) || journalHasEntries(cache) || fenced) this.writeSnapshots(cache, new Date());
    } catch (error) {
      this.cache = undefined;
      throw error;
    } finally {
      handle.release();
    }
  }

  /**
   * Compacts when the policy says it is time (compaction.ts), or with `everything` whenever the
   * journal holds anything; checked without the lock. Says whether it compacted.
   */
  async compactIfDue(everything = false): Promise<boolean> {
    const cache = this.sync();
    const due = !isConsistent(cache) || (everything ? journalHasEntries(cache) : this.compactionDue(cache, Date.now()));
    if (due) await this.compact();
    return due;
  }

  private compactionDue(cache: Cache, now: number): boolean {
    const journal = cache.journal;
    if (!journal) return false;
    const facts = {
      journalBytes: journal.end - Buffer.byteLength(journal.headerLine) - 1,
      snapshotBytes: cache.snapshotBytes,
      ageMs: now - Date.parse(journal.header.created_at),
    };
    return compactionDue(facts, this.maxJournalBytes, this.compactEveryMs);
  }

  /**
   * Brings the cache up to date with the files: only new journal lines when nothing else moved.
   * `journalOnly` skips looking at the snapshots, for a read ahead of taking the lock: a compaction
   * also starts a new journal, which this notices, and the read under the lock checks everything.
   */
  private sync(journalOnly = false): Cache {
    const cache = this.cache;
    if (cache?.journal) {
      if (journalOnly || (signature(this.paths.queue) === cache.queueSig && signature(this.paths.results) === cache.resultsSig)) {
        const read = this.journalFile.read(cache.journal.end, cache.journal.headerLine);
        if (read && !read.rotated) {
          for (const entry of read.entries) applyEntry(cache, entry, cache.applyTasks, cache.applyResults, this.paths.journal);
          cache.journal.end = read.end;
          cache.journal.tornBytes = read.tornBytes;
          cache.journal.fenced = read.fenced;
          return cache;
        }
      }
    }
    this.cache = this.load();
    return this.cache;
  }

  private load(): Cache {
    for (let attempt = 0; ; attempt++) {
      const cache = this.loadOnce();
      if (cache) return cache;
      // A compaction renames three files in a few milliseconds; half a second of them is not one.
      if (attempt >= 100)
        throw new RalphError('RALPH_STATE_CHANGING', `The state files in ${this.dir} kept changing while being read; try again.`, { exitCode: 1 });
      pause(5);
    }
  }

  /** The state as the files hold it; undefined when they changed while being read and do not go together. */
  private loadOnce(): Cache | undefined {
    const queueSig = signature(this.paths.queue);
    const resultsSig = signature(this.paths.results);
    const queue = parseQueueSnapshot(readJsonFile(this.paths.queue) ?? missing(this.paths.queue), this.paths.queue);
    // A worker reads results.json only when it compacts: its generation is on its last line.
    const peeked = this.lazyResults ? peekResultsStamp(this.paths.results) : undefined;
    const resultsJson = peeked ? undefined : readJsonFile(this.paths.results);
    const parsed = peeked ? undefined : parseResultsSnapshot(resultsJson ?? { findings: [], issues: [] }, this.paths.results);
    const results = peeked ?? parsed!;
    const lists = new Results(this.resultsLoader(resultsSig), parsed);
    const state = stateOf(queue.tasks, queue.meta, lists);
    const index = new Map(queue.tasks.map((t, i) => [t.id, i]));
    if (index.size !== queue.tasks.length) {
      const twice = queue.tasks.find((t, i) => index.get(t.id) !== i)!;
      throw new CorruptStateError(this.paths.queue, `task ${JSON.stringify(twice.id)} appears more than once; ids must be unique`);
    }
    const cache: Cache = {
      state,
      results: lists,
      index,
      open: openIndex(queue.tasks),
      queueSig,
      resultsSig,
      snapshotBytes: sizeIn(queueSig) + sizeIn(resultsSig),
      generations: { queue: queue.generation, results: results.generation },
      applyTasks: false,
      applyResults: false,
    };
    const journalSig = signature(this.paths.journal);
    const journal = this.journalFile.read();
    const stamp = journal && { ...journal.header, end: journal.end, entries: journal.entries.length };
    const decision = decideGenerations(queue, { ...results, missing: !peeked && resultsJson === undefined }, stamp, this.paths);
    if (!decision.ok) {
      // Read while a compaction replaced the files one by one: what was read does not go together.
      if (signature(this.paths.queue) !== queueSig || signature(this.paths.results) !== resultsSig || signature(this.paths.journal) !== journalSig)
        return undefined;
      throw CorruptStateError.mismatch(this.paths[decision.file], decision.problem, decision.fix);
    }
    if (journal) {
      cache.journal = { header: journal.header, headerLine: journal.headerLine, end: journal.end, tornBytes: journal.tornBytes, fenced: journal.fenced };
      cache.applyTasks = decision.applyTasks;
      cache.applyResults = decision.applyResults;
      for (const entry of journal.entries) applyEntry(cache, entry, cache.applyTasks, cache.applyResults, this.paths.journal);
    }
    return cache;
  }

  // Reads the findings and issues of results.json as it was when `signature` was taken (under the
  // lock nobody replaces it; a reader that finds it replaced reads everything again).
  private resultsLoader(signed: string): () => { findings: Finding[]; issues: Issue[] } {
    return () => {
      if (signature(this.paths.results) !== signed) {
        this.cache = undefined;
        throw new RalphError('RALPH_STATE_MOVED', `${this.paths.results} was replaced while being read; read it again.`, { exitCode: 1 });
      }
      return parseResultsSnapshot(readJsonFile(this.paths.results) ?? { findings: [], issues: [] }, this.paths.results);
    };
  }

  // Snapshots first, each stamped with the new generation, then a fresh journal: a crash in between
  // leaves generations that tell which journal lines are already in which snapshot.
  private writeSnapshots(cache: Cache, now: Date): void {
    const g = Math.max(cache.generations.queue, cache.generations.results, cache.journal?.header.generation ?? 0) + 1;
    const folded = cache.journal && { generation: cache.journal.header.generation, created_at: cache.journal.header.created_at, end: cache.journal.end };
    // Each on disk before the next is written (the directory flushed): no crash, not even of the
    // machine, can leave the results ahead of the queue, or the new journal ahead of either.
    const queueText = serializeQueue(cache.state, g, now, folded);
    const resultsText = serializeResults(cache.state, g, now, folded);
    this.stage.write(this.paths.queue, queueText);
    stopPoint('queue-written');
    this.stage.write(this.paths.results, resultsText);
    stopPoint('results-written');
    makePrivateDir(this.paths.journalDir);
    this.stage.write(this.paths.journal, `${headerLine(g, now)}\n`);
    this.journalFile.dropFenced();
    cache.queueSig = signature(this.paths.queue);
    cache.resultsSig = signature(this.paths.results);
    if (this.lazyResults) cache.results.unload(this.resultsLoader(cache.resultsSig));
    cache.snapshotBytes = Buffer.byteLength(queueText) + Buffer.byteLength(resultsText);
    cache.generations = { queue: g, results: g };
    // Appends go to the journal just written (read back: the file this store appends to is the one it read).
    const journal = this.journalFile.read()!;
    cache.journal = { header: journal.header, headerLine: journal.headerLine, end: journal.end, tornBytes: journal.tornBytes, fenced: false };
    cache.applyTasks = true;
    cache.applyResults = true;
  }
}

function sizeIn(signature: string): number {
  return Number(signature.split(':')[1]) || 0;
}

function signature(path: string): string {
  try {
    const s = statSync(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return 'missing';
    throw error;
  }
}

/**
 * `RALPH_LOCK_LEASE` (seconds): how long a holder of the queue lock on another machine may stay
 * silent before its lock is taken over (a holder on this machine keeps it while it lives).
 */
function leaseFromEnvironment(): LockOptions {
  const text = process.env.RALPH_LOCK_LEASE;
  if (text === undefined || text === '') return {};
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new RalphError('RALPH_BAD_INPUT', `Expected RALPH_LOCK_LEASE to be a positive number of seconds, got \`${text}\`.`);
  return { leaseMs: Math.round(seconds * 1000) };
}

function missing(path: string): never {
  throw Object.assign(new Error(`${path} does not exist`), { code: 'ENOENT' });
}
