import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { queueOf, ralph, resultsOf, script, tempDir, writeTasks } from '../helpers/index.js';
import { git } from '../helpers/loops.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
};

describe('a hung agent', () => {
  it('is killed with its group once silent for --idle-timeout (failed with reason idle-timeout, retried by the retry rules); one that keeps printing is left alone', async () => {
    const dir = tempDir();
    const pids = join(dir, 'pids');
    mkdirSync(pids);
    script(
      dir,
      'agent.sh',
      [
        'if [ "$RALPH_TASK_ID" = silent ]; then',
        '  sleep 300 & echo $! > "$PIDS/bg-$RALPH_ATTEMPT"',
        '  echo "started, now silent"',
        '  sleep 300',
        'fi',
        // Prints every 0.1 s for 3 s: three times the idle limit, never silent for long.
        'i=0; while [ $i -lt 30 ]; do echo "tick $i"; sleep 0.1; i=$((i+1)); done',
        'echo "FINDINGS: kept talking"',
      ].join('\n'),
    );
    writeTasks(dir, [
      { id: 'silent', type: 't' },
      { id: 'chatty', type: 't' },
    ]);
    const result = await ralph(
      [
        'run',
        '--tasks',
        'tasks.json',
        '--workers',
        '2',
        '--agent-cmd',
        './agent.sh',
        '--idle-timeout',
        '1',
        '--retries',
        '1',
        '--retry-backoff',
        '0',
        '--grace',
        '1',
      ],
      { cwd: dir, env: { PIDS: pids } },
    );
    expect(result.code).toBe(1);
    const tasks = Object.fromEntries(queueOf(dir).tasks.map((t: any) => [t.id, t]));
    expect(tasks.chatty).toMatchObject({ status: 'completed', finding: 'kept talking', attempts: 1 });
    expect(tasks.silent).toMatchObject({ status: 'failed', attempts: 2 });
    expect(tasks.silent.error).toMatch(/printed nothing for 1s \(--idle-timeout\)/);
    expect(tasks.silent.error).toContain('started, now silent');
    const issues = resultsOf(dir).issues.filter((i: any) => i.task_id === 'silent');
    expect(issues.map((i: any) => [i.reason, i.outcome])).toEqual([
      ['idle-timeout', 'requeued'],
      ['idle-timeout', 'failed'],
    ]);
    // Both attempts' background processes died with their group.
    const bg = readdirSync(pids).map((f) => Number(readFileSync(join(pids, f), 'utf8')));
    expect(bg).toHaveLength(2);
    expect(bg.filter(alive)).toEqual([]);
  });

  it('ralph run gives its workers the default --task-timeout (1 h) and --idle-timeout (15 min); 0 turns either off', async () => {
    const dir = tempDir();
    // The agent's parent is the `sh -c` of --agent-cmd, whose parent is the worker: what the worker
    // was started with is in its command line.
    script(
      dir,
      'agent.sh',
      'worker=$(cut -d" " -f4 /proc/$PPID/stat)\ntr "\\0" " " < /proc/$worker/cmdline > "cmdline-$RALPH_TASK_ID"\nsleep 1.5\necho "FINDINGS: ok"',
    );
    writeTasks(dir, [{ id: 'a', type: 't' }]);
    const defaults = await ralph(['run', '--tasks', 'tasks.json', '--workers', '1', '--agent-cmd', './agent.sh'], { cwd: dir });
    expect(defaults.code).toBe(0);
    const worker = readFileSync(join(dir, 'cmdline-a'), 'utf8');
    expect(worker).toContain('--task-timeout 3600 ');
    expect(worker).toContain('--idle-timeout 900 ');
    // 0 is "no limit", not "kill at once": a silent agent finishes.
    writeTasks(dir, [{ id: 'b', type: 't' }]);
    const off = await ralph(
      ['run', '--tasks', 'tasks.json', '--reset', '--workers', '1', '--agent-cmd', './agent.sh', '--task-timeout', '0', '--idle-timeout', '0'],
      { cwd: dir },
    );
    expect(off.stderr).toBe(off.stderr.replace(/error/i, ''));
    expect(off.code).toBe(0);
    expect(queueOf(dir).tasks[0]).toMatchObject({ id: 'b', status: 'completed' });
    expect(readFileSync(join(dir, 'cmdline-b'), 'utf8')).toContain('--task-timeout 0 ');
  });

  it('ralph loop kills its agent once silent for --idle-timeout and says so in the turn summary', async () => {
    const dir = tempDir();
    git(dir, 'init', '--quiet', '-b', 'main');
    git(dir, 'config', 'user.name', 't');
    git(dir, 'config', 'user.email', 't@example.com');
    expect((await ralph(['init', '--loops'], { cwd: dir })).code).toBe(0);
    git(dir, 'add', '-A');
    git(dir, 'commit', '--quiet', '-m', 'loops');
    const agent = script(tempDir(), 'agent.sh', 'echo "thinking"\nsleep 300');
    const result = await ralph(['loop', '--sync-loops', '1', '--agent-cmd', agent, '--idle-timeout', '1', '--grace', '1'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/printed nothing for 1s \(--idle-timeout\)/);
    const summaries = join(dir, 'logs', 'main', 'ralph-summaries');
    const [summary] = readdirSync(summaries);
    expect(readFileSync(join(summaries, summary!), 'utf8')).toMatch(/no output for 1s \(--idle-timeout\)/);
    expect(existsSync(join(dir, 'logs'))).toBe(true);
  });
});
