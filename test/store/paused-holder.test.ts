// A holder of the queue lock paused (SIGSTOP) at points inside a commit, then resumed: on this
// machine nobody takes its lock while it lives; a holder on another machine loses it once its lease
// lapses, and then nothing it writes after waking may land.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/file-store.js';
import type { StopPoint } from '../../src/store/faults.js';
import { ralph, tempDir, waitFor } from '../helpers/index.js';
import { DIST, assertBuilt, isStopped, startFixture } from '../helpers/store.js';
import type { Running } from '../helpers/store.js';

beforeAll(assertBuilt);

const POINTS: StopPoint[] = ['locked', 'appended', 'temp-written', 'queue-written', 'results-written'];

function writer(dir: string, name: string, count: number, leaseMs: number, options: { stopAt?: StopPoint; host?: string } = {}): Running {
  return startFixture(
    'store-paused-writer.mjs',
    [dir, DIST, name, String(count), '0', String(leaseMs), ...(options.host ? [options.host] : [])],
    options.stopAt ? { RALPH_TEST_STOP_AT: options.stopAt } : {},
  );
}

/** A queue whose journal exists, so that the writers' compactions come after their commits. */
async function queueDir(): Promise<string> {
  const dir = join(tempDir(), '.ralph');
  const store = new FileStore(dir);
  store.ensure();
  await store.compact();
  store.close();
  return dir;
}

const ids = (name: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${name}-${i}`);

/** Every task once with exactly one finding each, nothing else. */
function expectState(dir: string, expected: string[]): void {
  const state = new FileStore(dir).read();
  expect(state.tasks.map((t) => t.id).sort()).toEqual([...expected].sort());
  expect(state.findings.map((f) => f.task_id).sort()).toEqual([...expected].sort());
}

describe('a lock holder paused inside a commit', () => {
  it.each(POINTS)('on this machine keeps its lock while paused at "%s": the others wait, then everything is committed once', async (point) => {
    const dir = await queueDir();
    const paused = writer(dir, 'x', 3, 200, { stopAt: point });
    await waitFor(`the writer stopped at ${point}`, () => isStopped(paused.pid), 15_000, 5);
    const other = writer(dir, 'y', 10, 200);
    // Several of the paused holder's leases: nobody takes its lock, nobody commits.
    await new Promise((r) => setTimeout(r, 800));
    expect(other.lines).toEqual([]);
    expect(JSON.parse(readFileSync(join(dir, '.lock'), 'utf8')).pid).toBe(paused.pid);
    paused.child.kill('SIGCONT');
    const [x, y] = await Promise.all([paused.done, other.done]);
    expect(x.stdout.trim().split('\n')).toEqual(ids('x', 3));
    expect(y.stdout.trim().split('\n')).toEqual(ids('y', 10));
    expect([x.code, y.code]).toEqual([0, 0]);
    expectState(dir, [...ids('x', 3), ...ids('y', 10)]);
  });

  it.each(POINTS)(
    'on another machine loses its lock once its lease lapses while paused at "%s", and writes nothing over the new holder\'s work',
    async (point) => {
      const dir = await queueDir();
      const paused = writer(dir, 'x', 3, 300, { stopAt: point, host: 'elsewhere.invalid' });
      await waitFor(`the writer stopped at ${point}`, () => isStopped(paused.pid), 15_000, 5);
      // This machine's writer takes the lock over after the lease and does all its work.
      const other = writer(dir, 'y', 10, 30_000);
      const y = await other.done;
      expect(y.code).toBe(0);
      expect(y.stdout.trim().split('\n')).toEqual(ids('y', 10));
      const during = new FileStore(dir).read().tasks.map((t) => t.id);
      paused.child.kill('SIGCONT');
      const x = await paused.done;
      const xLines = x.stdout.trim().split('\n');
      if (point === 'locked' || point === 'appended') {
        // Woken before or just after writing its journal line: it finds the lock gone and stops.
        // Its line was written before the takeover read the journal, so it counts; not so before it.
        expect(x.code).toBe(1);
        expect(xLines.at(-1)).toMatch(/^error RALPH_LOCK_LOST /);
        expect(xLines.at(-1)).toContain(point === 'locked' ? 'nothing was written' : 'may or may not have been recorded');
        const committed = point === 'appended' ? ['x-0'] : [];
        expect(during.filter((id) => id.startsWith('x-'))).toEqual(committed);
        expectState(dir, [...committed, ...ids('y', 10)]);
      } else {
        // Woken inside the compaction that follows its commit: the commit stands (the new holder read
        // it), the snapshots it was writing are refused, and it goes on under the lock as usual.
        expect(x.code).toBe(0);
        expect(xLines).toEqual(ids('x', 3));
        expect(during.filter((id) => id.startsWith('x-'))).toEqual(['x-0']);
        expectState(dir, [...ids('x', 3), ...ids('y', 10)]);
      }
    },
  );

  it.each(['appended', 'temp-written'] as const)(
    'loses its lock to `ralph unlock --force` while paused at "%s", and then writes nothing over what others did',
    async (point) => {
      const dir = await queueDir();
      const paused = writer(dir, 'x', 3, 30_000, { stopAt: point });
      await waitFor(`the writer stopped at ${point}`, () => isStopped(paused.pid), 15_000, 5);
      const unlock = await ralph(['unlock', '--force', '--dir', dir], { cwd: dirname(dir) });
      expect(unlock.code).toBe(0);
      expect(unlock.stdout).toContain('it can no longer write the queue');
      const y = await writer(dir, 'y', 10, 30_000).done;
      expect(y.stdout.trim().split('\n')).toEqual(ids('y', 10));
      paused.child.kill('SIGCONT');
      const x = await paused.done;
      if (point === 'appended') {
        expect(x.code).toBe(1);
        expect(x.stdout).toContain('may or may not have been recorded');
        expectState(dir, ['x-0', ...ids('y', 10)]);
      } else {
        expect(x.code).toBe(0);
        expectState(dir, [...ids('x', 3), ...ids('y', 10)]);
      }
    },
  );
});
