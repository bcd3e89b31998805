// `ralph status --watch` on a run that is over, and on a queue that goes away while it watches.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { queueOf, ralph, script, startRalph, tempDir, waitFor, writeTasks } from '../helpers/index.js';

const stops: Array<() => void> = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

describe('ralph status --watch after the run', () => {
  it('a run that ended: its elapsed time and rate are those of the run, up to its end, not up to now', async () => {
    const dir = tempDir('ralph-watch-end-');
    writeTasks(dir, {
      tasks: [
        { id: 'e-1', type: 'work' },
        { id: 'e-2', type: 'work' },
      ],
    });
    const agent = script(dir, 'agent.sh', 'sleep 0.3; echo "FINDINGS: done"');
    expect((await ralph(['run', '--tasks', 'tasks.json', '--agent-cmd', agent], { cwd: dir })).code).toBe(0);
    const run = queueOf(dir).run;
    const ran = Date.parse(run.ended_at) - Date.parse(run.started_at);
    // However long after the end it is looked at.
    await new Promise((r) => setTimeout(r, 300));
    const watch = await ralph(['status', '--watch', '--json'], { cwd: dir });
    expect(watch.code).toBe(0);
    const snapshot = JSON.parse(watch.stdout.trim().split('\n').pop()!);
    expect(snapshot.elapsed_ms).toBe(ran);
    expect(snapshot.tasks_per_second).toBe(Math.round((2 / (ran / 1000)) * 100) / 100);
  });
});

/**
 * A run of one task whose agent works until the file `stop` is made, and `ralph status --watch --json
 * --interval <interval>` started once the task is claimed; returns once the watch has printed a snapshot.
 */
async function watchingARun(interval: string): Promise<{ dir: string; run: ReturnType<typeof startRalph>; watch: ReturnType<typeof startRalph> }> {
  const dir = tempDir('ralph-watch-live-');
  writeTasks(dir, { tasks: [{ id: 'l-1', type: 'work' }] });
  const agent = script(dir, 'agent.sh', `while [ ! -e "${join(dir, 'stop')}" ]; do sleep 0.1; done; echo "FINDINGS: done"`);
  const run = startRalph(['run', '--tasks', 'tasks.json', '--agent-cmd', agent], { cwd: dir });
  stops.push(() => run.child.kill('SIGKILL'));
  await waitFor('the task claimed', () => {
    try {
      return queueOf(dir).tasks[0].status === 'claimed';
    } catch {
      return false;
    }
  });
  const watch = startRalph(['status', '--watch', '--json', '--interval', interval], { cwd: dir });
  stops.push(() => watch.child.kill('SIGKILL'));
  let out = '';
  watch.child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  await waitFor('a snapshot', () => out.includes('\n'));
  return { dir, run, watch };
}

describe('ralph status --watch when the queue goes away', () => {
  it('.ralph removed while watching: the one line of a missing queue, exit 2, no "unexpected error"', async () => {
    const { dir, watch } = await watchingARun('0.1');
    rmSync(join(dir, '.ralph'), { recursive: true, force: true });
    const r = await watch.done;
    expect(r.stderr).not.toMatch(/unexpected|please report/i);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^ralph: .*\.ralph/);
    expect(r.code).toBe(2);
  });
});

describe('ralph status --watch --interval beyond what a timer holds', () => {
  it('--interval 3000000 (over 2^31 ms): looks once and waits, no 1 ms loop, no TimeoutOverflowWarning', async () => {
    const { dir, run, watch } = await watchingARun('3000000');
    // The run ends meanwhile (a busy loop would print a snapshot a millisecond until then).
    writeFileSync(join(dir, 'stop'), '');
    expect((await run.done).code).toBe(0);
    watch.child.kill('SIGINT');
    const r = await watch.done;
    expect(r.stderr).not.toContain('TimeoutOverflowWarning');
    expect(r.stdout.trim().split('\n').length).toBeLessThanOrEqual(2);
  });
});
