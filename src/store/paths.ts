import { join } from 'node:path';

/** Where everything lives inside a state directory (default `.ralph/`). */
export interface StatePaths {
  dir: string;
  queue: string;
  results: string;
  /** Its own directory, so that watching it for queue changes sees nothing else. */
  journalDir: string;
  journal: string;
  lock: string;
  sessions: string;
  prompts: string;
  report: string;
  /** `ralph say`: messages to the agents, one JSON line each. */
  messages: string;
  session(workerId: number): string;
  workerLog(workerId: number): string;
}

export function statePaths(dir: string): StatePaths {
  return {
    dir,
    queue: join(dir, 'work-queue.json'),
    results: join(dir, 'results.json'),
    journalDir: join(dir, 'journal'),
    journal: join(dir, 'journal', 'queue.ndjson'),
    lock: join(dir, '.lock'),
    sessions: join(dir, 'sessions'),
    prompts: join(dir, 'prompts'),
    report: join(dir, 'ORCHESTRATOR-REPORT.md'),
    messages: join(dir, 'messages.jsonl'),
    session: (id) => join(dir, 'sessions', `worker-${id}.session`),
    workerLog: (id) => join(dir, `worker-${id}.log`),
  };
}
