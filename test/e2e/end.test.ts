// How a run ends, seen by a person: the final lines (why it stopped, cost, the failures with their
// one-line causes, where the report is), the same facts in --json, and a report that stays readable
// at a thousand tasks and gets its figures right after a resume and after SIGINT.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { queueOf, ralph, script, startRalph, tempDir, waitFor, writeTasks } from '../helpers/index.js';
import { FAKE_CLAUDE } from '../helpers/fake-claude.js';
import { section } from '../helpers/markdown.js';

const reportOf = (dir: string) => readFileSync(join(dir, '.ralph', 'ORCHESTRATOR-REPORT.md'), 'utf8');
const tasks = (ids: string[], type = 't') => ids.map((id) => ({ id, type }));
const ids = (n: number, prefix = 't') => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`);

describe('the end of a run', () => {
  it('shows a failed agent\'s one-line cause on the terminal and in the report, never "last output:"', async () => {
    const dir = tempDir();
    script(dir, 'agent.sh', 'echo "working on $RALPH_TASK_ID"\necho "boom: disk on fire" >&2\nexit 3');
    writeTasks(dir, tasks(['a']));
    const r = await ralph(['run', '--tasks', 'tasks.json', '--workers', '1', '--agent-cmd', './agent.sh'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^ {2}a: agent exited with code 3: boom: disk on fire \(\.ralph\/worker-1\.log\)$/m);
    expect(r.stdout).not.toContain('last output');
    const error = queueOf(dir).tasks[0].error as string;
    expect(error.split('\n')[0]).toBe('agent exited with code 3: boom: disk on fire');
    expect(error).toContain('working on a'); // the excerpt follows the cause
    const report = reportOf(dir);
    expect(report).toMatch(/\| a \| t \| 1 \| 1 \| agent exited with code 3: boom: disk on fire \|/);
    expect(section(report, 'Tasks').join('\n')).not.toContain('last output');
  });

  it('says the budget stopped it, at what cost of what budget, with the tokens and where the report is; the same in --json', async () => {
    const dir = tempDir();
    script(dir, 'claude', FAKE_CLAUDE);
    writeTasks(dir, tasks(ids(5)));
    const env = { REC: join(dir, 'rec'), MODE: 'ok', COST: '0.02' };
    const args = ['run', '--tasks', 'tasks.json', '--workers', '1', '--agent-bin', './claude', '--max-cost-usd', '0.05'];
    const r = await ralph(args, { cwd: dir, env });
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('Stopped: the budget was reached: $0.0600 of $0.05 (--max-cost-usd); the tasks in flight finished, no new task was claimed.');
    expect(lines[1]).toMatch(/^5 task\(s\) in \S+: 3 completed, 0 failed, 2 pending, 0 claimed\.$/);
    expect(r.stdout).toContain('Cost: $0.06; tokens: 336 in, 60 out, 15 cache read, 21 cache write');
    expect(lines.at(-1)).toMatch(/^Report: \.ralph\/ORCHESTRATOR-REPORT\.md — ended \d{4}-\d\d-\d\d \d\d:\d\d:\d\d /);

    const again = await ralph(['run', '--tasks', 'tasks.json', '--reset', '--workers', '1', '--agent-bin', './claude', '--max-cost-usd', '0.05', '--json'], {
      cwd: dir,
      env,
    });
    const summary = JSON.parse(again.stdout);
    expect(summary.stop).toMatchObject({ reason: 'budget', cost_usd: 0.06, max_cost_usd: 0.05, text: expect.stringContaining('$0.0600 of $0.05') });
    expect(summary.run_usage).toMatchObject({ cost_usd: 0.06, tokens: { input: 336, output: 60 } });
  });

  it('lists at most ten failures with their causes, then how many more', async () => {
    const dir = tempDir();
    script(dir, 'agent.sh', 'echo "cannot parse $RALPH_TASK_ID" >&2\nexit 1');
    writeTasks(dir, tasks(ids(12)));
    const r = await ralph(['run', '--tasks', 'tasks.json', '--workers', '2', '--agent-cmd', './agent.sh'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Stopped: no task left to run; 12 failed.');
    const listed = r.stdout.split('\n').filter((l) => /^ {2}t\d{4}: agent exited with code 1: cannot parse t\d{4} \(/.test(l));
    expect(listed).toHaveLength(10);
    expect(r.stdout).toContain('  … and 2 more failures (the report lists them all)');
    const summary = JSON.parse((await ralph(['report', '--json'], { cwd: dir })).stdout);
    expect(summary.failures).toHaveLength(12);
    expect(summary.failures[0]).toMatchObject({ cause: expect.stringMatching(/^agent exited with code 1: cannot parse t\d{4}$/) });
  });

  it("says an agent's usage limit stopped it, and until when, in local time next to UTC", async () => {
    const dir = tempDir();
    script(dir, 'claude', FAKE_CLAUDE);
    writeTasks(dir, tasks(ids(2)));
    const r = await ralph(['run', '--tasks', 'tasks.json', '--workers', '1', '--agent-bin', './claude', '--on-usage-limit', 'stop'], {
      cwd: dir,
      env: { REC: join(dir, 'rec'), MODE: 'limit', COST: '0', TZ: 'Asia/Kolkata' },
    });
    expect(r.code).toBe(1);
    // UTC's date is shown too when it is another day than the local one (from 18:30 UTC in Kolkata).
    expect(r.stdout).toMatch(
      /^Stopped: claude hit its usage limit \(--on-usage-limit stop\) until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+05:30 \((\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d UTC\): /m,
    );
  });

  it('after SIGINT: says it was interrupted, exits 130, and the report and --json say exit code 130', async () => {
    const dir = tempDir();
    script(dir, 'agent.sh', 'echo $$ > "started-$RALPH_TASK_ID"\nsleep 30 & wait');
    writeTasks(dir, tasks(['a', 'b']));
    const run = startRalph(['run', '--tasks', 'tasks.json', '--workers', '2', '--agent-cmd', './agent.sh', '--grace', '1'], { cwd: dir });
    await waitFor('both agents to start', () =>
      ['a', 'b'].every((id) => {
        try {
          return readFileSync(join(dir, `started-${id}`), 'utf8') !== '';
        } catch {
          return false;
        }
      }),
    );
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.stdout).toContain('Stopped: interrupted by SIGINT; the tasks in flight went back to pending.');
    expect(reportOf(dir)).toContain('(exit code 130)');
    const summary = JSON.parse((await ralph(['report', '--json'], { cwd: dir })).stdout);
    expect(summary).toMatchObject({ exit_code: 130, stopped_by: 'signal', stop: { reason: 'signal', signal: 'SIGINT' } });
  });
});

describe('the report', () => {
  it('at 1,000 tasks: summary first, then failures, slowest tasks, workers, and the table collapsed; report --json lists every task', async () => {
    const dir = tempDir();
    // Every 100th task fails; the others complete at once. Two task types.
    script(dir, 'agent.sh', 'case "$RALPH_TASK_ID" in *00) echo "no such file: $RALPH_TASK_ID.txt" >&2; exit 2 ;; esac\necho "FINDINGS: ok"');
    writeTasks(
      dir,
      ids(1000).map((id, i) => ({ id, type: i % 2 === 0 ? 'lint' : 'test' })),
    );
    const r = await ralph(['run', '--tasks', 'tasks.json', '--workers', '4', '--agent-cmd', './agent.sh'], { cwd: dir });
    expect(r.code).toBe(1);
    const report = reportOf(dir);
    const lines = report.split('\n');
    expect(lines.length).toBeLessThan(500);
    const at = (heading: string) => lines.indexOf(heading);
    expect(at('## Summary')).toBeGreaterThan(0);
    expect([at('## Summary'), at('## Failures'), at('## Slowest tasks'), at('## Workers'), at('## Tasks')].every((n, i, all) => n > (all[i - 1] ?? -1))).toBe(
      true,
    );
    expect(at('## Failures')).toBeLessThan(60);
    const summary = section(report, 'Summary').join('\n');
    expect(summary).toContain('- Tasks: 1000: 990 completed, 10 failed, 0 pending, 0 claimed');
    expect(summary).toMatch(/- Task duration: p50 \S+, p90 \S+, max \S+/);
    expect(summary).toMatch(/\| lint \| 500 \| 490 \| 10 \| 0 \|/);
    expect(summary).toMatch(/\| test \| 500 \| 500 \| 0 \| 0 \|/);
    expect(section(report, 'Failures').join('\n')).toContain('agent exited with code 2: no such file: t0000.txt');
    expect(section(report, 'Tasks').join('\n')).toContain('700 more tasks are left out here: `ralph report --json` lists every task.');
    const json = JSON.parse((await ralph(['report', '--json'], { cwd: dir })).stdout);
    expect(json.tasks).toHaveLength(1000);
    expect(json.tasks.find((t: any) => t.id === 't0100')).toMatchObject({ status: 'failed', cause: 'agent exited with code 2: no such file: t0100.txt' });
  });

  it("after a resume: the throughput counts only this run's tasks, and no worker is busier than the run was long", async () => {
    const dir = tempDir();
    script(dir, 'agent.sh', 'if [ "$RALPH_TASK_TYPE" = slow ]; then sleep 1.5; fi\necho "FINDINGS: ok"');
    writeTasks(dir, tasks(['s1', 's2'], 'slow'));
    expect((await ralph(['run', '--tasks', 'tasks.json', '--workers', '1', '--agent-cmd', './agent.sh'], { cwd: dir })).code).toBe(0);
    writeTasks(dir, tasks(['f1'], 'fast'), 'more.json');
    const r = await ralph(['run', '--tasks', 'more.json', '--workers', '1', '--agent-cmd', './agent.sh', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.finished_this_run).toBe(1);
    expect(summary.tasks_per_second).toBe(Math.round((1 / (summary.duration_ms / 1000)) * 100) / 100);
    for (const w of summary.workers) expect(w.busy_ms).toBeLessThanOrEqual(summary.duration_ms);
    expect(summary.total).toBe(3);
  });

  it('shows local times next to UTC in its header', async () => {
    const dir = tempDir();
    script(dir, 'agent.sh', 'echo "FINDINGS: ok"');
    writeTasks(dir, tasks(['a']));
    expect((await ralph(['run', '--tasks', 'tasks.json', '--workers', '1', '--agent-cmd', './agent.sh'], { cwd: dir, env: { TZ: 'Asia/Kolkata' } })).code).toBe(
      0,
    );
    const started = queueOf(dir).run.started_at as string;
    expect(reportOf(dir)).toMatch(new RegExp(`^- Started: \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d \\+05:30 \\(${started.replace(/\./g, '\\.')}\\)$`, 'm'));
  });
});
