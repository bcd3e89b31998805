// What a run leaves behind, and how many workers it starts: `--reset` archives the earlier run's
// worker logs, sessions and prompts (only the last few archives are kept), a worker log that grew
// large is rotated at the next run, and a run starts no more workers than it has tasks to do (more
// when tasks are added while it goes, up to --workers).
import { existsSync, mkdirSync, readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { queueOf, ralph, script, startRalph, tempDir, waitFor, writeTasks } from '../helpers/index.js';

const QUICK = 'echo "agent ran $RALPH_TASK_ID"\necho "FINDINGS: done $RALPH_TASK_ID"';
const tasks = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i + 1}`, type: 't' }));
const state = (dir: string, ...parts: string[]) => join(dir, '.ralph', ...parts);
const logs = (dir: string) =>
  readdirSync(state(dir))
    .filter((f) => /^worker-\d+\.log$/.test(f))
    .sort();
const archives = (dir: string) => (existsSync(state(dir, 'archive')) ? readdirSync(state(dir, 'archive')).sort() : []);

describe('the state an earlier run leaves', () => {
  it("--reset archives the earlier run's worker logs, sessions and prompts: status, the report and the logs show only the new run", async () => {
    const dir = tempDir();
    script(dir, 'agent.sh', QUICK);
    writeTasks(dir, tasks('old', 6), 'old.json');
    writeTasks(dir, tasks('new', 2), 'new.json');
    const first = await ralph(['run', '--tasks', 'old.json', '--workers', '6', '--agent-cmd', './agent.sh'], { cwd: dir });
    expect(first.code).toBe(0);
    const before = logs(dir);
    const sessionsBefore = readdirSync(state(dir, 'sessions')).sort();
    expect(before.length).toBeGreaterThan(2);
    const second = await ralph(['run', '--reset', '--tasks', 'new.json', '--workers', '2', '--agent-cmd', './agent.sh', '--json'], { cwd: dir });
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/--reset: moved the earlier run's worker logs, sessions and prompts to \.ralph\/archive\//);
    // Only the new run's two workers (one of them may have been stopped before it registered: the
    // other did both tasks).
    const onlyNew = (ids: number[]) => ids.length > 0 && ids.every((id) => id === 1 || id === 2);
    const summary = JSON.parse(second.stdout);
    expect(onlyNew(summary.workers.map((w: any) => w.worker_id))).toBe(true);
    const status = JSON.parse((await ralph(['status', '--json'], { cwd: dir })).stdout);
    expect(onlyNew(status.workers.map((w: any) => w.worker_id))).toBe(true);
    expect(onlyNew(readdirSync(state(dir, 'sessions')).map((f) => Number(/\d+/.exec(f)![0])))).toBe(true);
    expect(logs(dir)).toEqual(['worker-1.log', 'worker-2.log']);
    for (const log of logs(dir)) expect(readFileSync(state(dir, log), 'utf8')).not.toContain('old-');
    expect(readFileSync(state(dir, 'ORCHESTRATOR-REPORT.md'), 'utf8')).not.toMatch(/^\| [3-6] \|/m);
    const [archive] = archives(dir);
    expect(archives(dir)).toHaveLength(1);
    const kept = readdirSync(state(dir, 'archive', archive!));
    expect(kept.filter((f) => f.endsWith('.log')).sort()).toEqual(before);
    expect(readdirSync(state(dir, 'archive', archive!, 'sessions')).sort()).toEqual(sessionsBefore);
    expect(readdirSync(state(dir, 'archive', archive!, 'prompts')).length).toBeGreaterThan(0);
    expect(before.map((log) => readFileSync(state(dir, 'archive', archive!, log), 'utf8')).join('')).toContain('old-');
  });

  it('keeps only the last three archives', async () => {
    const dir = tempDir();
    script(dir, 'agent.sh', QUICK);
    writeTasks(dir, tasks('t', 1));
    expect((await ralph(['run', '--tasks', 'tasks.json', '--workers', '1', '--agent-cmd', './agent.sh'], { cwd: dir })).code).toBe(0);
    for (const old of ['2001-01-01T00-00-00-000Z', '2002-01-01T00-00-00-000Z', '2003-01-01T00-00-00-000Z']) {
      mkdirSync(state(dir, 'archive', old), { recursive: true });
      writeFileSync(state(dir, 'archive', old, 'worker-1.log'), 'old\n');
    }
    expect((await ralph(['run', '--reset', '--tasks', 'tasks.json', '--workers', '1', '--agent-cmd', './agent.sh'], { cwd: dir })).code).toBe(0);
    const left = archives(dir);
    expect(left).toHaveLength(3);
    expect(left.slice(0, 2)).toEqual(['2002-01-01T00-00-00-000Z', '2003-01-01T00-00-00-000Z']);
    expect(left[2]! > '2003').toBe(true);
  });

  it('a run whose archive cannot be written says so and goes on', async () => {
    const dir = tempDir();
    script(dir, 'agent.sh', QUICK);
    writeTasks(dir, tasks('t', 1));
    expect((await ralph(['run', '--tasks', 'tasks.json', '--workers', '1', '--agent-cmd', './agent.sh'], { cwd: dir })).code).toBe(0);
    writeFileSync(state(dir, 'archive'), 'not a directory\n');
    const again = await ralph(['run', '--reset', '--tasks', 'tasks.json', '--workers', '1', '--agent-cmd', './agent.sh'], { cwd: dir });
    expect(again.stderr).toMatch(/could not move the earlier run's files to \.ralph\/archive\/ \(.*\); what was not moved stays where it was/);
    expect(again.code).toBe(0);
    expect(queueOf(dir).completed).toBe(1);
  });

  it('a worker log grown past 8 MiB is moved to the archive when the next run starts; a small one is appended to', async () => {
    const dir = tempDir();
    script(dir, 'agent.sh', QUICK);
    writeTasks(dir, tasks('a', 1), 'a.json');
    writeTasks(dir, tasks('b', 1), 'b.json');
    expect((await ralph(['run', '--tasks', 'a.json', '--workers', '1', '--agent-cmd', './agent.sh'], { cwd: dir })).code).toBe(0);
    expect((await ralph(['run', '--tasks', 'b.json', '--workers', '1', '--agent-cmd', './agent.sh'], { cwd: dir })).code).toBe(0);
    expect(archives(dir)).toEqual([]);
    const log = readFileSync(state(dir, 'worker-1.log'), 'utf8');
    expect(log).toContain('a-1');
    expect(log).toContain('b-1');
    truncateSync(state(dir, 'worker-1.log'), 8 * 1024 * 1024 + 1);
    writeTasks(dir, tasks('c', 1), 'c.json');
    const third = await ralph(['run', '--tasks', 'c.json', '--workers', '1', '--agent-cmd', './agent.sh'], { cwd: dir });
    expect(third.code).toBe(0);
    expect(readFileSync(state(dir, 'worker-1.log'), 'utf8')).not.toContain('b-1');
    expect(readFileSync(state(dir, 'worker-1.log'), 'utf8')).toContain('c-1');
    expect(archives(dir)).toHaveLength(1);
    expect(readFileSync(state(dir, 'archive', archives(dir)[0]!, 'worker-1.log'), 'utf8')).toContain('b-1');
  });
});

describe('how many workers a run starts', () => {
  it('--workers 100 with 3 tasks starts 3 workers', async () => {
    const dir = tempDir();
    script(dir, 'agent.sh', QUICK);
    writeTasks(dir, tasks('t', 3));
    const result = await ralph(['run', '--tasks', 'tasks.json', '--workers', '100', '--agent-cmd', './agent.sh', '--json'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).counts.completed).toBe(3);
    expect(logs(dir).length).toBeLessThanOrEqual(3);
    expect(readdirSync(state(dir, 'sessions')).length).toBeLessThanOrEqual(3);
  });

  it('a resume with 2 tasks left starts 2 workers, whatever --workers says', async () => {
    const dir = tempDir();
    script(dir, 'agent.sh', 'if [ -f ok ]; then echo "FINDINGS: ok"; else exit 3; fi');
    writeTasks(dir, tasks('t', 2));
    expect((await ralph(['run', '--tasks', 'tasks.json', '--workers', '1', '--agent-cmd', './agent.sh'], { cwd: dir })).code).toBe(1);
    writeFileSync(join(dir, 'ok'), '');
    expect((await ralph(['queue', 'retry', '--failed'], { cwd: dir })).code).toBe(0);
    expect((await ralph(['run', '--workers', '50', '--agent-cmd', './agent.sh'], { cwd: dir })).code).toBe(0);
    expect(logs(dir).length).toBeLessThanOrEqual(2);
  });

  it('starts more workers, up to --workers, when tasks are added to the queue while it runs', async () => {
    const dir = tempDir();
    // Each agent waits for the file `go`, so that every task added is still to do when the run looks.
    script(dir, 'agent.sh', 'while [ ! -f go ]; do sleep 0.05; done\necho "FINDINGS: done"');
    writeTasks(dir, tasks('first', 1), 'first.json');
    writeTasks(dir, tasks('more', 5), 'more.json');
    const run = startRalph(['run', '--tasks', 'first.json', '--workers', '3', '--agent-cmd', './agent.sh'], { cwd: dir });
    await waitFor(
      'the first task to be claimed',
      () => existsSync(state(dir, 'work-queue.json')) && queueOf(dir).tasks.some((t: any) => t.status === 'claimed'),
    );
    expect(readdirSync(state(dir, 'sessions')).filter((f) => f.endsWith('.session'))).toEqual(['worker-1.session']);
    expect((await ralph(['queue', 'add', 'more.json'], { cwd: dir })).code).toBe(0);
    await waitFor('three workers', () => readdirSync(state(dir, 'sessions')).filter((f) => f.endsWith('.session')).length === 3);
    writeFileSync(join(dir, 'go'), '');
    const result = await run.done;
    expect(result.code).toBe(0);
    expect(queueOf(dir).completed).toBe(6);
    expect(logs(dir)).toEqual(['worker-1.log', 'worker-2.log', 'worker-3.log']);
  });
});
