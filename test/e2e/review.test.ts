import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileLock } from '../../src/store/lock.js';
import { queueOf, ralph, resultsOf, script, startRalph, tempDir, waitFor, writeTasks } from '../helpers/index.js';

describe('process control and shutdown', () => {
  it('gives an agent behind a wrapper script its --grace period after SIGTERM', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'slow-cleanup.js'),
      "process.on('SIGTERM', () => setTimeout(() => { require('fs').writeFileSync('cleaned', ''); process.exit(0); }, 500));\nrequire('fs').writeFileSync('ready', '');\nsetInterval(() => {}, 1000);\n",
    );
    script(dir, 'agent.sh', `"${process.execPath}" slow-cleanup.js\necho after`);
    writeTasks(dir, [{ id: 'slow', type: 't' }]);
    const result = await ralph(['run', '--tasks', 'tasks.json', '--workers', '1', '--agent-cmd', './agent.sh', '--task-timeout', '3', '--grace', '5'], {
      cwd: dir,
    });
    expect(result.code).toBe(1);
    expect(existsSync(join(dir, 'ready'))).toBe(true);
    expect(existsSync(join(dir, 'cleaned'))).toBe(true);
    expect(queueOf(dir).tasks[0].error).toMatch(/timed out/);
  });

  it('does not start an agent when told to stop while waiting for the lock', async () => {
    const dir = tempDir();
    script(dir, 'agent.sh', 'touch ran\necho "FINDINGS: ran"');
    writeTasks(dir, [{ id: 'a', type: 't' }]);
    expect((await ralph(['queue', 'add', 'tasks.json'], { cwd: dir })).code).toBe(0);
    const holder = spawn('sleep', ['30']);
    const lock = join(dir, '.ralph', '.lock');
    const now = new Date().toISOString();
    writeFileSync(lock, JSON.stringify({ pid: holder.pid, host: hostname(), token: 'held', acquired_at: now, refreshed_at: now, lease_ms: 60_000 }));
    try {
      const worker = startRalph(['worker', '--id', '1', '--agent-cmd', './agent.sh'], { cwd: dir });
      // Its log is opened first; then it waits for the lock (to register, then to claim).
      await waitFor('the worker to start', () => existsSync(join(dir, '.ralph', 'worker-1.log')));
      await new Promise((r) => setTimeout(r, 300));
      worker.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 200));
      rmSync(lock);
      const result = await worker.done;
      expect(result.code).toBe(0);
    } finally {
      holder.kill();
    }
    expect(existsSync(join(dir, 'ran'))).toBe(false);
    expect(queueOf(dir).tasks[0]).toMatchObject({ status: 'pending', attempts: 0 });
  });

  it('fails a task the agent cannot be started for (a 200 kB task type for RALPH_TASK_TYPE: E2BIG), without crashing the worker', async () => {
    const dir = tempDir();
    script(dir, 'agent.sh', 'echo "FINDINGS: ok"');
    writeTasks(dir, [
      { id: 'huge', type: 'x'.repeat(200_000) },
      { id: 'small', type: 't' },
    ]);
    const result = await ralph(['run', '--tasks', 'tasks.json', '--workers', '1', '--agent-cmd', './agent.sh'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).not.toMatch(/exited|restarting/);
    const [huge, small] = queueOf(dir).tasks;
    expect(huge).toMatchObject({ status: 'failed', attempts: 1 });
    expect(huge.error).toMatch(/could not start the agent/);
    expect(small.status).toBe('completed');
    expect(resultsOf(dir).issues[0]).toMatchObject({ reason: 'spawn' });
  });

  it('works on a queue in the original shell layout (no prompts/ or journal/ directory)', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, '.ralph', 'sessions'), { recursive: true });
    writeFileSync(
      join(dir, '.ralph', 'work-queue.json'),
      JSON.stringify({ tasks: [{ id: 'old', type: 't', status: 'pending' }], active: false, worker_count: 1, completed: 0 }),
    );
    writeFileSync(join(dir, '.ralph', 'results.json'), JSON.stringify({ findings: [], issues: [], timestamp: new Date().toISOString() }));
    script(dir, 'agent.sh', 'echo "FINDINGS: from the old layout"');
    const result = await ralph(['worker', '--id', '1', '--agent-cmd', './agent.sh'], { cwd: dir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(queueOf(dir).tasks[0]).toMatchObject({ status: 'completed', finding: 'from the old layout' });
  });

  it('refuses a second ralph run on a directory that a live run is using', async () => {
    const dir = tempDir();
    script(dir, 'agent.sh', 'while [ ! -f release ]; do sleep 0.05; done\necho "FINDINGS: ok"');
    writeTasks(dir, [{ id: 'a', type: 't' }]);
    const first = startRalph(['run', '--tasks', 'tasks.json', '--workers', '1', '--agent-cmd', './agent.sh'], { cwd: dir });
    await waitFor(
      'the first run to claim',
      () => existsSync(join(dir, '.ralph', 'work-queue.json')) && readFileSync(join(dir, '.ralph', 'work-queue.json'), 'utf8').includes('"active": true'),
    );
    writeTasks(dir, [{ id: 'b', type: 't' }], 'more.json');
    const second = await ralph(['run', '--tasks', 'more.json', '--agent-cmd', './agent.sh'], { cwd: dir });
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/another `ralph run` \(pid \d+ on .*\) is using \.ralph/);
    writeFileSync(join(dir, 'release'), '');
    const done = await first.done;
    expect(done.code).toBe(0);
    expect(queueOf(dir).tasks.map((t: any) => t.id)).toEqual(['a']);
  });

  it('stops on SIGHUP like on SIGTERM and exits 129', async () => {
    const dir = tempDir();
    script(dir, 'agent.sh', 'touch started\nsleep 30');
    writeTasks(dir, [{ id: 'a', type: 't' }]);
    const run = startRalph(['run', '--tasks', 'tasks.json', '--workers', '1', '--agent-cmd', './agent.sh', '--grace', '1'], { cwd: dir });
    await waitFor('the agent to start', () => existsSync(join(dir, 'started')));
    run.child.kill('SIGHUP');
    expect((await run.done).code).toBe(129);
    expect(queueOf(dir).tasks[0]).toMatchObject({ status: 'pending', attempts: 0 });
  });

  it('keeps going on an agent that prints megabytes without a newline', async () => {
    const dir = tempDir();
    script(dir, 'agent.sh', `"${process.execPath}" -e "process.stdout.write('y'.repeat(30e6)); process.stdout.write('\\\\nFINDINGS: long line done\\\\n')"`);
    writeTasks(dir, [{ id: 'a', type: 't' }]);
    const result = await ralph(['run', '--tasks', 'tasks.json', '--workers', '1', '--agent-cmd', './agent.sh'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(queueOf(dir).tasks[0].finding).toBe('long line done');
    const log = readFileSync(join(dir, '.ralph', 'worker-1.log'), 'utf8');
    expect(log.split('\n').every((line) => line.length < 100_000)).toBe(true);
  });
});

describe('state and output edge cases', () => {
  it('refuses to start a run on a corrupt session file before changing anything', async () => {
    const dir = tempDir();
    script(dir, 'agent.sh', 'echo "FINDINGS: ok"');
    writeTasks(dir, [{ id: 'a', type: 't' }]);
    expect((await ralph(['run', '--tasks', 'tasks.json', '--agent-cmd', './agent.sh'], { cwd: dir })).code).toBe(0);
    const queueBefore = readFileSync(join(dir, '.ralph', 'work-queue.json'), 'utf8');
    writeFileSync(join(dir, '.ralph', 'sessions', 'worker-2.session'), '{"worker_id": 2, "last_hea');
    writeTasks(dir, [{ id: 'b', type: 't' }], 'more.json');
    const run = await ralph(['run', '--tasks', 'more.json', '--agent-cmd', './agent.sh'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/worker-2\.session is not a valid Ralph state file.*delete it/);
    expect(readFileSync(join(dir, '.ralph', 'work-queue.json'), 'utf8')).toBe(queueBefore);
    const report = await ralph(['report'], { cwd: dir });
    expect(report.code).toBe(0);
    expect(readFileSync(join(dir, '.ralph', 'ORCHESTRATOR-REPORT.md'), 'utf8')).toMatch(/worker-2\.session.*skipped/);
  });

  it('stops quietly when its output pipe is closed', async () => {
    const dir = tempDir();
    writeTasks(
      dir,
      Array.from({ length: 3000 }, (_, i) => ({ id: `task-${i}`, type: 't' })),
    );
    expect((await ralph(['queue', 'add', 'tasks.json'], { cwd: dir })).code).toBe(0);
    const piped = spawn('sh', ['-c', `"${process.execPath}" "${join(import.meta.dirname, '..', '..', 'dist', 'cli', 'bin.js')}" queue list | head -1`], {
      cwd: dir,
    });
    let stderr = '';
    piped.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    await new Promise((r) => piped.on('close', r));
    expect(stderr).toBe('');
  });

  it('unlock never removes a lock that changed hands after it looked', () => {
    const dir = tempDir();
    const path = join(dir, '.lock');
    const lock = new FileLock(path);
    const now = new Date().toISOString();
    writeFileSync(path, JSON.stringify({ pid: 999_999_99, host: hostname(), token: 'dead', acquired_at: now, refreshed_at: now, lease_ms: 30_000 }));
    const seen = lock.inspect();
    expect(seen.state).toBe('stale');
    // Meanwhile a worker took it over.
    writeFileSync(path, JSON.stringify({ pid: process.pid, host: hostname(), token: 'live', acquired_at: now, refreshed_at: now, lease_ms: 30_000 }));
    expect(lock.takeOver(seen, 'unlock')).toBeUndefined();
    expect(readFileSync(path, 'utf8')).toContain('"live"');
  });
});
