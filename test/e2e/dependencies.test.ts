// Task dependencies (issue 18): a task with `depends_on` is claimed only once every task it names
// is completed; a failed one fails its dependents (reason dependency-failed), and theirs in turn; a
// missing id, a task depending on itself or a cycle is refused at load, in one line, nothing queued.
// Real runs with a fake agent that records when each task starts and ends, on the file store and on
// a real PostgreSQL server.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ralph, script, tempDir, writeTasks } from '../helpers/index.js';
import { usePostgres, withClient } from '../helpers/postgres.js';

const TASKS = [
  // Listed before what they wait on, and at a higher priority: the order alone would run them first.
  { id: 'deploy', type: 't', depends_on: ['build', 'test'], data: { priority: 9 } },
  { id: 'test', type: 't', depends_on: ['build'], data: { priority: 5 } },
  { id: 'build', type: 't' },
  { id: 'docs', type: 't' },
  { id: 'lint', type: 't', depends_on: ['broken'] },
  { id: 'broken', type: 't' },
  { id: 'release', type: 't', depends_on: ['lint'] },
];

/** Each start and end in `events` (start/end ID), `broken` exits 1 after a pause; the others take 0.2 s. */
function agent(dir: string): string {
  return script(
    dir,
    'agent.sh',
    'echo "start $RALPH_TASK_ID" >> events\nsleep 0.2\necho "end $RALPH_TASK_ID" >> events\n[ "$RALPH_TASK_ID" = broken ] && exit 1\necho "FINDINGS: did $RALPH_TASK_ID"',
  );
}

function checkOrder(dir: string): void {
  const events = readFileSync(join(dir, 'events'), 'utf8').trim().split('\n');
  const at = (e: string) => events.indexOf(e);
  for (const e of ['start build', 'start test', 'start deploy', 'start docs', 'start broken']) expect(events, e).toContain(e);
  expect(at('start test')).toBeGreaterThan(at('end build'));
  expect(at('start deploy')).toBeGreaterThan(at('end test'));
  // Never run: what they depend on failed.
  expect(events).not.toContain('start lint');
  expect(events).not.toContain('start release');
}

type Listed = Array<{ id: string; status: string; error?: string }>;

function checkOutcome(list: Listed): void {
  const by = Object.fromEntries(list.map((t) => [t.id, t]));
  for (const id of ['build', 'test', 'deploy', 'docs']) expect(by[id]!.status, id).toBe('completed');
  expect(by.broken!.status).toBe('failed');
  expect(by.lint).toMatchObject({ status: 'failed', error: 'not run: its dependency "broken" failed' });
  expect(by.release).toMatchObject({ status: 'failed', error: 'not run: its dependency "lint" failed' });
}

describe('task dependencies on the file store', () => {
  it('claims a task once what it depends on completed, and fails the dependents of a failed task', async () => {
    const dir = tempDir('ralph-deps-');
    writeTasks(dir, TASKS);
    const run = await ralph(['run', '--tasks', 'tasks.json', '--workers', '3', '--agent-cmd', agent(dir)], { cwd: dir });
    expect(run.code, run.stderr).toBe(1);
    checkOrder(dir);
    const list = JSON.parse((await ralph(['queue', 'list', '--json'], { cwd: dir })).stdout) as Listed;
    checkOutcome(list);
    const results = JSON.parse(readFileSync(join(dir, '.ralph', 'results.json'), 'utf8'));
    expect(
      results.issues
        .filter((i: { reason: string }) => i.reason === 'dependency-failed')
        .map((i: { task_id: string }) => i.task_id)
        .sort(),
    ).toEqual(['lint', 'release']);
  });

  it.each([
    [[{ id: 'a', type: 't', depends_on: ['ghost'] }], 'tasks.json: task "a" depends on "ghost", not in the file nor in the queue.'],
    [[{ id: 'a', type: 't', depends_on: ['a'] }], 'tasks.json: task #1: task "a" depends on itself.'],
    [
      [
        { id: 'a', type: 't', depends_on: ['c'] },
        { id: 'b', type: 't', depends_on: ['a'] },
        { id: 'c', type: 't', depends_on: ['b'] },
      ],
      'tasks.json: the dependencies go round in a circle: "a" → "c" → "b" → "a".',
    ],
    [[{ id: 'a', type: 't', depends_on: 'b' }], 'tasks.json: task #1: `depends_on` must be a list of task ids, got string "b".'],
  ])('refuses %j at load, in one line, nothing queued', async (tasks, message) => {
    const dir = tempDir('ralph-deps-');
    writeTasks(dir, [{ id: 'seed', type: 't' }], 'seed.json');
    expect((await ralph(['queue', 'add', 'seed.json'], { cwd: dir })).code).toBe(0);
    writeTasks(dir, tasks);
    for (const args of [
      ['queue', 'add', 'tasks.json'],
      ['run', '--tasks', 'tasks.json', '--agent-cmd', 'true'],
    ]) {
      const r = await ralph(args, { cwd: dir });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim()).toBe(`ralph: ${message}`);
    }
    const list = JSON.parse((await ralph(['queue', 'list', '--json'], { cwd: dir })).stdout) as Listed;
    expect(list.map((t) => t.id)).toEqual(['seed']);
  });

  it('status and the report say what waits on what', async () => {
    const dir = tempDir('ralph-deps-');
    writeTasks(dir, [
      { id: 'a', type: 't' },
      { id: 'b', type: 't', depends_on: ['a'] },
      { id: 'c', type: 't', depends_on: ['a', 'b'] },
    ]);
    expect((await ralph(['queue', 'add', 'tasks.json'], { cwd: dir })).code).toBe(0);
    const json = JSON.parse((await ralph(['status', '--json'], { cwd: dir })).stdout);
    expect(json.waiting_on_dependencies).toEqual([
      { id: 'b', waiting_on: ['a'] },
      { id: 'c', waiting_on: ['a', 'b'] },
    ]);
    expect((await ralph(['status'], { cwd: dir })).stdout).toContain('Waiting on other tasks: b (on a); c (on a, b)');
    // Unfinished tasks: the report says so, and exits 1 as the run would.
    const report = await ralph(['report'], { cwd: dir });
    expect(report.code, report.stderr).toBe(1);
    expect(readFileSync(join(dir, '.ralph', 'ORCHESTRATOR-REPORT.md'), 'utf8')).toContain('- `c` (`t`): pending, 0 attempt(s), waiting on `a`, `b`');
  });

  it('takes a dependency on a task queued before', async () => {
    const dir = tempDir('ralph-deps-');
    writeTasks(dir, [{ id: 'first', type: 't' }], 'first.json');
    expect((await ralph(['queue', 'add', 'first.json'], { cwd: dir })).code).toBe(0);
    writeTasks(dir, [{ id: 'second', type: 't', depends_on: ['first'], data: { priority: 9 } }]);
    const run = await ralph(['run', '--tasks', 'tasks.json', '--workers', '2', '--agent-cmd', agent(dir)], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    const events = readFileSync(join(dir, 'events'), 'utf8').trim().split('\n');
    expect(events).toEqual(['start first', 'end first', 'start second', 'end second']);
  });
});

describe('task dependencies on PostgreSQL', () => {
  const server = usePostgres();

  it('claims a task once what it depends on completed, and fails the dependents of a failed task', async () => {
    const url = await server().database();
    const dir = tempDir('ralph-deps-pg-');
    writeTasks(dir, TASKS);
    const run = await ralph(['run', '--queue', url, '--tasks', 'tasks.json', '--workers', '3', '--agent-cmd', agent(dir)], { cwd: dir });
    expect(run.code, run.stderr).toBe(1);
    checkOrder(dir);
    const list = JSON.parse((await ralph(['queue', 'list', '--queue', url, '--json'], { cwd: dir })).stdout) as Listed;
    checkOutcome(list);
    expect(JSON.parse((await ralph(['status', '--queue', url, '--json'], { cwd: dir })).stdout).waiting_on_dependencies).toEqual([]);
    writeTasks(
      dir,
      [
        { id: 'later', type: 't', depends_on: ['first-more'] },
        { id: 'first-more', type: 't' },
      ],
      'more.json',
    );
    expect((await ralph(['queue', 'add', 'more.json', '--queue', url], { cwd: dir })).code).toBe(0);
    expect(JSON.parse((await ralph(['status', '--queue', url, '--json'], { cwd: dir })).stdout).waiting_on_dependencies).toEqual([
      { id: 'later', waiting_on: ['first-more'] },
    ]);
    // One worker: the task that waited on the one just completed comes before a lower one (its priority counts at once).
    const order = tempDir('ralph-deps-pg-');
    writeTasks(order, [
      { id: 'base', type: 't', data: { priority: 6 } },
      { id: 'after', type: 't', depends_on: ['base'], data: { priority: 9 } },
      { id: 'filler', type: 't', data: { priority: 5 } },
    ]);
    const url2 = await server().database();
    const ordered = await ralph(['run', '--queue', url2, '--tasks', 'tasks.json', '--workers', '1', '--agent-cmd', agent(order)], { cwd: order });
    expect(ordered.code, ordered.stderr).toBe(0);
    expect(readFileSync(join(order, 'events'), 'utf8').match(/start \S+/g)).toEqual(['start base', 'start after', 'start filler']);
    const reasons = await withClient(
      url,
      async (c) => (await c.query("SELECT task_id FROM ralph_results WHERE body->>'reason' = 'dependency-failed' ORDER BY task_id")).rows,
    );
    expect(reasons.map((r) => r.task_id)).toEqual(['lint', 'release']);
  });
});
