// Ctrl-C during `ralph run` in a real terminal (tmux): the message the run prints above its live view
// is shown whole, however many rows it takes, and the last frame left on the screen tells the queue as
// the run left it (the tasks in flight back to pending), not as it was before the workers stopped.
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, queueOf, script, tempDir, waitFor, writeTasks } from '../helpers/index.js';
import { Term, hasTmux } from '../helpers/tmux.js';

const terms: Term[] = [];
afterEach(() => {
  for (const t of terms.splice(0)) t.close();
});

const TOTALS = /^\d+\/3\b/;
const MESSAGE = 'ralph: SIGINT: stopping workers; in-flight tasks go back to pending unless their agent finishes within --grace';

describe.skipIf(!hasTmux)('Ctrl-C under the live view', () => {
  it('100 columns: the wrapped message whole above the view, the last frame with the tasks back to pending', async () => {
    const dir = tempDir('ralph-live-stop-');
    writeTasks(dir, { tasks: ['s-1', 's-2', 's-3'].map((id) => ({ id, type: 'work' })) });
    const agent = script(
      dir,
      'agent.sh',
      `
while :; do
  echo "working on $RALPH_TASK_ID: a line long enough to fill a row of the live view to its last column and more"
  sleep 0.2
done`,
    );
    const term = new Term({
      width: 100,
      height: 20,
      cwd: dir,
      argv: [process.execPath, CLI, 'run', '--tasks', 'tasks.json', '--workers', '3', '--agent-cmd', agent, '--grace', '1', '--no-color'],
    });
    terms.push(term);
    await waitFor('three workers at work', () => term.lines().filter((l) => /^w\d s-\d .*working on/.test(l)).length === 3, 20_000, 100);
    term.keys('C-c');
    expect(await term.exited()).toBe(130);
    const all = term.lines({ history: true });
    const at = all.findIndex((l) => l.startsWith('ralph: SIGINT:'));
    expect(at, all.join('\n')).toBeGreaterThanOrEqual(0);
    // On the line, or broken onto the next one to fit: the whole of it, nothing drawn over it.
    const told = all[at] === MESSAGE ? all[at] : `${all[at]}${all[at + 1]}`;
    expect(told, all.join('\n')).toBe(MESSAGE);
    const totals = all.filter((l) => TOTALS.test(l));
    expect(totals[totals.length - 1], all.join('\n')).toMatch(/^0\/3 done · 3 pending\b/);
    expect(queueOf(dir).tasks.map((t: { status: string }) => t.status)).toEqual(['pending', 'pending', 'pending']);
  });
});
