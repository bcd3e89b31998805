// `ralph say` (issue 18): a message to the agents mid-run. Each new task's prompt carries the
// messages its worker has not given an agent yet (the default template under a heading, a template
// of one's own where it puts {{messages}}); --to reaches one worker; an agent can say something
// itself; status, the worker logs and the report show them. Real runs, a fake agent.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ralph, script, tempDir, writeTasks } from '../helpers/index.js';

describe('ralph say', () => {
  it("puts what was said in each worker's next prompt once, lets an agent say something, and shows it in status, logs and the report", async () => {
    const dir = tempDir('ralph-say-');
    writeTasks(dir, [
      { id: 'a', type: 't' },
      { id: 'b', type: 't' },
    ]);
    expect((await ralph(['queue', 'add', 'tasks.json'], { cwd: dir })).code).toBe(0);
    expect((await ralph(['say', 'focus on milestone 1.2'], { cwd: dir })).stdout).toContain('Said: "focus on milestone 1.2"');
    expect((await ralph(['say', '--to', 'worker-2', 'only for two'], { cwd: dir })).code).toBe(0);
    // The agent keeps its prompt; on task a it says something itself (ralph on its PATH, RALPH_DIR set).
    script(dir, 'ralph', `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"`);
    script(
      dir,
      'agent.sh',
      'cat > "prompt-$RALPH_TASK_ID.txt"\n[ "$RALPH_TASK_ID" = a ] && PATH="$PWD:$PATH" ralph say "the parser is done"\necho "FINDINGS: ok"',
    );
    const run = await ralph(['run', '--workers', '1', '--agent-cmd', './agent.sh'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    const [a, b] = ['a', 'b'].map((id) => readFileSync(join(dir, `prompt-${id}.txt`), 'utf8'));
    expect(a).toContain('\nMessages from the people running this:\n- focus on milestone 1.2\n');
    expect(a).not.toContain('only for two');
    expect(b).toContain('\nMessages from the people running this:\n- the parser is done (from worker-1)\n');
    expect(b).not.toContain('focus on milestone');
    const status = await ralph(['status'], { cwd: dir });
    expect(status.stdout).toMatch(/Said \S+ to worker-2: only for two\n/);
    expect(status.stdout).toMatch(/Said \S+ by worker-1: the parser is done\n/);
    expect(JSON.parse((await ralph(['status', '--json'], { cwd: dir })).stdout).messages.map((m: { text: string }) => m.text)).toEqual([
      'focus on milestone 1.2',
      'only for two',
      'the parser is done',
    ]);
    expect((await ralph(['logs', '--task', 'a'], { cwd: dir })).stdout).toContain('task a: its prompt carries 1 message(s): "focus on milestone 1.2"');
    // A new run's worker of the same id has given those already: a new task hears only what is new.
    writeTasks(dir, [{ id: 'c', type: 't' }], 'more.json');
    expect((await ralph(['say', 'one more thing'], { cwd: dir })).code).toBe(0);
    const again = await ralph(['run', '--tasks', 'more.json', '--workers', '1', '--agent-cmd', './agent.sh'], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    const c = readFileSync(join(dir, 'prompt-c.txt'), 'utf8');
    expect(c).toContain('\nMessages from the people running this:\n- one more thing\n');
    expect(c).not.toContain('focus on milestone');
    const report = readFileSync(join(dir, '.ralph', 'ORCHESTRATOR-REPORT.md'), 'utf8');
    expect(report).toContain('## Messages to the agents');
    expect(report).toMatch(/- \S+ by worker-1: `the parser is done`\n/);
  });

  it('fills {{messages}} in a template of its own', async () => {
    const dir = tempDir('ralph-say-');
    writeFileSync(join(dir, 'prompt.md'), 'Do {{id}}.\nNotes:\n{{messages}}\n');
    writeTasks(dir, [{ id: 'x', type: 't' }]);
    expect((await ralph(['say', 'mind the cache'], { cwd: dir })).code).toBe(0);
    script(dir, 'agent.sh', 'cat > prompt.txt\necho "FINDINGS: ok"');
    const run = await ralph(['run', '--tasks', 'tasks.json', '--agent-cmd', './agent.sh', '--prompt-template', 'prompt.md'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(dir, 'prompt.txt'), 'utf8')).toBe('Do x.\nNotes:\n- mind the cache\n');
  });

  it('refuses an empty message and an unknown recipient, in one line', async () => {
    const dir = tempDir('ralph-say-');
    for (const [args, message] of [
      [['say', '  '], 'ralph: Say something: the message is empty.'],
      [['say', '--to', 'everyone', 'hi'], 'ralph: --to everyone: expected a worker such as worker-3 (or 3).'],
    ] as const) {
      const r = await ralph([...args], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe(message);
    }
  });
});
