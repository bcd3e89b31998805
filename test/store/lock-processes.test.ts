// FileLock across real processes: stress, takeover of dead or silent holders, live holders kept.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FileLock } from '../../src/store/lock.js';
import type { LockOwner } from '../../src/store/lock.js';
import { LockTimeoutError } from '../../src/errors.js';
import { deadPid, tempDir } from '../helpers/index.js';
import { DIST, assertBuilt, firstLine, isStopped, kill9, runFixture, startFixture } from '../helpers/store.js';

beforeAll(assertBuilt);

const ownerIn = (path: string): LockOwner => JSON.parse(readFileSync(path, 'utf8')) as LockOwner;

async function hold(lockPath: string, leaseMs: number, refreshEveryMs: number, host?: string) {
  const running = startFixture('lock-holder.mjs', [lockPath, DIST, String(leaseMs), String(refreshEveryMs), ...(host ? [host] : [])]);
  const owner = JSON.parse(await firstLine(running)) as LockOwner;
  return { running, owner };
}

async function expectTimeout(lock: FileLock): Promise<LockTimeoutError> {
  const error = await lock.acquire('intruder').then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LockTimeoutError);
  expect((error as LockTimeoutError).code).toBe('RALPH_LOCK_TIMEOUT');
  return error as LockTimeoutError;
}

describe('FileLock under real processes', () => {
  it('keeps seven processes hammering one lock 200 times each from ever overlapping or losing a count', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'counter'), '0');
    const procs = 7;
    const rounds = 200;
    const results = await Promise.all(Array.from({ length: procs }, () => runFixture('lock-hammer.mjs', [dir, String(rounds), DIST])));
    for (const r of results) {
      expect(r.stderr).not.toContain('overlap detected');
      expect(r.code).toBe(0);
    }
    expect(Number(readFileSync(join(dir, 'counter'), 'utf8'))).toBe(procs * rounds);
    expect(existsSync(join(dir, '.lock'))).toBe(false);
    expect(existsSync(join(dir, 'inside'))).toBe(false);
  });

  it('takes over the lock of a holder that was SIGKILLed while holding it', async () => {
    const dir = tempDir();
    const lockPath = join(dir, '.lock');
    const { running, owner } = await hold(lockPath, 30_000, 0);
    expect(ownerIn(lockPath).token).toBe(owner.token);
    expect(new FileLock(lockPath).inspect().state).toBe('held');

    const killed = await kill9(running);
    expect(killed.signal).toBe('SIGKILL');
    const seen = new FileLock(lockPath).inspect();
    expect(seen.state).toBe('stale');
    expect(seen.state === 'stale' && seen.why).toContain('not running');

    const started = Date.now();
    const handle = await new FileLock(lockPath, { timeoutMs: 1_000 }).acquire('successor');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(ownerIn(lockPath)).toMatchObject({ pid: process.pid, token: handle.owner.token, purpose: 'successor' });
    expect(existsSync(`${lockPath}.takeover`)).toBe(false);
    handle.release();
    expect(existsSync(lockPath)).toBe(false);
  });

  it('takes over within a small timeout whatever a process SIGKILLed while taking or releasing the lock left behind', async () => {
    const dir = tempDir();
    const lockPath = join(dir, '.lock');
    const left: string[] = [];
    for (let kill = 0; kill < 12; kill++) {
      const spinner = startFixture('lock-spinner.mjs', [lockPath, DIST]);
      expect(await firstLine(spinner)).toBe('ready');
      await new Promise((r) => setTimeout(r, 10 + Math.random() * 30));
      await kill9(spinner);
      left.push(existsSync(lockPath) ? JSON.stringify(readFileSync(lockPath, 'utf8').slice(0, 40)) : 'nothing');
      const handle = await new FileLock(lockPath, { timeoutMs: 2_000 }).acquire('after-kill').catch((e: unknown) => {
        throw new Error(`after kill ${kill} the lock could not be taken; the killed process left ${left.at(-1)}: ${String(e)}`);
      });
      handle.release();
    }
  });

  it('never takes over a live holder of this machine, however long it is silent or paused, and takes over at once when it dies', async () => {
    const dir = tempDir();
    const lockPath = join(dir, '.lock');
    const { running, owner } = await hold(lockPath, 100, 0);
    try {
      running.child.kill('SIGSTOP');
      // Ten leases later, paused: still its lock.
      await expectTimeout(new FileLock(lockPath, { timeoutMs: 1_000 }));
      expect(ownerIn(lockPath).token).toBe(owner.token);
      running.child.kill('SIGCONT');
      await expectTimeout(new FileLock(lockPath, { timeoutMs: 300 }));
      expect(ownerIn(lockPath).token).toBe(owner.token);
    } finally {
      await kill9(running);
    }
    const handle = await new FileLock(lockPath, { timeoutMs: 1_000 }).acquire('successor');
    expect(handle.replaced?.token).toBe(owner.token);
    handle.release();
  });

  it('takes over the lock of a live holder on another machine that stopped refreshing past its short lease', async () => {
    const dir = tempDir();
    const lockPath = join(dir, '.lock');
    const { running, owner } = await hold(lockPath, 300, 0, 'elsewhere.invalid');
    try {
      const lock = new FileLock(lockPath, { timeoutMs: 5_000 });
      const handle = await lock.acquire('successor');
      const silent = Date.now() - Date.parse(owner.refreshed_at);
      expect(silent).toBeGreaterThanOrEqual(300);
      expect(running.child.exitCode).toBeNull(); // the old holder is still alive
      expect(ownerIn(lockPath).token).toBe(handle.owner.token);
      expect(handle.replaced?.token).toBe(owner.token);
      handle.release();
    } finally {
      await kill9(running);
    }
  });

  it('never breaks a live holder on another machine that keeps refreshing a short lease', async () => {
    const dir = tempDir();
    const lockPath = join(dir, '.lock');
    const { running, owner } = await hold(lockPath, 1_000, 100, 'elsewhere.invalid');
    try {
      // Well past the lease: only the refreshes keep the lock, and they must.
      const error = await expectTimeout(new FileLock(lockPath, { timeoutMs: 2_500 }));
      expect(error.message).toContain(`pid ${owner.pid}`);
      const now = ownerIn(lockPath);
      expect(now.token).toBe(owner.token);
      expect(Date.parse(now.refreshed_at)).toBeGreaterThan(Date.parse(owner.refreshed_at));
    } finally {
      running.child.kill('SIGTERM');
      expect((await running.done).code).toBe(0);
    }
    expect(existsSync(lockPath)).toBe(false); // its own release removed it
    // No guard left behind. (While the holder lives, its own refreshes take the guard for a moment,
    // so looking for it then would race with them.)
    expect(existsSync(`${lockPath}.takeover`)).toBe(false);
  });

  it('times out on a live holder within its lease and leaves its lock untouched', async () => {
    const dir = tempDir();
    const lockPath = join(dir, '.lock');
    const { running, owner } = await hold(lockPath, 30_000, 0);
    try {
      const before = readFileSync(lockPath, 'utf8');
      const lock = new FileLock(lockPath, { timeoutMs: 200 });
      await expectTimeout(lock);
      expect(lock.tryAcquire()).toBeUndefined();
      expect(readFileSync(lockPath, 'utf8')).toBe(before);
      expect(ownerIn(lockPath).token).toBe(owner.token);
    } finally {
      await kill9(running);
    }
  });

  it('lets exactly one of several racing processes take over each stale lock, 300 times in a row', async () => {
    const dir = tempDir();
    const lockPath = join(dir, '.lock');
    writeFileSync(join(dir, 'counter'), '0');
    const dead = deadPid();
    const past = new Date(Date.now() - 3_600_000).toISOString();
    writeFileSync(lockPath, JSON.stringify({ pid: dead, host: hostname(), token: 'planted', acquired_at: past, refreshed_at: past, lease_ms: 30_000 }));
    expect(new FileLock(lockPath).inspect().state).toBe('stale');

    const procs = 6;
    const rounds = 50;
    const running = Array.from({ length: procs }, () => startFixture('lock-stale-race.mjs', [dir, String(rounds), DIST, String(dead)]));
    await new Promise((r) => setTimeout(r, 300)); // let them all start polling for the go file
    writeFileSync(join(dir, 'go'), '');
    const results = await Promise.all(running.map((r) => r.done));
    for (const r of results) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(String(rounds));
    }
    expect(Number(readFileSync(join(dir, 'counter'), 'utf8'))).toBe(procs * rounds);
    expect(existsSync(`${lockPath}.takeover`)).toBe(false);
    // The last winner left a stale record behind; it is taken over like any other.
    const handle = await new FileLock(lockPath, { timeoutMs: 1_000 }).acquire();
    handle.release();
  });

  it('never lets a holder on another machine, paused between finding its lock its own and removing it, remove the lock of a process that took it over', async () => {
    // A short lease (2 s), refreshed every 100 ms: the release comes just after a refresh. The holder
    // stops itself (SIGSTOP) once its release has checked the lock, before it removes it; meanwhile
    // the lease lapses. The taker must wait for it, and keep its own lock once the holder goes on.
    const dir = tempDir();
    const lockPath = join(dir, '.lock');
    const running = startFixture('lock-holder.mjs', [lockPath, DIST, '2000', '100', 'elsewhere.invalid'], { RALPH_TEST_STOP_AT: 'release-checked' });
    const owner = JSON.parse(await firstLine(running)) as LockOwner;
    try {
      running.child.kill('SIGTERM');
      const deadline = Date.now() + 5_000;
      while (!isStopped(running.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(isStopped(running.pid)).toBe(true);
      // Past its lease, paused inside its release: not to be taken over under it.
      await new Promise((r) => setTimeout(r, 2_100));
      await expectTimeout(new FileLock(lockPath, { timeoutMs: 1_000 }));
      running.child.kill('SIGCONT');
      const handle = await new FileLock(lockPath, { timeoutMs: 5_000 }).acquire('successor');
      expect((await running.done).code).toBe(0);
      expect(ownerIn(lockPath).token).toBe(handle.owner.token);
      expect(ownerIn(lockPath).token).not.toBe(owner.token);
      handle.release();
    } finally {
      running.child.kill('SIGCONT');
      running.child.kill('SIGKILL');
    }
  });

  it('never lets a holder that overran its lease remove or overwrite the lock of the process that took it over', async () => {
    // Lapsers hold with a 3 ms lease and overrun it, then refresh() or release() their stale handle
    // while holders (30 s lease) take the lock over; a holder must never find its lock gone or replaced.
    const dir = tempDir();
    const roles = ['lapser', 'lapser', 'lapser', 'holder', 'holder'];
    const results = await Promise.all(roles.map((role) => runFixture('lock-lapse-race.mjs', [dir, DIST, role, '4000'])));
    const summaries = results.map((r) => {
      expect(r.stderr).toBe('');
      return JSON.parse(r.stdout) as { role: string; rounds: number; lost: number; errors: string[] };
    });
    const holders = summaries.filter((s) => s.role === 'holder');
    expect(holders.every((s) => s.rounds > 50)).toBe(true);
    expect({ lost: holders.map((s) => s.lost), errors: [...new Set(summaries.flatMap((s) => s.errors))] }).toEqual({ lost: [0, 0], errors: [] });
  });
});
