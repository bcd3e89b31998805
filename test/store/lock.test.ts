// FileLock within one process: the owner record, inspection, release, refresh and the takeover guard.
import { existsSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileLock } from '../../src/store/lock.js';
import type { LockOwner } from '../../src/store/lock.js';
import { LockTimeoutError } from '../../src/errors.js';
import { deadPid, tempDir } from '../helpers/index.js';

const ownerIn = (path: string): LockOwner => JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
const ago = (ms: number): string => new Date(Date.now() - ms).toISOString();

function plant(path: string, owner: Partial<LockOwner>): LockOwner {
  const record = { pid: process.pid, host: hostname(), token: 'planted', acquired_at: ago(0), refreshed_at: ago(0), lease_ms: 30_000, ...owner };
  writeFileSync(path, JSON.stringify(record));
  return record;
}

describe('FileLock in one process', () => {
  it('writes a complete owner record when it takes a free lock, from one spare file reused until dropped', async () => {
    const dir = tempDir();
    const lockPath = join(dir, '.lock');
    const lock = new FileLock(lockPath, { leaseMs: 5_000 });
    const handle = await lock.acquire('testing');
    const owner = ownerIn(lockPath);
    expect(owner).toEqual({
      pid: process.pid,
      host: hostname(),
      token: handle.owner.token,
      purpose: 'testing',
      boot: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
      pidns: readlinkSync('/proc/self/ns/pid'),
      start: readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[19],
      acquired_at: expect.any(String),
      refreshed_at: owner.acquired_at,
      lease_ms: 5_000,
    });
    expect(Date.now() - Date.parse(owner.acquired_at)).toBeLessThan(5_000);
    // The lock is a link of this process's spare record file, named like every temporary file.
    const spare = readdirSync(dir).filter((n) => n !== '.lock');
    expect(spare).toHaveLength(1);
    expect(spare[0]).toMatch(new RegExp(`^\\.lock\\.tmp-${process.pid}-[0-9a-z]+-\\d+$`));
    expect(statSync(join(dir, spare[0]!)).ino).toBe(statSync(lockPath).ino);
    expect(handle.stillHeld()).toBe(true);
    handle.release();
    expect(handle.stillHeld()).toBe(false);
    expect(readdirSync(dir)).toEqual(spare);

    // Taken again: the same spare, rewritten with the new owner (shorter records leave no tail).
    const again = await lock.acquire();
    expect(readdirSync(dir).sort()).toEqual(['.lock', ...spare]);
    expect(ownerIn(lockPath).token).toBe(again.owner.token);
    expect(JSON.parse(readFileSync(join(dir, spare[0]!), 'utf8')).token).toBe(again.owner.token);
    again.release();
    lock.dropSpare();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('never rewrites a spare that is the lock: a second acquisition in the same process waits with a new spare', async () => {
    const dir = tempDir();
    const lockPath = join(dir, '.lock');
    const lock = new FileLock(lockPath, { timeoutMs: 5_000 });
    const first = await lock.acquire('first');
    const second = lock.acquire('second');
    await new Promise((r) => setTimeout(r, 30));
    expect(ownerIn(lockPath)).toMatchObject({ token: first.owner.token, purpose: 'first' });
    expect(first.stillHeld()).toBe(true);
    first.release();
    const taken = await second;
    expect(ownerIn(lockPath)).toMatchObject({ token: taken.owner.token, purpose: 'second' });
    taken.release();
    lock.dropSpare();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('makes a new spare when its spare was deleted under it (a cleanup of temporary files)', async () => {
    const dir = tempDir();
    const lockPath = join(dir, '.lock');
    const lock = new FileLock(lockPath, { timeoutMs: 1_000 });
    (await lock.acquire()).release();
    for (const name of readdirSync(dir)) rmSync(join(dir, name));
    const handle = await lock.acquire('after the cleanup');
    expect(ownerIn(lockPath)).toMatchObject({ token: handle.owner.token, purpose: 'after the cleanup' });
    handle.release();
    lock.dropSpare();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('leaves no spare behind when it gives up waiting', async () => {
    const dir = tempDir();
    const lockPath = join(dir, '.lock');
    plant(lockPath, { token: 'live' });
    await expect(new FileLock(lockPath, { timeoutMs: 50 }).acquire()).rejects.toBeInstanceOf(LockTimeoutError);
    expect(readdirSync(dir)).toEqual(['.lock']);
  });

  it('refuses a second holder while the first is alive and within its lease', async () => {
    const lockPath = join(tempDir(), '.lock');
    const lock = new FileLock(lockPath, { timeoutMs: 100 });
    const first = await lock.acquire('first');
    const before = readFileSync(lockPath, 'utf8');
    expect(lock.tryAcquire('second')).toBeUndefined();
    const error = await lock.acquire('second').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect((error as LockTimeoutError).code).toBe('RALPH_LOCK_TIMEOUT');
    expect((error as Error).message).toContain(`pid ${process.pid}`);
    expect(readFileSync(lockPath, 'utf8')).toBe(before);
    first.release();
    const second = await lock.acquire('second');
    expect(ownerIn(lockPath).token).toBe(second.owner.token);
    second.release();
  });

  it('reports free, held and stale locks, with the reason it is stale', async () => {
    const lockPath = join(tempDir(), '.lock');
    const lock = new FileLock(lockPath);
    expect(lock.inspect()).toEqual({ state: 'free' });
    plant(lockPath, { token: 'live' });
    expect(lock.inspect()).toMatchObject({ state: 'held', owner: { token: 'live' } });
    plant(lockPath, { pid: deadPid(), token: 'dead' });
    const dead = lock.inspect();
    expect(dead).toMatchObject({ state: 'stale', owner: { token: 'dead' } });
    expect(dead.state === 'stale' && dead.why).toContain('is not running');
    // A live owner of this machine holds it however long it has been silent (paused, swapping):
    // as a kernel lock dies only with its holder.
    plant(lockPath, { token: 'silent', refreshed_at: ago(3_600_000), lease_ms: 1_000 });
    expect(lock.inspect()).toMatchObject({ state: 'held', owner: { token: 'silent' } });
    // Its pid now names another process (started later): the owner is gone.
    plant(lockPath, { token: 'reused', start: '1' });
    const reused = lock.inspect();
    expect(reused).toMatchObject({ state: 'stale', owner: { token: 'reused' } });
    expect(reused.state === 'stale' && reused.why).toContain('is not running');
    // Taken in another boot (this machine before a restart, or a cloned machine with the same
    // name): its pid means nothing here, so only its lease tells.
    plant(lockPath, { token: 'other-boot', boot: 'another-boot' });
    expect(lock.inspect()).toMatchObject({ state: 'held', owner: { token: 'other-boot' } });
    plant(lockPath, { token: 'other-boot', boot: 'another-boot', refreshed_at: ago(60_000) });
    const rebooted = lock.inspect();
    expect(rebooted).toMatchObject({ state: 'stale', owner: { token: 'other-boot' } });
    expect(rebooted.state === 'stale' && rebooted.why).toContain('an earlier boot');
    // Another machine's process cannot be looked at: only its lease tells, also for the same host
    // name in another pid namespace (a container).
    plant(lockPath, { pid: deadPid(), host: 'elsewhere.invalid', token: 'remote' });
    expect(lock.inspect().state).toBe('held');
    plant(lockPath, { host: 'elsewhere.invalid', token: 'remote-silent', refreshed_at: ago(2_000), lease_ms: 1_000 });
    const silent = lock.inspect();
    expect(silent).toMatchObject({ state: 'stale', owner: { token: 'remote-silent' } });
    expect(silent.state === 'stale' && silent.why).toContain('has not refreshed it');
    plant(lockPath, { token: 'container', pidns: 'pid:[1]', refreshed_at: ago(2_000), lease_ms: 1_000 });
    expect(lock.inspect()).toMatchObject({ state: 'stale', owner: { token: 'container' } });
    plant(lockPath, { token: 'container', pidns: 'pid:[1]', lease_ms: 30_000 });
    expect(lock.inspect().state).toBe('held');
  });

  it('treats an unreadable lock file as held while young and stale once older than the lease', async () => {
    const lockPath = join(tempDir(), '.lock');
    const lock = new FileLock(lockPath, { leaseMs: 1_000, timeoutMs: 100 });
    writeFileSync(lockPath, '{"pid": 12');
    expect(lock.inspect().state).toBe('held');
    expect(lock.tryAcquire()).toBeUndefined();
    expect(readFileSync(lockPath, 'utf8')).toBe('{"pid": 12');
    const old = (Date.now() - 5_000) / 1000;
    utimesSync(lockPath, old, old);
    expect(lock.inspect().state).toBe('stale');
    const handle = await lock.acquire();
    expect(ownerIn(lockPath).token).toBe(handle.owner.token);
    handle.release();
  });

  it("takes over a dead owner's lock by replacing it, and the takeover guard is gone afterwards", async () => {
    const dir = tempDir();
    const lockPath = join(dir, '.lock');
    plant(lockPath, { pid: deadPid() });
    const handle = new FileLock(lockPath).tryAcquire('heir');
    expect(handle).toBeDefined();
    expect(ownerIn(lockPath)).toMatchObject({ token: handle!.owner.token, purpose: 'heir' });
    expect(readdirSync(dir)).toEqual(['.lock']);
    handle!.release();
  });

  it('waits while a fresh takeover guard exists and breaks one left behind for over ten seconds', async () => {
    const dir = tempDir();
    const lockPath = join(dir, '.lock');
    const guard = `${lockPath}.takeover`;
    const stale = plant(lockPath, { pid: deadPid() });
    writeFileSync(guard, 'someone is taking over');
    const lock = new FileLock(lockPath, { timeoutMs: 150 });
    await expect(lock.acquire()).rejects.toBeInstanceOf(LockTimeoutError);
    expect(ownerIn(lockPath)).toEqual(stale);
    expect(existsSync(guard)).toBe(true);

    const old = (Date.now() - 20_000) / 1000;
    utimesSync(guard, old, old);
    const handle = await new FileLock(lockPath, { timeoutMs: 2_000 }).acquire();
    expect(ownerIn(lockPath).token).toBe(handle.owner.token);
    expect(readdirSync(dir)).toEqual(['.lock']);
    handle.release();
  });

  it('refreshes only its own lock, moving refreshed_at forward and keeping the token', async () => {
    const lockPath = join(tempDir(), '.lock');
    const handle = await new FileLock(lockPath).acquire();
    const first = ownerIn(lockPath);
    await new Promise((r) => setTimeout(r, 15));
    expect(handle.refresh()).toBe(true);
    const second = ownerIn(lockPath);
    expect(second.token).toBe(first.token);
    expect(second.acquired_at).toBe(first.acquired_at);
    expect(Date.parse(second.refreshed_at)).toBeGreaterThan(Date.parse(first.refreshed_at));
    handle.release();
    expect(handle.refresh()).toBe(false);
    expect(existsSync(lockPath)).toBe(false);
  });

  it("never lets a handle whose lock was taken over release or refresh the new owner's lock", async () => {
    const dir = tempDir();
    const lockPath = join(dir, '.lock');
    // A holder on another machine: its lock may be taken over once its lease lapses.
    const old = await new FileLock(lockPath, { leaseMs: 20, machine: { host: 'elsewhere.invalid' } }).acquire('old');
    await new Promise((r) => setTimeout(r, 40)); // its lease lapses
    const heir = await new FileLock(lockPath, { timeoutMs: 1_000 }).acquire('heir');
    const held = readFileSync(lockPath, 'utf8');
    expect(heir.replaced?.token).toBe(old.owner.token);
    expect(old.stillHeld()).toBe(false);
    expect(old.holdsNow()).toBe(false);
    expect(heir.holdsNow()).toBe(true);
    expect(old.refresh()).toBe(false);
    old.release();
    expect(readFileSync(lockPath, 'utf8')).toBe(held);
    expect(heir.stillHeld()).toBe(true);
    heir.release();
    expect(existsSync(lockPath)).toBe(false);
  });

  it('takes over a lock it is told to (`ralph unlock --force`) only while it is still the one it saw', async () => {
    const lockPath = join(tempDir(), '.lock');
    const lock = new FileLock(lockPath, { timeoutMs: 100 });
    expect(lock.takeOver({ state: 'free' })).toBeUndefined();
    const victim = await lock.acquire('victim');
    const seen = lock.inspect();
    expect(seen).toMatchObject({ state: 'held', owner: { token: victim.owner.token, purpose: 'victim' } });
    const forcer = lock.takeOver(seen, 'forcer')!;
    expect(forcer.replaced?.token).toBe(victim.owner.token);
    expect(ownerIn(lockPath).token).toBe(forcer.owner.token);
    // What it saw is no longer there: a second forced takeover from it does nothing.
    expect(lock.takeOver(seen, 'late')).toBeUndefined();
    expect(ownerIn(lockPath).token).toBe(forcer.owner.token);
    forcer.release();
    expect(existsSync(lockPath)).toBe(false);
  });

  it('never lets the handle of a lock taken from it by force release or refresh the lock someone took next', async () => {
    // `ralph unlock --force` takes a held lock over and lets it go; its former holder may still be
    // running and must not remove or overwrite the lock of the process that took it after that.
    const lockPath = join(tempDir(), '.lock');
    const lock = new FileLock(lockPath, { timeoutMs: 500 });
    const former = await lock.acquire('former');
    lock.takeOver(lock.inspect(), 'unlock')!.release();
    const next = await lock.acquire('next');
    const held = readFileSync(lockPath, 'utf8');
    expect(former.refresh()).toBe(false);
    expect(readFileSync(lockPath, 'utf8')).toBe(held);
    former.release();
    expect(readFileSync(lockPath, 'utf8')).toBe(held);
    expect(ownerIn(lockPath).token).toBe(next.owner.token);
    await expect(lock.acquire('third')).rejects.toBeInstanceOf(LockTimeoutError);
    next.release();
    expect(existsSync(lockPath)).toBe(false);
  });
});
