// Registration of a worker id: of two `ralph worker --id 1` started at the same moment exactly one
// registers and runs, the other exits 2 naming the live one's pid, before it touches the prompt file
// or the worktree. A session whose pid now belongs to another process does not hold the id.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { appendTasks } from '../../src/orchestrator/boot.js';
import { processStartTime } from '../../src/process/stat.js';
import { FileStore } from '../../src/store/file-store.js';
import { HOST } from '../../src/process/machine.js';
import { queueOf, ralph, script, startRalph, tempDir, waitFor } from '../helpers/index.js';
import type { Result } from '../helpers/index.js';

/** Races per mode (with worktrees each race also merges a task: fewer; they failed at the first before). */
const RACES = { plain: 20, worktree: 10 };
/** Races run in this many directories side by side (each one's races one after the other). */
const LANES = 2;

function git(cwd: string, ...args: string[]): void {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
}

describe('two workers with the same id started at once, again and again', () => {
  it.each([
    ['plain', RACES.plain, []],
    ['--isolate worktree', RACES.worktree, ['--isolate', 'worktree']],
  ] as const)('exactly one runs, the other exits 2 naming its pid (%s, %i races)', async (_mode, races, extra) => {
    const lanes = await Promise.all(Array.from({ length: LANES }, () => lane(extra, races / LANES)));
    for (const tasks of lanes) {
      expect(tasks.filter((t: any) => t.status === 'completed')).toHaveLength(races / LANES);
      expect(tasks.every((t: any) => t.attempts === 1)).toBe(true);
    }
  });
});

describe('a worker id held by a session file', () => {
  it('is refused while its process runs, and taken when the pid now belongs to another process', async () => {
    const dir = tempDir();
    script(dir, 'agent.sh', 'echo "FINDINGS: done"');
    const store = new FileStore(join(dir, '.ralph'));
    store.ensure();
    await appendTasks(store, [{ id: 'only', type: 't' }]);
    // A live process of this host stands in for the worker that wrote the session.
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    onTestFinished(() => {
      other.kill('SIGKILL');
    });
    await once(other, 'spawn');
    const start = processStartTime(other.pid!);
    expect(start).toMatch(/^\d+$/);
    const now = new Date().toISOString();
    const held = (pidStart: string) =>
      writeFileSync(
        join(dir, '.ralph', 'sessions', 'worker-1.session'),
        JSON.stringify({
          worker_id: 1,
          status: 'running',
          registered: now,
          last_heartbeat: now,
          pid: other.pid,
          pid_start: pidStart,
          host: HOST,
        }),
      );
    held(start!);
    const refused = await ralph(['worker', '--id', '1', '--agent-cmd', './agent.sh'], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`Worker 1 is already running (pid ${other.pid})`);
    expect(queueOf(dir).tasks[0].status).toBe('pending');
    // The same pid with another start time: the worker that wrote the session is gone.
    held(String(Number(start) - 1));
    const taken = await ralph(['worker', '--id', '1', '--agent-cmd', './agent.sh'], { cwd: dir });
    expect(taken.code).toBe(0);
    expect(queueOf(dir).tasks[0]).toMatchObject({ status: 'completed', finding: 'done' });
  });
});

/** `races` races in one directory, one task each; the queue's tasks at the end. */
async function lane(extra: readonly string[], races: number): Promise<any[]> {
  const dir = tempDir();
  if (extra.length > 0) {
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, 'config', 'user.email', 'test@example.com');
    git(dir, 'config', 'user.name', 'Test');
    writeFileSync(join(dir, 'seed.txt'), 'seed\n');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'seed');
  }
  // The agent keeps its worker busy until its race is released, then checks that the prompt file
  // still holds its own task (a second worker with its id would have written another one).
  script(
    dir,
    'agent.sh',
    [
      'while [ ! -f "$RELEASE" ] && [ -d "$RALPH_DIR" ]; do sleep 0.02; done',
      'grep -q "Task id: $RALPH_TASK_ID\\$" "$RALPH_PROMPT_FILE" || { echo "prompt file holds another task"; exit 1; }',
      'echo "FINDINGS: done $RALPH_TASK_ID"',
    ].join('\n'),
  );
  const store = new FileStore(join(dir, '.ralph'));
  store.ensure();
  const log = join(dir, '.ralph', 'worker-1.log');
  // The pids that logged their registration as worker 1 (both workers write to its log).
  const registered = (pids: Array<number | undefined>) =>
    (existsSync(log) ? [...readFileSync(log, 'utf8').matchAll(/worker 1 registered \(pid (\d+)/g)] : [])
      .map((m) => Number(m[1]))
      .filter((pid) => pids.includes(pid));
  for (let race = 0; race < races; race++) {
    await appendTasks(store, [{ id: `r${race}`, type: 't' }]);
    const release = join(dir, `release-${race}`);
    const args = ['worker', '--id', '1', '--agent-cmd', './agent.sh', ...extra];
    const workers = [startRalph(args, { cwd: dir, env: { RELEASE: release } }), startRalph(args, { cwd: dir, env: { RELEASE: release } })];
    // Whatever happens, nothing of this race outlives the test (a worker stops its agent on SIGTERM;
    // an agent left alone stops once the test's directory is gone).
    onTestFinished(() => {
      for (const w of workers) w.child.kill('SIGTERM');
    });
    const pids = workers.map((w) => w.child.pid);
    const ended: Array<Result | undefined> = [undefined, undefined];
    workers.forEach(
      (w, i) =>
        void w.done.then((r) => {
          ended[i] = r;
        }),
    );
    await waitFor(`race ${race}: one worker to exit, or both to register`, () => ended.some((r) => r) || registered(pids).length >= 2);
    expect(registered(pids).length, `race ${race}: both workers registered`).toBeLessThan(2);
    const loser = ended.findIndex((r) => r);
    const winner = workers[1 - loser]!;
    expect({ race, code: ended[loser]!.code }).toEqual({ race, code: 2 });
    expect(ended[loser]!.stderr).toContain(`Worker 1 is already running (pid ${winner.child.pid})`);
    writeFileSync(release, '');
    const won = await winner.done;
    expect({ race, code: won.code, stderr: won.stderr }).toMatchObject({ race, code: 0 });
    expect({ race, registered: registered(pids) }).toEqual({ race, registered: [winner.child.pid] });
  }
  return queueOf(dir).tasks;
}
