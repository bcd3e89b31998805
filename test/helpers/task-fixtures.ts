import type { Task } from '../../src/queue/types.js';

/** A fixed clock for the pure queue functions. */
export const NOW = new Date('2024-05-01T12:00:00.000Z');

/** `NOW` shifted by `ms` milliseconds, as an ISO string. */
export function at(ms: number): string {
  return new Date(NOW.getTime() + ms).toISOString();
}

/** A pending task with sensible defaults; any field can be overridden. */
export function task(id: string, fields: Partial<Task> = {}): Task {
  return { id, type: 'test', status: 'pending', attempts: 0, ...fields };
}

/** A task claimed by worker 1 (pid 100 on host-a) with token `tok-1`, lease running one minute past `NOW`. */
export function claimed(id: string, fields: Partial<Task> = {}): Task {
  return task(id, {
    status: 'claimed',
    attempts: 1,
    worker_id: 1,
    worker_pid: 100,
    worker_host: 'host-a',
    claim_token: 'tok-1',
    claimed_at: at(-30_000),
    lease_expires_at: at(60_000),
    ...fields,
  });
}
