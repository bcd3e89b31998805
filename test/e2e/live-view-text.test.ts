// What agents print reaches the live view as it is: emoji (two columns in a terminal) and tabs must
// not make a row wider than the terminal, or each redraw leaves the wrapped rest behind (rows stack
// up in the scrollback). Real runs in a real terminal (tmux).
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, ralph, script, tempDir, writeTasks } from '../helpers/index.js';
import { Term, hasTmux } from '../helpers/tmux.js';

const terms: Term[] = [];
afterEach(() => {
  for (const t of terms.splice(0)) t.close();
});

const TOTALS = /^\d+\/2\b/;

/**
 * Two tasks whose agents print `line` a few times, slowly (2.4 s: a loaded machine's screen captures
 * come slowly, and a fresh clone's run once saw none while the rows were up); the run's live view in
 * a 60-column terminal.
 */
async function runPrinting(body: string, tasks = ['e-1', 'e-2'], width = 60): Promise<{ term: Term; status: number; rows: string[][] }> {
  const dir = tempDir('ralph-live-text-');
  writeTasks(dir, { tasks: tasks.map((id) => ({ id, type: 'work' })) });
  const agent = script(
    dir,
    'agent.sh',
    `
i=0
while [ $i -lt 8 ]; do
${body}
  sleep 0.3
  i=$((i+1))
done
echo "FINDINGS: done"`,
  );
  const term = new Term({
    width,
    height: 20,
    cwd: dir,
    argv: [process.execPath, CLI, 'run', '--tasks', 'tasks.json', '--workers', '2', '--agent-cmd', agent, '--no-color'],
  });
  terms.push(term);
  const rows: string[][] = [];
  // The screen row by row (no wrapped line joined): a row of the view that wrapped shows as two.
  const status = await term.exited(() => {
    rows.push(term.lines({ rows: true }).filter((l) => /^w\d /.test(l)));
  });
  return { term, status, rows };
}

/** Nothing of the live view is left in the scrollback but the final totals line (the final frame has no worker rows). */
function expectNoLeftovers(term: Term): void {
  const all = term.lines({ history: true });
  expect(
    all.filter((l) => TOTALS.test(l)),
    all.join('\n'),
  ).toHaveLength(1);
  expect(
    all.filter((l) => /^w\d /.test(l) || /[⏳⚡🟢⭐⌛🀄❌✅]/u.test(l)),
    all.join('\n'),
  ).toEqual([]);
}

describe.skipIf(!hasTmux)('what agents print, in the live view', () => {
  it('emoji are two columns: the rows fit, none stacks', async () => {
    const { term, status, rows } = await runPrinting('  echo "✅ step $i ⏳⚡🟢⭐⌛🀄❌ ✅ step $i ⏳⚡🟢⭐⌛🀄❌ ✅ step $i ⏳⚡🟢⭐⌛🀄❌ done"');
    expect(status).toBe(0);
    expect(
      rows.some((r) => r.some((l) => l.includes('⏳⚡🟢'))),
      'an emoji row was seen',
    ).toBe(true);
    expectNoLeftovers(term);
  });

  it("tabs (in an agent's JSON event and in the task ids) are spaces: the rows fit, none stacks", async () => {
    const event = `{"type":"progress","message":"${'col\\t'.repeat(6)}end"}`;
    const { term, status, rows } = await runPrinting(`  printf '%s\\n' '${event}'`, ['e\t1', 'e\t2']);
    expect(status).toBe(0);
    expect(
      rows.some((r) => r.some((l) => /^w\d e 1 .*progress event: col col col/.test(l))),
      'a row with the event was seen',
    ).toBe(true);
    expect(term.capture({ history: true, escapes: true })).not.toContain('\t');
    expectNoLeftovers(term);
  });
});

describe.skipIf(!hasTmux)('the rows of the live view', () => {
  it('a row for each worker the run started: --workers 4 with one task to do, after a run of three workers, shows w1 alone', async () => {
    const dir = tempDir('ralph-live-rows-');
    writeTasks(dir, { tasks: ['a-1', 'a-2', 'a-3'].map((id) => ({ id, type: 'work' })) });
    const quick = script(dir, 'quick.sh', 'echo "FINDINGS: done"');
    expect((await ralph(['run', '--tasks', 'tasks.json', '--workers', '3', '--agent-cmd', quick], { cwd: dir })).code).toBe(0);
    // One more task; the run resumed with no --tasks, four workers allowed: one has work.
    writeTasks(dir, { tasks: [{ id: 'b-1', type: 'work' }] }, 'more.json');
    expect((await ralph(['queue', 'add', 'more.json'], { cwd: dir })).code).toBe(0);
    const agent = script(dir, 'agent.sh', 'i=0; while [ $i -lt 6 ]; do echo "working $i"; sleep 0.2; i=$((i+1)); done; echo "FINDINGS: done"');
    const term = new Term({ width: 80, height: 20, cwd: dir, argv: [process.execPath, CLI, 'run', '--workers', '4', '--agent-cmd', agent, '--no-color'] });
    terms.push(term);
    const seen = new Set<string>();
    let working = false;
    const status = await term.exited(() => {
      for (const line of term.lines()) {
        const row = /^(w\d) /.exec(line);
        if (row) seen.add(row[1]!);
        if (/^w1 b-1 .*working \d/.test(line)) working = true;
      }
    });
    expect(status).toBe(0);
    expect(working).toBe(true);
    expect([...seen]).toEqual(['w1']);
  });
});

describe.skipIf(!hasTmux)('a terminal narrower than 10 columns', () => {
  it('8 columns: the view is drawn for 8, nothing wraps, nothing stacks', async () => {
    const { term, status, rows } = await runPrinting('  echo "step $i of the task, a long line"', ['e-1', 'e-2'], 8);
    expect(status).toBe(0);
    expect(
      rows.some((r) => r.some((l) => /^w\d e-/.test(l))),
      'a worker row was seen',
    ).toBe(true);
    const all = term.lines({ history: true, rows: true });
    // The final totals line, cut to fit (such as '2/2 do…'): one, and no worker row left behind.
    expect(
      all.filter((l) => TOTALS.test(l)),
      all.join('\n'),
    ).toHaveLength(1);
    expect(
      all.filter((l) => /^w\d /.test(l)),
      all.join('\n'),
    ).toEqual([]);
  });
});
