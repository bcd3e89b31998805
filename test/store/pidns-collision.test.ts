// the staging directory is named <host>.<pid>.<n>, but the lock tells machines apart by host,
// boot and pid namespace. Two holders with one host name in two pid namespaces (two containers with
// the same --hostname on one host, sharing .ralph/) can have the same pid, so the same staging
// directory: a takeover then does not remove the old holder's staging directory (it is its own), and
// the old holder, woken, renames its stale snapshots and journal over the new holder's work.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/file-store.js';
import { ROOT, tempDir, waitFor } from '../helpers/index.js';
import { DIST, assertBuilt, isStopped } from '../helpers/store.js';

beforeAll(assertBuilt);

const root =
  process.getuid?.() === 0 &&
  (() => {
    try {
      execFileSync('unshare', ['--pid', '--fork', '--mount-proc', 'true']);
      return true;
    } catch {
      return false;
    }
  })();

/** The writer fixture as pid 2 of a pid namespace of its own (sh is pid 1 there). */
function inPidNamespace(args: string[], env: NodeJS.ProcessEnv = {}) {
  const command = `${process.execPath} ${join(ROOT, 'test', 'fixtures', 'store-bumped-writer.mjs')} ${args.join(' ')}; exit $?`;
  const child = spawn('unshare', ['--pid', '--fork', '--mount-proc', 'sh', '-c', command], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const done = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  return { done, out: () => out };
}

/** Host pids of the writer fixtures named `name` (their argv holds it). */
function writerPid(dir: string, name: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a.endsWith('store-bumped-writer.mjs')) && argv.includes(dir) && argv.includes(name) && !argv.includes('-c')) return Number(entry);
    } catch {
      /* gone */
    }
  }
  return undefined;
}

describe.skipIf(!root)('two holders with one host name and one pid, in two pid namespaces', () => {
  it("a woken old holder does not write over the new holder's work", async () => {
    const dir = join(tempDir(), '.ralph');
    const store = new FileStore(dir);
    store.ensure();
    await store.compact();
    store.close();
    // x: compacts after each commit; stops in its second compaction, its queue snapshot staged.
    const x = inPidNamespace([dir, DIST, 'x', '3', '0', '300', '0'], { RALPH_TEST_STOP_AT: 'temp-written:4' });
    const xPid = await waitFor(
      'x stopped',
      () => {
        const p = writerPid(dir, 'x');
        return p !== undefined && isStopped(p) ? p : undefined;
      },
      15_000,
      5,
    );
    // y: takes the lock over once x's lease lapses, commits 10 tasks (no compaction), stops after its last append.
    const y = inPidNamespace([dir, DIST, 'y', '10', '1000000000', '30000', '1'], { RALPH_TEST_STOP_AT: 'appended:10' });
    const yPid = await waitFor(
      'y stopped',
      () => {
        const p = writerPid(dir, 'y');
        return p !== undefined && isStopped(p) ? p : undefined;
      },
      15_000,
      5,
    );
    const staging = readdirSync(join(dir, 'staging'));
    expect(
      new FileStore(dir)
        .read()
        .tasks.map((t) => t.id)
        .filter((id) => id.startsWith('y-')),
    ).toHaveLength(10);
    process.kill(xPid, 'SIGCONT');
    await new Promise((r) => setTimeout(r, 500));
    process.kill(yPid, 'SIGCONT');
    const [xc, yc] = await Promise.all([x.done, y.done]);
    const ids = new FileStore(dir)
      .read()
      .tasks.map((t) => t.id)
      .sort();
    expect({ staging, xc, yc, ids }, `${x.out()}\n${y.out()}`).toEqual({
      staging,
      xc,
      yc: 0,
      ids: expect.arrayContaining(['y-0', 'y-1', 'y-2', 'y-3', 'y-4', 'y-5', 'y-6', 'y-7', 'y-8', 'y-9']),
    });
  });
});
