// `ralph queue pause` / `resume` / `stop` (issue 17's actions, the same code as the dashboard's
// buttons): a live run's workers claim nothing while the queue is paused, and go on as soon as it is
// resumed; a stop of a task that is not running is refused in one line (the browser test stops one).
import { describe, expect, it } from 'vitest';
import { ralph, readJson, script, startRalph, tempDir, waitFor, writeTasks } from '../helpers/index.js';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';

describe('ralph queue pause / resume', () => {
  it('holds back every claim of a live run until resumed; the worker log says so', async () => {
    const dir = tempDir('ralph-pause-');
    script(dir, 'agent.sh', 'echo "FINDINGS: did $RALPH_TASK_ID"');
    writeTasks(dir, [
      { id: 'a', type: 't' },
      { id: 'b', type: 't' },
    ]);
    expect((await ralph(['queue', 'add', 'tasks.json'], { cwd: dir })).code).toBe(0);
    const paused = await ralph(['queue', 'pause'], { cwd: dir });
    expect(paused.stdout).toContain('Claiming paused');
    const run = startRalph(['run', '--workers', '2', '--agent-cmd', './agent.sh'], { cwd: dir });
    const log = join(dir, '.ralph', 'worker-1.log');
    await waitFor('the worker says claiming is paused', () => {
      try {
        return readFileSync(log, 'utf8').includes('claiming paused since');
      } catch {
        return false;
      }
    });
    // Paused: nothing claimed, the run goes on waiting.
    const status = JSON.parse((await ralph(['status', '--json'], { cwd: dir })).stdout) as { counts: { pending: number }; paused_at: string | null };
    expect(status.counts.pending).toBe(2);
    expect(status.paused_at).toEqual(expect.any(String));
    expect(run.child.exitCode).toBeNull();
    expect((await ralph(['queue', 'resume'], { cwd: dir })).stdout).toContain('Claiming resumed');
    const done = await run.done;
    expect(done.code, done.stderr).toBe(0);
    // The run said at its start why its workers would sit idle.
    expect(done.stderr).toContain('claiming has been paused since');
    expect(readJson(join(dir, '.ralph', 'work-queue.json')).tasks.map((t: { status: string }) => t.status)).toEqual(['completed', 'completed']);
    expect(readFileSync(log, 'utf8')).toContain('claiming resumed');
  });

  it('ralph queue stop refuses, in one line, a task that is not running or not there', async () => {
    const dir = tempDir('ralph-stop-');
    writeTasks(dir, [{ id: 'a', type: 't' }]);
    expect((await ralph(['queue', 'add', 'tasks.json'], { cwd: dir })).code).toBe(0);
    for (const [id, says] of [
      ['a', 'is pending, not running'],
      ['nope', 'is not in the queue'],
    ] as const) {
      const r = await ralph(['queue', 'stop', id], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(says);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
