import { describe, expect, it } from 'vitest';
import { judge } from '../../src/doctor/checks.js';
import type { Check, Facts, StateDirFacts } from '../../src/doctor/checks.js';
import type { LockOwner } from '../../src/store/lock.js';

const owner: LockOwner = {
  pid: 42,
  host: 'box',
  token: 't',
  acquired_at: '2024-05-01T12:00:00.000Z',
  refreshed_at: '2024-05-01T12:00:00.000Z',
  lease_ms: 30_000,
  purpose: 'claim',
};

const healthy = (over: Partial<Facts> = {}): Facts => ({
  dir: '.ralph',
  sessionProblems: [],
  counts: { pending: 0, claimed: 0, completed: 2, failed: 0 },
  findingsCount: 2,
  liveWorkers: 0,
  lock: { state: 'free' },
  staleClaims: [],
  failed: [],
  tempFiles: [],
  ...over,
});

const of = (checks: Check[], name: string) => checks.filter((c) => c.check === name);
const levels = (checks: Check[], name: string) => of(checks, name).map((c) => c.level);

describe('judge', () => {
  it('finds a healthy queue all ok', () => {
    expect(judge(healthy()).map((c) => [c.check, c.level])).toEqual([
      ['queue', 'ok'],
      ['lock', 'ok'],
      ['workers', 'ok'],
    ]);
  });

  it('reports the counts of a readable queue', () => {
    expect(of(judge(healthy()), 'queue')[0]?.found).toBe('.ralph/work-queue.json is readable: pending 0, claimed 0, completed 2, failed 0');
  });

  it.each<[string, Partial<Facts>, string, Check['level'][]]>([
    ['a missing or corrupt queue is an error', { queueProblem: 'no queue', counts: undefined }, 'queue', ['error']],
    ['a queue problem wins over counts', { queueProblem: 'corrupt' }, 'queue', ['error']],
    ['no queue facts at all gives no queue check', { counts: undefined }, 'queue', []],
    ['each broken session file is an error', { sessionProblems: ['worker-1.json: bad', 'worker-2.json: bad'] }, 'sessions', ['error', 'error']],
    ['a stale lock is a warning', { lock: { state: 'stale', ageMs: 99_000, why: 'holder is dead' } }, 'lock', ['warn']],
    ['a lock held for over ten seconds is a warning', { lock: { state: 'held', owner, ageMs: 10_001 } }, 'lock', ['warn']],
    ['a lock held for ten seconds is fine', { lock: { state: 'held', owner, ageMs: 10_000 } }, 'lock', ['ok']],
    ['pending tasks without a live worker is a warning', { counts: { pending: 3, claimed: 0, completed: 0, failed: 0 }, liveWorkers: 0 }, 'workers', ['warn']],
    ['pending tasks with a live worker is fine', { counts: { pending: 3, claimed: 0, completed: 0, failed: 0 }, liveWorkers: 1 }, 'workers', ['ok']],
    ['stale claims are a warning', { staleClaims: [{ id: 'a', worker_id: 1, why: 'lease expired' }] }, 'claims', ['warn']],
    ['no stale claims gives no claims check', {}, 'claims', []],
    ['a missing agent is an error', { agentCmd: 'x', agentProblem: 'agent command x: not found on PATH' }, 'agent', ['error']],
    ['a found agent is ok', { agentCmd: './agent.sh' }, 'agent', ['ok']],
    ['no agent command gives no agent check', {}, 'agent', []],
    ['completed tasks without findings is an error', { findingsCount: 0 }, 'results', ['error']],
    ['findings present is fine', { findingsCount: 2 }, 'results', []],
    ['no completed tasks needs no findings', { counts: { pending: 0, claimed: 0, completed: 0, failed: 1 }, findingsCount: 0 }, 'results', []],
    ['the native spawn helper in use is ok', { spawn: { backend: 'posix_spawn' } }, 'spawn', ['ok']],
    ['the child_process fallback is a warning', { spawn: { backend: 'child_process', why: 'RALPH_SPAWN=node' } }, 'spawn', ['warn']],
    ['leftover temp files are a warning', { tempFiles: ['a.tmp'] }, 'temp files', ['warn']],
  ])('says %s', (_what, over, check, expected) => {
    expect(levels(judge(healthy(over)), check)).toEqual(expected);
  });

  it.each<[string, Partial<Facts>, string, string]>([
    ['a stale lock with its reason', { lock: { state: 'stale', ageMs: 1, why: 'pid 9 is gone' } }, 'lock', 'stale lock: pid 9 is gone'],
    [
      'a long-held lock with its age and holder',
      { lock: { state: 'held', owner, ageMs: 15_400 } },
      'lock',
      'held for 15s by pid 42 on box (claim) since 2024-05-01T12:00:00.000Z; locks are normally held for milliseconds',
    ],
    [
      'a briefly held lock with its holder',
      { lock: { state: 'held', owner, ageMs: 5 } },
      'lock',
      'held by pid 42 on box (claim) since 2024-05-01T12:00:00.000Z',
    ],
    ['a free lock', {}, 'lock', 'free'],
    ['the live worker count', { liveWorkers: 3 }, 'workers', '3 live worker(s)'],
    ['waiting tasks', { counts: { pending: 4, claimed: 0, completed: 0, failed: 0 } }, 'workers', '4 task(s) pending but no live worker'],
    [
      'stale claims with their workers',
      {
        staleClaims: [
          { id: 'a', worker_id: 1, why: 'lease expired' },
          { id: 'b', worker_id: undefined, why: 'worker died' },
        ],
      },
      'claims',
      '2 claimed task(s) whose worker stopped: a (worker 1: lease expired), b (worker ?: worker died)',
    ],
    ['the agent command found', { agentCmd: './agent.sh' }, 'agent', 'agent command found: ./agent.sh'],
    ['completed tasks without findings', { findingsCount: 0 }, 'results', '2 task(s) completed but .ralph/results.json has no findings'],
    ['at most five temp files', { tempFiles: ['1', '2', '3', '4', '5', '6'] }, 'temp files', '6 temporary file(s) left by crashed writers: 1, 2, 3, 4, 5'],
  ])('describes %s', (_what, over, check, found) => {
    expect(of(judge(healthy(over)), check)[0]?.found).toBe(found);
  });

  it('lists at most ten stale claims by name but counts them all', () => {
    const staleClaims = Array.from({ length: 12 }, (_, i) => ({ id: `t${i}`, worker_id: 1, why: 'x' }));
    const found = of(judge(healthy({ staleClaims })), 'claims')[0]!.found;
    expect(found).toMatch(/^12 claimed task\(s\)/);
    expect(found).toContain('t9 (');
    expect(found).not.toContain('t10 (');
  });

  it('shows a failed task with the first line of its error and its log lines', () => {
    const failed = [{ id: 'a', error: 'exit 1\nmore', log: '.ralph/worker-1.log', logLines: ['boom', 'bang'] }];
    expect(of(judge(healthy({ failed })), 'failed task')).toEqual([
      {
        level: 'warn',
        check: 'failed task',
        found: 'a: exit 1\n  .ralph/worker-1.log:\n    boom\n    bang',
        fix: 'Fix the cause, then `ralph queue retry --failed` and `ralph run`.',
      },
    ]);
  });

  it('shows a failed task without log lines on one line', () => {
    const failed = [{ id: 'a', error: 'exit 1', log: 'l', logLines: [] }];
    expect(of(judge(healthy({ failed })), 'failed task')[0]?.found).toBe('a: exit 1');
  });

  it.each([
    [20, 20, undefined],
    [21, 21, '… and 1 more failed task(s)'],
    [50, 21, '… and 30 more failed task(s)'],
  ])('with %d failed tasks gives %d checks', (n, checks, last) => {
    const failed = Array.from({ length: n }, (_, i) => ({ id: `f${i}`, error: 'e', log: 'l', logLines: [] }));
    const found = of(judge(healthy({ failed })), 'failed task');
    expect(found).toHaveLength(checks);
    if (last) expect(found.at(-1)?.found).toBe(last);
  });

  const MiB = 1024 * 1024;
  it.each<[string, StateDirFacts, Check['level'], RegExp]>([
    ['writable with room', { freeBytes: 100 * MiB, snapshotBytes: 2 * MiB }, 'ok', /^\.ralph is writable; 100\.0 MiB free$/],
    ['writable, free space not known', {}, 'ok', /^\.ralph is writable$/],
    [
      'on a read-only file system',
      { unwritable: { errno: 'EROFS', what: 'read-only file system', fix: 'remount it' } },
      'error',
      /cannot be written: read-only file system \(EROFS\)/,
    ],
    [
      'without write permission',
      { unwritable: { errno: 'EACCES', what: 'permission denied', fix: 'chmod' } },
      'error',
      /cannot be written: permission denied \(EACCES\)/,
    ],
    [
      'too full for the next compaction',
      { freeBytes: 8 * 1024, snapshotBytes: 20 * 1024 },
      'error',
      /nearly full file system: 8 KiB free, and writing the snapshots once more takes 20 KiB/,
    ],
    ['with less than a MiB to spare after one', { freeBytes: 1 * MiB, snapshotBytes: 100 * 1024 }, 'error', /nearly full/],
  ])('the state dir %s', (_, stateDir, level, found) => {
    const [check] = of(judge(healthy({ stateDir })), 'state dir');
    expect(check).toMatchObject({ level });
    expect(check!.found).toMatch(found);
  });

  it('a state dir that cannot be one (a file, a dangling link) is the only check', () => {
    const checks = judge(healthy({ stateDir: { problem: '.ralph is a file, not a directory' } }));
    expect(checks).toEqual([{ level: 'error', check: 'state dir', found: '.ralph is a file, not a directory', fix: expect.stringContaining('--dir') }]);
  });

  it('gives a fix for every warning and error', () => {
    const checks = judge(
      healthy({
        queueProblem: 'x',
        sessionProblems: ['s'],
        lock: { state: 'stale', ageMs: 1, why: 'w' },
        counts: { pending: 1, claimed: 0, completed: 1, failed: 0 },
        findingsCount: 0,
        staleClaims: [{ id: 'a', worker_id: 1, why: 'w' }],
        failed: [{ id: 'f', error: 'e', log: 'l', logLines: [] }],
        agentProblem: 'p',
        tempFiles: ['t'],
        stateDir: { freeBytes: 0, snapshotBytes: 0 },
      }),
    );
    expect(checks.filter((c) => c.level !== 'ok' && !c.fix)).toEqual([]);
  });
});
