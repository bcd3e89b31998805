// `ralph ctl` (issue 18): steering a live run through its state directory: status, scale up and
// down (an idle worker stops at once, a busy one once its task is done), stop one worker (its task
// back to pending), pause and resume claims; refused in one line when no run is live.
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { queueOf, ralph, script, startRalph, tempDir, waitFor, writeTasks } from '../helpers/index.js';

const ctl = async (dir: string, ...args: string[]) => {
  const r = await ralph(['ctl', ...args, '--json'], { cwd: dir });
  return { code: r.code, answer: r.stdout ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
};
const running = (answer: { workers: Array<{ running: boolean }> }) => answer.workers.filter((w) => w.running).length;
/** Waits until the asynchronous `probe` says yes (30 s at most). */
async function until(what: string, probe: () => Promise<boolean>): Promise<void> {
  for (const deadline = Date.now() + 30_000; !(await probe()); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('ralph ctl', () => {
  it('is refused, in one line, when no run is live', async () => {
    const dir = tempDir('ralph-ctl-');
    writeTasks(dir, [{ id: 'a', type: 't' }]);
    expect((await ralph(['queue', 'add', 'tasks.json'], { cwd: dir })).code).toBe(0);
    const r = await ralph(['ctl', 'status'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^ralph: No run is live on \S+: `ralph ctl` steers a running `ralph run`\.$/);
  });

  it('scales a live run up and down, stops one worker, pauses and resumes claiming', async () => {
    const dir = tempDir('ralph-ctl-');
    writeTasks(
      dir,
      Array.from({ length: 80 }, (_, i) => ({ id: `t${i}`, type: 't' })),
    );
    script(dir, 'agent.sh', 'sleep 0.3\necho "FINDINGS: ok"');
    const run = startRalph(['run', '--tasks', 'tasks.json', '--workers', '1', '--agent-cmd', './agent.sh'], { cwd: dir });
    try {
      await until('the run is live', async () => (await ctl(dir, 'status')).code === 0);
      const first = await ctl(dir, 'status');
      expect(first.answer).toMatchObject({ ok: true, target: 1 });
      expect(running(first.answer)).toBe(1);

      expect((await ctl(dir, 'scale', '3')).answer).toMatchObject({ ok: true, target: 3 });
      await until('three workers', async () => running((await ctl(dir, 'status')).answer) === 3);

      const down = await ctl(dir, 'scale', '1');
      expect(down.answer.message).toMatch(/^aiming at 1 worker\(s\) \(was 3\)/);
      await until('one worker again', async () => running((await ctl(dir, 'status')).answer) === 1);

      const paused = await ctl(dir, 'pause');
      expect(paused.answer).toMatchObject({ ok: true, message: 'claiming paused' });
      const stopped = await ctl(dir, 'stop-worker', '2');
      expect(stopped.code).toBe(1);
      expect(stopped.answer.message).toBe('worker 2 is not running in this run');
      const alone = (await ctl(dir, 'status')).answer.workers.find((w: { running: boolean }) => w.running).id;
      expect((await ctl(dir, 'stop-worker', `worker-${alone}`)).answer).toMatchObject({ ok: true, target: 0 });
      // The worker stops; its task goes back to pending.
      const counts = async () => JSON.parse((await ralph(['status', '--json'], { cwd: dir })).stdout).counts;
      await until('no worker and no claim', async () => running((await ctl(dir, 'status')).answer) === 0 && (await counts()).claimed === 0);
      // Paused, no worker: nothing moves. Resumed and scaled: the run finishes.
      const left = await counts();
      expect(left.pending).toBeGreaterThan(0);
      expect(left.claimed).toBe(0);
      expect((await ctl(dir, 'resume')).answer).toMatchObject({ ok: true, message: 'claiming resumed' });
      const up = await ctl(dir, 'scale', '4');
      expect(up.code, JSON.stringify(up)).toBe(0);
      const done = await run.done;
      expect(done.code, done.stderr).toBe(0);
      expect(queueOf(dir).tasks.every((t: { status: string }) => t.status === 'completed')).toBe(true);
    } finally {
      run.child.kill('SIGTERM');
    }
  }, 60_000);

  it('autoscales: workers start for pending tasks up to --max-workers, and idle ones stop after --worker-idle-timeout down to --min-workers', async () => {
    const dir = tempDir('ralph-ctl-');
    writeTasks(dir, [{ id: 'long', type: 't' }, ...Array.from({ length: 4 }, (_, i) => ({ id: `s${i}`, type: 't' }))]);
    // The short tasks keep three workers busy for about three seconds, the long one for eight.
    script(dir, 'agent.sh', 'if [ "$RALPH_TASK_ID" = long ]; then sleep 8; else sleep 1.5; fi\necho "FINDINGS: ok"');
    const run = startRalph(
      ['run', '--tasks', 'tasks.json', '--max-workers', '3', '--min-workers', '1', '--worker-idle-timeout', '1', '--agent-cmd', './agent.sh'],
      {
        cwd: dir,
      },
    );
    try {
      // A worker for each task to do, up to three (their logs say they started).
      await waitFor('a third worker', () => existsSync(join(dir, '.ralph', 'worker-3.log')), 30_000);
      expect(existsSync(join(dir, '.ralph', 'worker-4.log'))).toBe(false);
      // The short tasks done, two workers idle for a second: they stop; the one with the long task does not.
      await until('one worker left', async () => running((await ctl(dir, 'status')).answer) === 1);
      const left = (await ctl(dir, 'status')).answer.workers.find((w: { running: boolean }) => w.running);
      expect(left.task).toBe('long');
      // An autoscaling run does not take scale or stop-worker: it would undo them.
      const refused = await ctl(dir, 'scale', '2');
      expect(refused.code).toBe(1);
      expect(refused.answer.message).toBe('the run autoscales (--max-workers 3): it does not take scale');
      // More tasks: workers start again for them.
      writeTasks(
        dir,
        Array.from({ length: 3 }, (_, i) => ({ id: `m${i}`, type: 't' })),
        'more.json',
      );
      expect((await ralph(['queue', 'add', 'more.json'], { cwd: dir })).code).toBe(0);
      await until('workers for the new tasks', async () => running((await ctl(dir, 'status')).answer) >= 2);
      const done = await run.done;
      expect(done.code, done.stderr).toBe(0);
      expect(queueOf(dir).tasks.every((t: { status: string }) => t.status === 'completed')).toBe(true);
    } finally {
      run.child.kill('SIGTERM');
    }
  }, 60_000);

  it('refuses a bad number in one line', async () => {
    const dir = tempDir('ralph-ctl-');
    const r = await ralph(['ctl', 'scale', 'many'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('ralph: scale many: expected a whole number of workers, at least 1.');
  });
});
