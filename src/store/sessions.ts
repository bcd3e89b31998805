import { readdirSync } from 'node:fs';
import { CorruptStateError, RalphError, errorMessage, isErrno } from '../errors.js';
import { stringifyJson } from '../redact/sanitize.js';
import { writeFileAtomicSync } from './atomic-write.js';
import type { StatePaths } from './paths.js';
import { readJsonFile } from './snapshot.js';

export type WorkerStatus = 'idle' | 'running' | 'stopped';

/** `.ralph/sessions/worker-<N>.session`: one worker's registration, heartbeat and history. */
export interface WorkerSession {
  worker_id: number;
  status: WorkerStatus;
  registered: string;
  last_heartbeat: string;
  iteration: number;
  /** The most recent findings, newest last (at most SESSION_HISTORY; all of them are in results.json). */
  findings: Array<{ task_id: string; finding: string; timestamp: string }>;
  pid: number;
  /** When the worker process started (Linux: clock ticks since boot), so that a reused pid is not taken for it. */
  pid_start?: string;
  host: string;
  /** The pid of the `ralph run` that started this worker (absent for a worker started by hand). */
  run_pid?: number;
  current_task: string | null;
  /** When the current task's agent started (absent from a worker older than this field). */
  task_started_at?: string | null;
  /** Process group of the agent running now, so that a reaper can kill it if this worker dies. */
  agent_pgid: number | null;
  /** The current task's agent's last output line (redacted, one short line) and when it came: for the live view. */
  last_output?: string | null;
  last_output_at?: string | null;
  /** The claim token of the current task (its agent carries it as RALPH_CLAIM_TOKEN). */
  current_token?: string | null;
  completed: number;
  failed: number;
  busy_ms: number;
  stopped_at?: string;
  /** Peak resident memory of the worker process, written when it stops. */
  max_rss_kb?: number;
  [extra: string]: unknown;
}

export const SESSION_HISTORY = 100;

/**
 * The workers' sessions: each one's registration, heartbeat, current task and counts. Part of the
 * store (`store.sessions`), so that another backend keeps them where it keeps the queue.
 */
export interface Sessions {
  read(workerId: number): WorkerSession | undefined;
  /** Every session, in worker order; a broken one is an error. */
  readAll(): WorkerSession[];
  /** Every readable session, in worker order, and what was wrong with the others. */
  readLenient(): { sessions: WorkerSession[]; problems: string[] };
  write(session: WorkerSession): void;
  /**
   * Writes `session` unless `check`, given the session of its id as it stands, throws: atomically, so
   * that of several workers registering one id at once exactly one goes on.
   */
  register(session: WorkerSession, check: (previous: WorkerSession | undefined) => void): Promise<void>;
  /**
   * The first of `count` worker ids for one machine's workers: 1 where the queue has one machine
   * (ids are a run's own), else ids that no other machine's workers were given.
   */
  issueIds(count: number): Promise<number>;
}

const SESSION_FIX = 'delete it (when its worker is not running); the worker writes a new one when it starts';

/** `.ralph/sessions/worker-<N>.session`, one JSON file a worker, replaced atomically. */
export class FileSessions implements Sessions {
  constructor(
    private readonly paths: StatePaths,
    /** Runs a body under the queue's lock. */
    private readonly locked: (body: () => void, purpose: string) => Promise<void>,
  ) {}

  async issueIds(_count: number): Promise<number> {
    return 1;
  }

  register(session: WorkerSession, check: (previous: WorkerSession | undefined) => void): Promise<void> {
    return this.locked(() => {
      check(this.read(session.worker_id));
      this.write(session);
    }, `worker ${session.worker_id} registration`);
  }

  write(session: WorkerSession): void {
    writeFileAtomicSync(this.paths.session(session.worker_id), `${stringifyJson(session, 2)}\n`);
  }

  read(workerId: number): WorkerSession | undefined {
    const path = this.paths.session(workerId);
    try {
      const value = readJsonFile(path);
      return value === undefined ? undefined : checkSession(value, path);
    } catch (error) {
      if (error instanceof CorruptStateError) throw new CorruptStateError(path, problemOf(error), { fix: SESSION_FIX, cause: error });
      throw error;
    }
  }

  readLenient(): { sessions: WorkerSession[]; problems: string[] } {
    let names: string[];
    try {
      names = readdirSync(this.paths.sessions);
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return { sessions: [], problems: [] };
      throw error;
    }
    const sessions: WorkerSession[] = [];
    const problems: string[] = [];
    for (const name of names) {
      const match = /^worker-(\d+)\.session$/.exec(name);
      if (!match) continue;
      try {
        const session = this.read(Number(match[1]));
        if (session) sessions.push(session);
      } catch (error) {
        problems.push(errorMessage(error));
      }
    }
    return { sessions: sessions.sort((a, b) => a.worker_id - b.worker_id), problems };
  }

  readAll(): WorkerSession[] {
    const { sessions, problems } = this.readLenient();
    if (problems.length > 0) throw new RalphError('RALPH_CORRUPT_STATE', problems[0]!);
    return sessions;
  }
}

function problemOf(error: CorruptStateError): string {
  return /\((.*)\)\. It was left untouched/.exec(error.message)?.[1] ?? error.message;
}

function checkSession(value: unknown, path: string): WorkerSession {
  const s = value as Partial<WorkerSession> | null;
  if (s === null || typeof s !== 'object' || typeof s.worker_id !== 'number' || typeof s.last_heartbeat !== 'string') {
    throw new CorruptStateError(path, 'expected a session with `worker_id` and `last_heartbeat`');
  }
  return { findings: [], iteration: 0, completed: 0, failed: 0, busy_ms: 0, current_task: null, agent_pgid: null, ...s } as WorkerSession;
}
