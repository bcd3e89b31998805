import type { Finding, Issue, QueueState, Task } from '../../src/queue/types.js';
import type { WorkerSession } from '../../src/store/sessions.js';
import { NOW, at } from './task-fixtures.js';

export const DIR = '.ralph';

export function state(tasks: Task[], extra: Partial<QueueState> = {}): QueueState {
  return {
    tasks,
    meta: { active: false, worker_count: 2, run: { started_at: at(-10_000), ended_at: NOW.toISOString(), workers: 2, stopped_by: 'completed' } },
    findings: [],
    issues: [],
    ...extra,
  };
}

export function finding(task_id: string, worker_id: number, duration_ms: number): Finding {
  return { task_id, worker_id, finding: 'ok', timestamp: NOW.toISOString(), duration_ms, exit_code: 0, attempt: 1 };
}

export function issue(task_id: string, worker_id: number, outcome: Issue['outcome'], duration_ms?: number): Issue {
  return {
    task_id,
    worker_id,
    error: 'e',
    reason: 'exit',
    timestamp: NOW.toISOString(),
    attempt: 1,
    exit_code: 1,
    signal: null,
    duration_ms: duration_ms as number,
    outcome,
  };
}

export function session(worker_id: number, status: string, last_heartbeat: string): WorkerSession {
  return { worker_id, status, last_heartbeat } as unknown as WorkerSession;
}
