import { existsSync, readFileSync, statSync, statfsSync } from 'node:fs';
import { createAgent } from '../agents/registry.js';
import type { AgentChoice } from '../agents/registry.js';
import { spawnBackend } from '../process/spawn.js';
import { errorMessage, writeProblem } from '../errors.js';
import { countByStatus } from '../queue/counts.js';
import { staleClaimReason } from '../queue/lease.js';
import { sessionAlive } from '../report/status.js';
import { leftoverTempFiles } from '../store/atomic-write.js';
import type { FileStore } from '../store/file-store.js';
import type { StatePaths } from '../store/paths.js';
import type { Task } from '../queue/types.js';
import { describeQueue, openQueue, openStore } from '../store/open.js';
import type { QueueLocation } from '../store/open.js';
import { stateDirProblem, unwritable } from '../store/state-dir.js';
import { HOST } from '../process/machine.js';
import { isAlive } from '../process/alive.js';
import { readLoopsView } from '../loops/view.js';
import { SHOWN_FAILURES } from './checks.js';
import type { Facts, StateDirFacts } from './checks.js';

/** Looks at a state directory the way a person would, without changing anything. */
export function gatherFacts(dir: string, choice: AgentChoice = {}): Facts {
  const store = openStore(dir);
  const problem = stateDirProblem(dir);
  if (problem) return { dir, sessionProblems: [], liveWorkers: 0, lock: { state: 'free' }, staleClaims: [], failed: [], tempFiles: [], stateDir: { problem } };
  const facts: Facts = {
    dir,
    sessionProblems: [],
    liveWorkers: 0,
    lock: store.lock.inspect(),
    staleClaims: [],
    failed: [],
    tempFiles: [],
    stateDir: stateDirFacts(store),
  };
  const { sessions, problems } = store.sessions.readLenient();
  facts.sessionProblems = problems;
  facts.liveWorkers = sessions.filter((s) => sessionAlive(s, Date.now(), 60_000)).length;

  let agent = agentOf(choice, undefined);
  const loops = readLoopsView(process.cwd());
  if (loops) facts.loops = loops;
  if (!store.exists()) {
    facts.queueProblem = `no queue at ${store.paths.queue}`;
    facts.queueMissing = true;
  } else {
    try {
      const state = store.read();
      facts.counts = countByStatus(state.tasks);
      facts.findingsCount = state.findings.length;
      agent = agentOf(choice, state.meta.run);
      facts.staleClaims = staleClaims(state.tasks, new Date());
      // Only the failures doctor shows get their log read.
      facts.failed = state.tasks.filter((t) => t.status === 'failed').map((t, i) => failure(t, store.paths, i < SHOWN_FAILURES));
    } catch (error) {
      facts.queueProblem = errorMessage(error);
    }
  }
  checkAgent(facts, agent);
  facts.spawn = spawnBackend();
  for (const where of [dir, store.paths.sessions, store.paths.journalDir, store.paths.prompts]) facts.tempFiles.push(...leftoverTempFiles(where));
  return facts;
}

/** The agent doctor is to check (what it was given, else the one the queue's last run used). */
function agentOf(choice: AgentChoice, run: { agent_cmd?: string; agent?: string } | undefined): AgentChoice | undefined {
  if (choice.agentCmd !== undefined || choice.agent !== undefined) return choice;
  if (run?.agent_cmd !== undefined) return { agentCmd: run.agent_cmd };
  if (run?.agent !== undefined) return { agent: run.agent };
  return undefined;
}

function checkAgent(facts: Facts, agent: AgentChoice | undefined): void {
  if (!agent) return;
  try {
    const adapter = createAgent(agent);
    facts.agentCmd = agent.agentCmd ?? adapter.describe();
    if (agent.agentCmd === undefined) facts.agentIsCli = true;
    const problem = adapter.preflight(process.cwd());
    if (problem) facts.agentProblem = problem;
  } catch (error) {
    facts.agentProblem = errorMessage(error);
  }
}

/**
 * The same for a queue in a database (`--queue`): whether it can be reached and has the queue, its
 * counts, every machine's workers, the claims whose worker is gone, the failures (read a page at a
 * time, in the database), and this machine's agent. Changes nothing in the queue (opening it brings
 * an older schema up to date, as every command does).
 */
export async function gatherDatabaseFacts(dir: string, queue: QueueLocation, choice: AgentChoice = {}): Promise<Facts> {
  const facts: Facts = { dir, database: describeQueue(queue), sessionProblems: [], liveWorkers: 0, staleClaims: [], failed: [], tempFiles: [] };
  let run: { agent_cmd?: string; agent?: string } | undefined;
  try {
    const store = await openQueue(dir, queue, { lazyResults: true });
    try {
      if (!store.exists()) {
        facts.queueProblem = `${facts.database} has no queue yet`;
        facts.queueMissing = true;
      } else {
        const { counts, meta } = await store.overview();
        facts.counts = counts;
        run = meta.run;
        const now = Date.now();
        facts.liveWorkers = store.sessions.readAll().filter((s) => sessionAlive(s, now, 60_000)).length;
        facts.staleClaims = staleClaims(await store.listTasks({ status: 'claimed' }), new Date(now));
        // Only the failures shown are read; how many there are in all is in the counts.
        facts.failed = (await store.listTasks({ status: 'failed', limit: SHOWN_FAILURES })).map((t) => failure(t, store.paths, true));
        facts.failedCount = counts.failed;
      }
    } finally {
      await store.close();
    }
  } catch (error) {
    facts.queueProblem = errorMessage(error);
  }
  checkAgent(facts, agentOf(choice, run));
  facts.spawn = spawnBackend();
  return facts;
}

/** The claimed tasks among `tasks` whose claim is stale (its worker gone, its lease run out), as doctor lists them. */
function staleClaims(tasks: readonly Task[], now: Date): Facts['staleClaims'] {
  const ctx = { now, host: HOST, maxAttempts: Infinity, isAlive };
  return tasks.flatMap((t) => {
    const why = staleClaimReason(t, ctx);
    return why ? [{ id: t.id, worker_id: t.worker_id ?? null, why }] : [];
  });
}

/** A failed task as doctor shows it, with the lines of its last run from its worker's log when `withLog`. */
function failure(t: Task, paths: StatePaths, withLog: boolean): Facts['failed'][number] {
  const log = paths.workerLog(t.worker_id ?? 0);
  return { id: t.id, error: t.error ?? 'unknown error', log, logLines: withLog ? logLinesFor(log, t.id) : [] };
}

// The lines of the task's last run in a worker log: from its "▶ task <id>" line to the outcome.
function logLinesFor(log: string, id: string): string[] {
  let lines: string[];
  try {
    lines = readFileSync(log, 'utf8').split('\n');
  } catch {
    return [];
  }
  const start = lines.findLastIndex((l) => l.includes(`▶ task ${id} (`));
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && (l.includes(`✘ task ${id} `) || l.includes('▶ task ')));
  const slice = lines.slice(start, end < 0 ? start + 12 : end + 1);
  return slice.length > 12 ? [...slice.slice(0, 3), '…', ...slice.slice(-8)] : slice;
}

// Whether the directory can be written, and the room left for the next compaction.
function stateDirFacts(store: FileStore): StateDirFacts {
  if (!existsSync(store.dir)) return {};
  const denied = unwritable(store.dir);
  if (denied) return { unwritable: { errno: denied.errno, ...writeProblem(denied.errno) } };
  const size = (path: string) => {
    try {
      return statSync(path).size;
    } catch {
      return 0;
    }
  };
  try {
    const fs = statfsSync(store.dir);
    return { freeBytes: fs.bavail * fs.bsize, snapshotBytes: size(store.paths.queue) + size(store.paths.results) };
  } catch {
    return {};
  }
}
