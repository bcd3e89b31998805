import { describe, expect, it } from 'vitest';
import { holderOf } from '../../src/worker/registration.js';
import type { WorkerSession } from '../../src/store/sessions.js';

const now = new Date('2026-05-01T12:00:00.000Z');
const me = { pid: 500, host: 'here' };
const session = (over: Partial<WorkerSession>): WorkerSession => ({
  worker_id: 1,
  status: 'running',
  registered: now.toISOString(),
  last_heartbeat: now.toISOString(),
  iteration: 0,
  findings: [],
  pid: 42,
  pid_start: '1000',
  host: 'here',
  current_task: null,
  agent_pgid: null,
  completed: 0,
  failed: 0,
  busy_ms: 0,
  ...over,
});
// Process 42 started at tick 1000 runs here; 43 ran and is gone; 44 is a pid given to a new process (started at 2000).
const alive = (pid: number, start: string | undefined) => (pid === 42 && (start ?? '1000') === '1000') || (pid === 44 && (start ?? '2000') === '2000');
const live = { alive, now, silentMs: 30_000 };
const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();

describe('holderOf: who holds a worker id', () => {
  it.each<[string, WorkerSession | undefined, boolean]>([
    ['no session file: nobody', undefined, false],
    ['a live worker of this host', session({}), true],
    ['a live worker of this host, idle', session({ status: 'idle' }), true],
    ['a live worker of an older version (no start time)', session({ pid_start: undefined }), true],
    ['a worker that stopped (its process may still be exiting)', session({ status: 'stopped' }), false],
    ['a worker that died', session({ pid: 43 }), false],
    ['a dead worker whose pid was given to another process', session({ pid: 44, pid_start: '1000' }), false],
    ['this very process (a session written by itself)', session({ pid: 500 }), false],
    ['a worker of another host with a recent heartbeat', session({ host: 'there', last_heartbeat: ago(5_000) }), true],
    ['a worker of another host, silent for longer than the lease', session({ host: 'there', last_heartbeat: ago(31_000) }), false],
    ['a worker of another host with an unreadable heartbeat', session({ host: 'there', last_heartbeat: 'soon' }), false],
  ])('%s', (_what, previous, held) => {
    expect(holderOf(previous, me, live) !== undefined).toBe(held);
  });
});
