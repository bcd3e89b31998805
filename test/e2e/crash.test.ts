import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAlive } from '../../src/process/alive.js';
import { queueOf, ralph, resultsOf, script, startRalph, tempDir, waitFor, writeTasks } from '../helpers/index.js';

function pidsIn(dir: string): number[] {
  return readdirSync(dir).map((f) => Number(readFileSync(join(dir, f), 'utf8').trim()));
}

function sessions(dir: string): any[] {
  const sdir = join(dir, '.ralph', 'sessions');
  // Only the session files themselves: a heartbeat being written leaves a
  // `worker-N.session.tmp-…` beside them for a moment.
  return readdirSync(sdir)
    .filter((f) => f.endsWith('.session'))
    .map((f) => JSON.parse(readFileSync(join(sdir, f), 'utf8')));
}

const STEPS = ['worker', 'run'] as const;

describe('crash safety', () => {
  it('fails a task at --task-timeout and kills its whole process group, background grandchildren included', async () => {
    const dir = tempDir();
    const pids = join(dir, 'pids');
    mkdirSync(pids);
    script(
      dir,
      'agent.sh',
      [
        'sleep 300 & echo $! > "$PIDS/bg"',
        '( trap "" TERM; while :; do sleep 1; done ) & echo $! > "$PIDS/stubborn"',
        'echo $$ > "$PIDS/leader"',
        'echo "started, now hanging"',
        'sleep 300',
      ].join('\n'),
    );
    writeTasks(dir, [{ id: 'hang', type: 't' }]);
    const result = await ralph(['run', '--tasks', 'tasks.json', '--workers', '1', '--agent-cmd', './agent.sh', '--task-timeout', '2', '--grace', '1'], {
      cwd: dir,
      env: { PIDS: pids },
    });
    expect(result.code).toBe(1);
    const [task] = queueOf(dir).tasks;
    expect(task.status).toBe('failed');
    expect(task.error).toMatch(/timed out after 2s \(--task-timeout\)/);
    expect(task.error).toContain('started, now hanging');
    expect(resultsOf(dir).issues[0]).toMatchObject({ reason: 'timeout', outcome: 'failed' });
    const survivors = pidsIn(pids).filter(isAlive);
    expect(pidsIn(pids)).toHaveLength(3);
    expect(survivors).toEqual([]);
  });

  // RALPH_STEPS: whether the workers apply their steps themselves, or send them to the run.
  it.each(STEPS)(
    'completes the task of a SIGKILLed worker on another attempt, recorded once, and kills the orphaned agent (steps applied by the %s)',
    async (steps) => {
      const dir = tempDir();
      const pids = join(dir, 'pids');
      mkdirSync(pids);
      script(dir, 'agent.sh', 'if [ "$RALPH_ATTEMPT" = 1 ]; then echo $$ > "$PIDS/first"; sleep 300; fi\necho "FINDINGS: finished on attempt $RALPH_ATTEMPT"');
      writeTasks(dir, [{ id: 'victim', type: 't' }]);
      const run = startRalph(['run', '--tasks', 'tasks.json', '--workers', '2', '--agent-cmd', './agent.sh'], {
        cwd: dir,
        env: { PIDS: pids, RALPH_STEPS: steps },
      });
      await waitFor('the first attempt to start', () => existsSync(join(pids, 'first')) && readFileSync(join(pids, 'first'), 'utf8').trim() !== '');
      const holder = await waitFor('the session of the worker running the task', () => sessions(dir).find((s) => s.current_task === 'victim'));
      process.kill(holder.pid, 'SIGKILL');
      const result = await run.done;
      expect(result.code).toBe(0);
      const [task] = queueOf(dir).tasks;
      expect(task).toMatchObject({ status: 'completed', attempts: 2, finding: 'finished on attempt 2' });
      const results = resultsOf(dir);
      expect(results.findings.filter((f: any) => f.task_id === 'victim')).toHaveLength(1);
      expect(results.issues).toContainEqual(expect.objectContaining({ task_id: 'victim', reason: 'worker-died', outcome: 'requeued' }));
      expect(isAlive(Number(readFileSync(join(pids, 'first'), 'utf8')))).toBe(false);
    },
  );

  it('requeues a claim whose lease expired and refuses the late report of the worker that lost it', async () => {
    const dir = tempDir();
    script(dir, 'agent.sh', 'if [ "$RALPH_ATTEMPT" = 1 ]; then touch started; sleep 3; fi\necho "FINDINGS: from attempt $RALPH_ATTEMPT"');
    writeTasks(dir, [{ id: 'contested', type: 't' }]);
    expect((await ralph(['queue', 'add', 'tasks.json'], { cwd: dir })).code).toBe(0);
    const common = ['--agent-cmd', './agent.sh', '--lease', '1'];
    const first = startRalph(['worker', '--id', '1', ...common], { cwd: dir });
    await waitFor('attempt 1 to start', () => existsSync(join(dir, 'started')));
    first.child.kill('SIGSTOP');
    try {
      const second = await ralph(['worker', '--id', '2', ...common], { cwd: dir });
      expect(second.code).toBe(0);
    } finally {
      first.child.kill('SIGCONT');
    }
    expect((await first.done).code).toBe(0);
    const [task] = queueOf(dir).tasks;
    expect(task).toMatchObject({ status: 'completed', attempts: 2, worker_id: 2, finding: 'from attempt 2' });
    const results = resultsOf(dir);
    expect(results.findings).toHaveLength(1);
    expect(results.issues).toContainEqual(expect.objectContaining({ reason: 'lease-expired', outcome: 'requeued', worker_id: 1 }));
    const log = readFileSync(join(dir, '.ralph', 'worker-1.log'), 'utf8');
    expect(log).toMatch(/report refused|lost the claim/);
  });

  it.each([
    ['SIGINT', 130, 'worker'],
    ['SIGTERM', 143, 'worker'],
    ['SIGINT', 130, 'run'],
  ] as const)('on %s stops workers, returns in-flight tasks to pending and exits %i (steps applied by the %s)', async (signal, code, steps) => {
    const dir = tempDir();
    const pids = join(dir, 'pids');
    mkdirSync(pids);
    script(dir, 'agent.sh', 'echo $$ > "$PIDS/$RALPH_TASK_ID"\nsleep 300');
    writeTasks(
      dir,
      [1, 2, 3, 4].map((i) => ({ id: `t${i}`, type: 't' })),
    );
    const run = startRalph(['run', '--tasks', 'tasks.json', '--workers', '2', '--agent-cmd', './agent.sh', '--grace', '1'], {
      cwd: dir,
      env: { PIDS: pids, RALPH_STEPS: steps },
    });
    await waitFor('two agents to run', () => readdirSync(pids).length === 2 && pidsIn(pids).every((p) => p > 0));
    run.child.kill(signal);
    const result = await run.done;
    expect(result.code).toBe(code);
    const tasks = queueOf(dir).tasks;
    expect(tasks.map((t: any) => [t.status, t.attempts])).toEqual(tasks.map(() => ['pending', 0]));
    expect(pidsIn(pids).filter(isAlive)).toEqual([]);
    expect(sessions(dir).every((s) => s.status === 'stopped')).toBe(true);
    const report = readFileSync(join(dir, '.ralph', 'ORCHESTRATOR-REPORT.md'), 'utf8');
    expect(report).toContain(`interrupted by ${signal}`);
    expect(report).toContain(`(exit code ${code})`);
  });

  it('when the run is SIGKILLed, its workers that sent it their steps stop and record their last ones themselves', async () => {
    const dir = tempDir();
    const pids = join(dir, 'pids');
    mkdirSync(pids);
    script(dir, 'agent.sh', 'echo $$ > "$PIDS/$RALPH_TASK_ID"\nsleep 300');
    writeTasks(
      dir,
      [1, 2, 3, 4].map((i) => ({ id: `t${i}`, type: 't' })),
    );
    const run = startRalph(['run', '--tasks', 'tasks.json', '--workers', '2', '--agent-cmd', './agent.sh', '--grace', '1'], {
      cwd: dir,
      env: { PIDS: pids, RALPH_STEPS: 'run' },
    });
    await waitFor('two agents to run', () => readdirSync(pids).length === 2 && pidsIn(pids).every((p) => p > 0));
    await waitFor('both sessions to show their task', () => sessions(dir).filter((s) => s.current_task).length === 2);
    run.child.kill('SIGKILL');
    await run.done;
    await waitFor('both workers to stop', () => sessions(dir).length === 2 && sessions(dir).every((s) => s.status === 'stopped'));
    await waitFor('both workers to exit', () => sessions(dir).every((s) => !isAlive(s.pid)));
    // The interrupted tasks went back to pending through the workers' own transactions.
    expect(queueOf(dir).tasks.map((t: any) => [t.id, t.status, t.attempts])).toEqual([1, 2, 3, 4].map((i) => [`t${i}`, 'pending', 0]));
    expect(pidsIn(pids).filter(isAlive)).toEqual([]);
    const logs = [1, 2].map((n) => readFileSync(join(dir, '.ralph', `worker-${n}.log`), 'utf8'));
    for (const log of logs) {
      expect(log).toContain('steps applied by its run');
      expect(log).toContain('the worker applies its steps itself from now on');
    }
  });

  it.each(STEPS)(
    'when the run is SIGKILLed while its workers are idle, they stop and fold the journal into the snapshots (steps applied by the %s)',
    async (steps) => {
      const dir = tempDir();
      // Each task fails once and waits 60 s for its retry: the run goes on, both workers idle (a run
      // starts one worker per task to do).
      script(dir, 'agent.sh', 'echo failed >> attempts\nexit 1');
      writeTasks(dir, [
        { id: 'later', type: 't' },
        { id: 'also-later', type: 't' },
      ]);
      const run = startRalph(['run', '--tasks', 'tasks.json', '--workers', '2', '--agent-cmd', './agent.sh', '--retries', '1', '--retry-backoff', '60'], {
        cwd: dir,
        env: { RALPH_STEPS: steps },
      });
      await waitFor('the first attempt to fail', () => existsSync(join(dir, 'attempts')));
      // Its report recorded (the agent may still be exiting when its file appears; a session file can
      // say idle for up to 250 ms after its worker started an agent).
      const logs = () =>
        [1, 2]
          .map((n) => join(dir, '.ralph', `worker-${n}.log`))
          .filter(existsSync)
          .map((f) => readFileSync(f, 'utf8'))
          .join('');
      await waitFor('the failed attempts to be recorded', () => logs().includes('task later requeued') && logs().includes('task also-later requeued'));
      await waitFor('both workers to be idle', () => sessions(dir).length === 2 && sessions(dir).every((s) => s.status === 'idle'));
      run.child.kill('SIGKILL');
      await run.done;
      await waitFor('both workers to exit', () => sessions(dir).every((s) => s.status === 'stopped' && !isAlive(s.pid)));
      const journal = readFileSync(join(dir, '.ralph', 'journal', 'queue.ndjson'), 'utf8')
        .trim()
        .split('\n');
      expect(journal).toHaveLength(1); // the header alone: every change is in the snapshots
      for (const task of queueOf(dir).tasks) expect(task).toMatchObject({ status: 'pending', attempts: 1, not_before: expect.any(String) });
    },
  );

  it('wakes an idle worker when tasks are added to a running queue', async () => {
    const dir = tempDir();
    script(
      dir,
      'agent.sh',
      'if [ "$RALPH_TASK_ID" = long ]; then i=0; while [ ! -f release ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done; fi\necho "$RALPH_TASK_ID" >> order\necho "FINDINGS: ok"',
    );
    writeTasks(dir, [{ id: 'long', type: 't' }]);
    const run = startRalph(['run', '--tasks', 'tasks.json', '--workers', '2', '--agent-cmd', './agent.sh'], { cwd: dir });
    await waitFor(
      'the long task to be claimed',
      () => existsSync(join(dir, '.ralph', 'work-queue.json')) && sessions(dir).some((s) => s.current_task === 'long'),
    );
    writeTasks(dir, [{ id: 'quick', type: 't' }], 'more.json');
    expect((await ralph(['queue', 'add', 'more.json'], { cwd: dir })).code).toBe(0);
    await waitFor('the added task to finish', () => existsSync(join(dir, 'order')) && readFileSync(join(dir, 'order'), 'utf8').includes('quick'));
    writeFileSync(join(dir, 'release'), '');
    expect((await run.done).code).toBe(0);
    expect(readFileSync(join(dir, 'order'), 'utf8').trim().split('\n')).toEqual(['quick', 'long']);
  });
});
