// `ralph queue add` paused (SIGSTOP) in the middle of its commit while `ralph run` works on the same
// queue, then resumed: no task lost, none run or recorded twice. On this machine the paused holder
// keeps the lock; a holder on another host (its own UTS namespace, as root) loses it after its
// lease, and what it writes after waking is refused.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, queueOf, ralph, resultsOf, script, startRalph, tempDir, waitFor, writeTasks } from '../helpers/index.js';
import { isStopped } from '../helpers/store.js';

const tasks = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, type: 't' }));

function setUp(): string {
  const dir = tempDir();
  script(dir, 'agent.sh', 'echo "$RALPH_TASK_ID" >> runs.log\nsleep 0.05\necho "FINDINGS: did $RALPH_TASK_ID"');
  writeTasks(dir, tasks('first', 30));
  writeTasks(dir, tasks('added', 10), 'more.json');
  return dir;
}

function expectEachOnce(dir: string, ids: string[]): void {
  const runs = readFileSync(join(dir, 'runs.log'), 'utf8').trim().split('\n');
  expect([...runs].sort()).toEqual([...ids].sort());
  const queue = queueOf(dir);
  expect(queue.tasks.map((t: { id: string }) => t.id).sort()).toEqual([...ids].sort());
  expect(queue.tasks.every((t: { status: string }) => t.status === 'completed')).toBe(true);
  expect(queue.completed).toBe(ids.length);
  expect(
    resultsOf(dir)
      .findings.map((f: { task_id: string }) => f.task_id)
      .sort(),
  ).toEqual([...ids].sort());
}

const completedSoFar = (dir: string): number => {
  try {
    return queueOf(dir).completed as number;
  } catch {
    return 0;
  }
};

// Whether this process may make a UTS namespace of its own (root, and unshare present).
const canUnshare = (() => {
  try {
    execFileSync('unshare', ['--uts', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const ALL = [...tasks('first', 30), ...tasks('added', 10)].map((t) => t.id);

describe('a `ralph queue add` paused in the middle of its commit', () => {
  it('on this machine holds the run up while paused, then every task runs and is recorded once', async () => {
    const dir = setUp();
    const run = startRalph(['run', '--tasks', 'tasks.json', '--workers', '2', '--agent-cmd', './agent.sh'], { cwd: dir });
    await waitFor('the run under way', () => existsSync(join(dir, 'runs.log')) && readFileSync(join(dir, 'runs.log'), 'utf8').split('\n').length > 5);
    const add = startRalph(['queue', 'add', 'more.json'], { cwd: dir, env: { RALPH_TEST_STOP_AT: 'appended', RALPH_LOCK_LEASE: '0.2' } });
    await waitFor('queue add stopped inside its commit', () => isStopped(add.child.pid!), 20_000, 5);
    await new Promise((r) => setTimeout(r, 800)); // four of its leases
    expect(isStopped(add.child.pid!)).toBe(true);
    add.child.kill('SIGCONT');
    const added = await add.done;
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toContain('Queued 10 task(s)');
    const ran = await run.done;
    expect(ran.code, `${ran.stdout}\n${ran.stderr}`).toBe(0);
    // Whatever the run did not reach before it ended is done by the next one.
    expect((await ralph(['run', '--agent-cmd', './agent.sh', '--workers', '2'], { cwd: dir })).code).toBe(0);
    expectEachOnce(dir, ALL);
  });

  it.runIf(canUnshare)("on another host loses the lock after its lease, and nothing it writes after waking lands over the run's work", async () => {
    const dir = setUp();
    const env = { RALPH_LOCK_LEASE: '0.3' };
    const run = startRalph(['run', '--tasks', 'tasks.json', '--workers', '2', '--agent-cmd', './agent.sh'], { cwd: dir, env });
    await waitFor(
      'the run under way',
      () => completedSoFar(dir) > 0 || (existsSync(join(dir, 'runs.log')) && readFileSync(join(dir, 'runs.log'), 'utf8').split('\n').length > 5),
    );
    // `queue add` on host "elsewhere", paused after its journal line, before it checks the lock.
    const { spawn } = await import('node:child_process');
    const child = spawn('unshare', ['--uts', 'sh', '-c', 'hostname elsewhere && exec "$0" "$@"', process.execPath, CLI, 'queue', 'add', 'more.json'], {
      cwd: dir,
      env: { ...process.env, ...env, RALPH_TEST_STOP_AT: 'appended' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const addDone = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
    await waitFor('queue add stopped inside its commit', () => isStopped(child.pid!), 20_000, 5);
    // The run takes the lock over after the lease, and works on: its tasks and the ones just added.
    expect((await run.done).code).toBe(0);
    child.kill('SIGCONT');
    const code = await addDone;
    // It wrote its line before the takeover, so its tasks were queued; it cannot know that, and says so.
    expect(code).toBe(1);
    expect(stderr).toContain('may or may not have been recorded');
    expect(stderr).not.toMatch(/\n\s+at /);
    expect((await ralph(['run', '--agent-cmd', './agent.sh', '--workers', '2'], { cwd: dir })).code).toBe(0);
    expectEachOnce(dir, ALL);
  });
});
