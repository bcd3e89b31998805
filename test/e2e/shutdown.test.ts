// What a shutdown does with the agents running at that moment: a result an agent finishes within
// the grace period is recorded; an agent that has to be SIGKILLed, or that quits without a result,
// gives its task back to pending (its attempt not counted).
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAlive } from '../../src/process/alive.js';
import { queueOf, resultsOf, script, startRalph, tempDir, waitFor, writeTasks } from '../helpers/index.js';

const pidsIn = (dir: string) =>
  readdirSync(dir)
    .map((f) => Number(readFileSync(join(dir, f), 'utf8').trim()))
    .filter((p) => p > 0);

describe('shutdown of a run with agents running', () => {
  it.each([
    ['SIGTERM', 143, 'worker'],
    ['SIGINT', 130, 'run'],
  ] as const)(
    'on %s records what an agent finishes within --grace; a SIGKILLed agent or one that quits without a result goes back to pending (exit %i, steps applied by the %s)',
    async (signal, code, steps) => {
      const dir = tempDir();
      const pids = join(dir, 'pids');
      mkdirSync(pids);
      // finish: traps TERM, finishes its turn and prints its findings, exits 0 (a CLI that ends its
      // turn before exiting). stubborn: printed a finding-looking line early, ignores TERM (SIGKILL).
      // quit: exits 0 at once on TERM, without a result, leaving a grandchild in a session of its own.
      script(
        dir,
        'agent.sh',
        [
          'case "$RALPH_TASK_ID" in',
          '  finish) trap \'sleep 0.2; echo "FINDINGS: finished after the stop"; exit 0\' TERM ;;',
          '  stubborn) trap "" TERM; echo "FINDINGS: too early to count" ;;',
          '  quit) trap "exit 0" TERM; setsid sleep 300 > /dev/null 2>&1 & echo $! > "$PIDS/quit-grandchild" ;;',
          'esac',
          'echo $$ > "$PIDS/$RALPH_TASK_ID"',
          'sleep 300 & wait',
        ].join('\n'),
      );
      writeTasks(
        dir,
        ['finish', 'stubborn', 'quit', 'later'].map((id) => ({ id, type: 't' })),
      );
      const run = startRalph(['run', '--tasks', 'tasks.json', '--workers', '3', '--agent-cmd', './agent.sh', '--grace', '2'], {
        cwd: dir,
        env: { PIDS: pids, RALPH_STEPS: steps },
      });
      await waitFor('three agents (and a grandchild) to run', () => pidsIn(pids).length === 4);
      run.child.kill(signal);
      const result = await run.done;
      expect(result.code).toBe(code);
      const tasks = Object.fromEntries(queueOf(dir).tasks.map((t: any) => [t.id, t]));
      expect(tasks.finish).toMatchObject({ status: 'completed', attempts: 1, finding: 'finished after the stop' });
      for (const id of ['stubborn', 'quit', 'later']) expect([id, tasks[id].status, tasks[id].attempts]).toEqual([id, 'pending', 0]);
      const results = resultsOf(dir);
      expect(results.findings.map((f: any) => [f.task_id, f.finding])).toEqual([['finish', 'finished after the stop']]);
      expect(pidsIn(pids).filter(isAlive)).toEqual([]);
      const logs = readdirSync(join(dir, '.ralph'))
        .filter((f) => /^worker-\d+\.log$/.test(f))
        .map((f) => readFileSync(join(dir, '.ralph', f), 'utf8'))
        .join('');
      expect(logs).toMatch(/task finish finished within the grace period after the stop/);
    },
  );
});

describe('a new run right after the previous orchestrator was SIGKILLed', () => {
  it('waits for the old workers to finish stopping their agents, says so, then completes the queue', async () => {
    const dir = tempDir();
    const pids = join(dir, 'pids');
    mkdirSync(pids);
    // In the first run the agents hang, and take 3 s to stop after SIGTERM; in the second they finish.
    script(
      dir,
      'agent.sh',
      [
        'if [ "$PHASE" = 1 ]; then',
        '  trap "sleep 3; exit 1" TERM',
        '  echo $$ > "$PIDS/$RALPH_TASK_ID"',
        '  sleep 300 & wait',
        'fi',
        'echo "FINDINGS: done $RALPH_TASK_ID"',
      ].join('\n'),
    );
    writeTasks(
      dir,
      ['a', 'b', 'c', 'd'].map((id) => ({ id, type: 't' })),
    );
    const args = ['--workers', '2', '--agent-cmd', './agent.sh', '--grace', '10'];
    const first = startRalph(['run', '--tasks', 'tasks.json', ...args], { cwd: dir, env: { PIDS: pids, PHASE: '1' } });
    await waitFor('two agents to run', () => pidsIn(pids).length === 2);
    first.child.kill('SIGKILL');
    await first.done;
    const second = await startRalph(['run', ...args], { cwd: dir, env: { PIDS: pids, PHASE: '2' } }).done;
    expect(second.stderr).toMatch(/waiting for worker [12] \(pid \d+\) of the previous run to stop/);
    expect(second.code).toBe(0);
    const tasks = queueOf(dir).tasks;
    expect(tasks.map((t: any) => [t.id, t.status, t.finding])).toEqual(['a', 'b', 'c', 'd'].map((id) => [id, 'completed', `done ${id}`]));
    expect(resultsOf(dir).findings).toHaveLength(4);
    expect(pidsIn(pids).filter(isAlive)).toEqual([]);
  });
});
