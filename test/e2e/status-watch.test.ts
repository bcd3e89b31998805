// `ralph status --watch` from another terminal while a run goes on: the same live view, refreshed,
// until the run ends (exit 0) or Ctrl-C (130); --json gives one snapshot a line, never coloured.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, ralph, script, startRalph, tempDir, waitFor, writeTasks } from '../helpers/index.js';
import { Term, hasTmux } from '../helpers/tmux.js';

const TOTALS = /^\d+\/6\b/;

function project(sleep = '0.35'): { dir: string; agent: string } {
  const dir = tempDir('ralph-watch-');
  writeTasks(dir, { tasks: ['bad-1', 't-1', 't-2', 't-3', 't-4', 't-5'].map((id) => ({ id, type: 'work' })) });
  const agent = script(
    dir,
    'agent.sh',
    `
i=0
while [ $i -lt 4 ]; do echo "step $i of $RALPH_TASK_ID"; sleep ${sleep}; i=$((i+1)); done
case "$RALPH_TASK_ID" in bad-*) echo "boom in $RALPH_TASK_ID" >&2; exit 3;; esac
echo "FINDINGS: done"`,
  );
  return { dir, agent };
}

const startRun = (dir: string, agent: string) => startRalph(['run', '--tasks', 'tasks.json', '--workers', '2', '--agent-cmd', agent], { cwd: dir });

const terms: Term[] = [];
const stops: Array<() => void> = [];
afterEach(() => {
  for (const t of terms.splice(0)) t.close();
  for (const stop of stops.splice(0)) stop();
});

describe.skipIf(!hasTmux)('ralph status --watch in a terminal', () => {
  it("shows the run going on elsewhere: totals, each worker's task and last line, the failure; exits 0 when the run ends", async () => {
    const { dir, agent } = project();
    const run = startRun(dir, agent);
    stops.push(() => run.child.kill('SIGKILL'));
    await runGoing(dir);
    const term = new Term({ width: 60, height: 20, cwd: dir, argv: [process.execPath, CLI, 'status', '--watch', '--interval', '0.2'] });
    terms.push(term);
    let rows = false;
    const status = await term.exited(() => {
      const lines = term.lines();
      expect(lines.filter((l) => TOTALS.test(l)).length).toBeLessThanOrEqual(1);
      if (lines.some((l) => /^w[12] t-\d \d+(ms|s) {2}step \d of t-\d$/.test(l))) rows = true;
    });
    expect(status).toBe(0);
    expect((await run.done).code).toBe(1);
    expect(rows).toBe(true);
    const all = term.lines({ history: true });
    expect(all.filter((l) => TOTALS.test(l))).toHaveLength(1);
    expect(all.find((l) => TOTALS.test(l))).toMatch(/^6\/6 done · 1 failed/);
    expect(all.filter((l) => l.startsWith('✘ bad-1 failed: agent exited with code 3'))).toHaveLength(1);
  });

  it('Ctrl-C stops the watching (exit 130), not the run', async () => {
    const { dir, agent } = project('5');
    const run = startRun(dir, agent);
    stops.push(() => run.child.kill('SIGKILL'));
    await runGoing(dir);
    const term = new Term({ width: 80, height: 20, cwd: dir, argv: [process.execPath, CLI, 'status', '--watch'] });
    terms.push(term);
    await waitFor('the view', () => term.lines().some((l) => /^w1 /.test(l)), 20_000, 100);
    term.keys('C-c');
    expect(await term.exited()).toBe(130);
    expect(run.child.exitCode).toBeNull();
    run.child.kill('SIGINT');
    expect((await run.done).code).toBe(130);
  });
});

/** Until the run has a worker registered (the queue is there, and the run active). */
function runGoing(dir: string): Promise<unknown> {
  return waitFor('the run to start its workers', () => existsSync(join(dir, '.ralph', 'sessions', 'worker-1.session')), 20_000);
}

describe('ralph status --watch --json', () => {
  it("one JSON snapshot a line until the run ends: the workers' rows, the failure as an event; never coloured", async () => {
    const { dir, agent } = project();
    const run = startRun(dir, agent);
    stops.push(() => run.child.kill('SIGKILL'));
    await runGoing(dir);
    const watch = await ralph(['status', '--watch', '--json', '--interval', '0.2'], { cwd: dir, env: { FORCE_COLOR: '1' } });
    expect(watch.code).toBe(0);
    expect(watch.stdout).not.toContain('\u001b');
    const snapshots = watch.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(snapshots.length).toBeGreaterThan(3);
    expect(snapshots.at(-1)).toMatchObject({ active: false, total: 6, counts: { completed: 5, failed: 1, pending: 0, claimed: 0 } });
    const rows = snapshots.flatMap((s) => s.workers);
    expect(rows.some((w: any) => w.state === 'running' && /^t-\d$/.test(w.task) && /^step \d of t-\d$/.test(w.last_output))).toBe(true);
    const failures = snapshots.flatMap((s) => s.events).filter((e: any) => e.kind === 'failure');
    expect(failures).toEqual([
      {
        kind: 'failure',
        failure: {
          task: 'bad-1',
          cause: 'agent exited with code 3: boom in bad-1',
          log: expect.stringMatching(/^\.ralph\/worker-[12]\.log$/),
          retrying: false,
        },
      },
    ]);
    await run.done;
  });

  it('without a run going on: one picture, then exit 0', async () => {
    const { dir, agent } = project('0');
    expect((await startRun(dir, agent).done).code).toBe(1);
    const watch = await ralph(['status', '--watch', '--json'], { cwd: dir });
    expect(watch.code).toBe(0);
    const lines = watch.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ active: false, counts: { completed: 5, failed: 1 } });
  });
});
