import { describe, expect, it } from 'vitest';
import { RUN_SILENT_MS, runIsLive } from '../../src/queue/liveness.js';
import type { QueueMeta } from '../../src/queue/types.js';

const NOW = new Date('2026-12-07T12:00:00Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();
const run = (extra: Partial<NonNullable<QueueMeta['run']>>): QueueMeta => ({
  active: true,
  worker_count: 2,
  run: { started_at: ago(600_000), workers: 2, pid: 42, host: 'here', ...extra },
});
const alive = () => true;
const dead = () => false;

describe('runIsLive', () => {
  it.each([
    ['no run active', { active: false, worker_count: 0 }, alive, false],
    ['active without a recorded run', { active: true, worker_count: 1 }, dead, true],
    ['this host, its process alive', run({}), alive, true],
    ['this host, its process gone', run({}), dead, false],
    ['another host, no heartbeat written (a file queue shared by hand)', run({ host: 'there' }), dead, true],
    ['another host, heard from just now', run({ host: 'there', heartbeat_at: ago(5_000) }), dead, true],
    ['another host, heard from at the limit', run({ host: 'there', heartbeat_at: ago(RUN_SILENT_MS) }), dead, true],
    ['another host, silent for longer (its machine died)', run({ host: 'there', heartbeat_at: ago(RUN_SILENT_MS + 1) }), dead, false],
  ] as const)('%s → %s', (_why, meta, isAlive, live) => {
    expect(runIsLive(meta as QueueMeta, 'here', isAlive, NOW)).toBe(live);
  });
});
