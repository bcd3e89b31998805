// The live view of `ralph run` in a real terminal (tmux): it fits the terminal's width, is redrawn in
// place (no stacked copies, also after a resize), shows each worker's task and its agent's last output
// line, and each failure as it happens; colour on a terminal, none with NO_COLOR / --no-color; off a
// terminal, plain timestamped lines, the failure among them as it happens.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, script, startRalph, tempDir, waitFor, writeTasks } from '../helpers/index.js';
import { Term, hasTmux } from '../helpers/tmux.js';
import { displayWidth } from '../../src/view/width.js';

const TASKS = ['bad-1', ...Array.from({ length: 5 }, (_, i) => `t-${i + 1}`)];
const TOTALS = /^\d+\/6\b/;
const SGR_COLOUR = /\u001b\[(?:1|2|3[1-7])m/;

/** Prints a few lines a task (long ones), slowly; the task bad-1 fails. */
function project(): { dir: string; agent: string } {
  const dir = tempDir('ralph-live-');
  writeTasks(dir, { tasks: TASKS.map((id) => ({ id, type: 'work' })) });
  const agent = script(
    dir,
    'agent.sh',
    `
i=0
while [ $i -lt 4 ]; do
  echo "step $i of $RALPH_TASK_ID: a line long enough to be cut short in any narrow terminal, and some more"
  sleep 0.35
  i=$((i+1))
done
case "$RALPH_TASK_ID" in bad-*) echo "boom in $RALPH_TASK_ID" >&2; exit 3;; esac
echo "FINDINGS: done"`,
  );
  return { dir, agent };
}

const runArgv = (agent: string, ...more: string[]) => [process.execPath, CLI, 'run', '--tasks', 'tasks.json', '--workers', '3', '--agent-cmd', agent, ...more];

const terms: Term[] = [];
afterEach(() => {
  for (const t of terms.splice(0)) t.close();
});

/** The lines the live view draws: the totals, the workers' rows, the failures (not the run's final summary, printed once). */
const viewLine = (line: string) => TOTALS.test(line) || /^(w\d+ |✘ | {2}log |… )/.test(line);

/**
 * Looks at the screen every 100 ms until the run exits: every line of the view fits the terminal (a
 * wrapped line is read joined into one) and at most one totals line is on screen at any time.
 * `during` is called with each look. The run's exit status.
 */
function watchRun(term: Term, during: (lines: string[], width: number) => void = () => {}, options: { oneTotals?: boolean } = {}): Promise<number> {
  return term.exited(() => {
    const width = term.width();
    const lines = term.lines();
    // Right after a resize the terminal shows the old frame as it rewrapped it, until the view has drawn anew.
    const settled = Date.now() - term.resizedAt > 600;
    if (settled)
      for (const line of lines.filter(viewLine)) expect(displayWidth(line), `${JSON.stringify(line)} is wider than ${width}`).toBeLessThanOrEqual(width);
    expectWhole(lines);
    if (options.oneTotals !== false) expect(lines.filter((l) => TOTALS.test(l)).length, lines.join('\n')).toBeLessThanOrEqual(1);
    during(lines, width);
  });
}

/** A piece of the live view found in a line (a totals line, a worker's row) not at its start: a frame drawn over another. */
const PIECES = [/\d+\/6 done\b/g, /\btasks\/s\b/g, /\bw\d t-\d/g, /\bstep \d+ of t-\d/g];

/**
 * Every line of the view is whole: one totals line or worker row each, from its start (a row that
 * the terminal wrapped is read joined into one); and in a run of worker rows, the first follows a
 * totals line (no rows of a frame whose top was lost).
 */
function expectWhole(lines: string[], workers?: number): void {
  const all = () => lines.join('\n');
  lines.forEach((line, i) => {
    // The agents' lines are longer than any row: a row shows as much as it can, cut with … at its end.
    if (workers !== undefined && /\bstep \d+ of t-\d/.test(line)) expect(line, `line ${i} is a cut-off worker row:\n${all()}`).toMatch(/…$/);
    // Each frame has all its workers' rows (or some, then the others summed up).
    if (workers !== undefined && /^w\d /.test(line) && !/^w\d /.test(lines[i - 1] ?? '')) {
      let n = 0;
      while (/^w\d /.test(lines[i + n] ?? '')) n++;
      const more = /^… (\d+) more worker\(s\)/.exec(lines[i + n] ?? '');
      expect(n + Number(more?.[1] ?? 0), `line ${i}: a frame with ${n} of its ${workers} workers' rows:\n${all()}`).toBe(workers);
    }
    for (const piece of PIECES) expect((line.match(piece) ?? []).length, `line ${i} holds two frames' pieces:\n${lines.join('\n')}`).toBeLessThanOrEqual(1);
    if (/\d+\/6 done\b|tasks\/s/.test(line)) expect(line, `line ${i} is a broken totals line:\n${lines.join('\n')}`).toMatch(TOTALS);
    if (/\bstep \d+ of t-\d/.test(line)) expect(line, `line ${i} is a broken worker row:\n${lines.join('\n')}`).toMatch(/^w\d t-\d /);
    if (/^w\d /.test(line))
      expect(
        i > 0 && (TOTALS.test(lines[i - 1]!) || /^w\d /.test(lines[i - 1]!)),
        `line ${i}: a worker row without its frame's top:\n${lines.join('\n')}`,
      ).toBe(true);
  });
}

describe.skipIf(!hasTmux)('the live view in a terminal', () => {
  it('80 columns: redrawn in place, a row per worker with its task and last output line, the failure above it, in colour', async () => {
    const { dir, agent } = project();
    const term = new Term({ width: 80, height: 24, cwd: dir, argv: runArgv(agent), env: { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined } });
    terms.push(term);
    let rows = false;
    let onlyOneTotals = true;
    const status = await watchRun(term, (lines) => {
      // A worker's row: its id, its task, for how long, the agent's last line (cut to fit).
      if (lines.some((l) => /^w[123] t-\d \d+(ms|s) {2}step \d of t-\d: a line long/.test(l))) rows = true;
      if (lines.filter((l) => TOTALS.test(l)).length > 1) onlyOneTotals = false;
    });
    expect(status).toBe(1); // bad-1 failed
    const all = term.lines({ history: true });
    // One totals line in all that was ever on the screen: the final one. (The old live line, 88-96
    // characters, left one behind per redraw in an 80-column terminal: ~40 in a 10 s run.)
    expect(
      all.filter((l) => l.includes('tasks/s')),
      all.join('\n'),
    ).toHaveLength(1);
    expect(rows).toBe(true);
    expect(onlyOneTotals).toBe(true);
    const totals = all.filter((l) => TOTALS.test(l));
    expect(totals).toHaveLength(1);
    expect(totals[0]).toMatch(/^6\/6 done · 1 failed · [\d.]+ tasks\/s · \d+s elapsed$/);
    expect(all.filter((l) => l.startsWith('✘ bad-1 failed: agent exited with code 3'))).toHaveLength(1);
    // The log file at the end of the line, or (too narrow for both) on the next one.
    const at = all.findIndex((l) => l.startsWith('✘ bad-1'));
    expect(`${all[at]}\n${all[at + 1]}`).toMatch(/boom in bad-1(?: \(log |\n {2}log )\.ralph\/worker-[123]\.log/);
    // The failure stays above the block: printed before the final totals line.
    expect(all.findIndex((l) => l.startsWith('✘ bad-1'))).toBeLessThan(all.findIndex((l) => TOTALS.test(l)));
    const coloured = term.capture({ history: true, escapes: true });
    expect(coloured).toMatch(/\u001b\[31m✘ /);
    expect(coloured).toMatch(SGR_COLOUR);
  });

  it('40 columns with NO_COLOR: still one totals line and nothing wider than the terminal; no colour', async () => {
    const { dir, agent } = project();
    const term = new Term({ width: 40, height: 20, cwd: dir, argv: runArgv(agent), env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined } });
    terms.push(term);
    let rows = false;
    const status = await watchRun(term, (lines) => {
      if (lines.some((l) => /^w[123] t-\d \d+(ms|s) {2}step \d of t-\d/.test(l))) rows = true;
    });
    expect(status).toBe(1);
    const all = term.lines({ history: true });
    expect(
      all.filter((l) => l.includes('tasks/s') || l.includes('/s ·')),
      all.join('\n'),
    ).toHaveLength(1);
    expect(rows).toBe(true);
    expect(all.filter((l) => TOTALS.test(l))).toHaveLength(1);
    // Too narrow for the failure and its log on one line: the log goes on the next.
    const at = all.findIndex((l) => l.startsWith('✘ bad-1 failed: '));
    expect(at).toBeGreaterThanOrEqual(0);
    expect(all[at + 1]).toMatch(/^ {2}log \.ralph\/worker-[123]\.log$/);
    expect(term.capture({ history: true, escapes: true })).not.toMatch(SGR_COLOUR);
  });

  it('a resize mid-run (80 → 40 → 100 columns): redrawn to the new width, no copies left but what the terminal itself scrolled away; --no-color wins over FORCE_COLOR', async () => {
    const { dir, agent } = project();
    const term = new Term({
      width: 80,
      height: 24,
      cwd: dir,
      argv: runArgv(agent, '--no-color'),
      env: { ...process.env, FORCE_COLOR: '1', NO_COLOR: undefined },
    });
    terms.push(term);
    let phase = 0;
    let narrowRows = false;
    let wideRows = false;
    const status = await watchRun(term, (lines, width) => {
      const row = lines.find((l) => /^w[123] t-\d/.test(l));
      if (phase === 0 && row) {
        term.resize(40, 24);
        phase = 1;
        return;
      }
      if (phase === 1 && width === 40 && row && row.length > 30) {
        narrowRows = true;
        term.resize(100, 24);
        phase = 2;
        return;
      }
      if (phase === 2 && width === 100 && row && row.length > 45) wideRows = true;
    });
    expect(status).toBe(1);
    expect(narrowRows).toBe(true);
    expect(wideRows).toBe(true);
    // tmux moves what a narrower width pushes off the top of the screen into its history, out of
    // reach: at most one old totals line a resize is left there, never one a redraw.
    const all = term.lines({ history: true });
    expect(all.filter((l) => TOTALS.test(l)).length).toBeLessThanOrEqual(3);
    expect(term.capture({ history: true, escapes: true })).not.toMatch(SGR_COLOUR);
  });
});

describe.skipIf(!hasTmux)('the live view when the terminal shrinks', () => {
  it('100x30 → 40 columns → 4 rows → 100x30, agents printing 90-character lines: never a broken frame, on screen or in the scrollback; at most one old frame a resize left there', async () => {
    const dir = tempDir('ralph-live-');
    writeTasks(dir, { tasks: Array.from({ length: 6 }, (_, i) => ({ id: `t-${i + 1}`, type: 'work' })) });
    // Long lines until the test is done resizing.
    const agent = script(
      dir,
      'agent.sh',
      `
i=0
while [ ! -e "${join(dir, 'stop')}" ]; do
  echo "step $i of $RALPH_TASK_ID: a line of ninety characters, more than a narrow terminal shows on one row, and then some more"
  sleep 0.2
  i=$((i+1))
done
echo "FINDINGS: done"`,
    );
    const term = new Term({ width: 100, height: 30, cwd: dir, argv: runArgv(agent, '--no-color'), env: { ...process.env } });
    terms.push(term);
    // The frame drawn last: from the last totals line on the screen.
    const rowsAt = (lines: string[], width: number) =>
      lines.slice(lines.findLastIndex((l) => TOTALS.test(l))).filter((l) => /^w[123] t-\d \d+(ms|s) {2}step/.test(l) && displayWidth(l) <= width);
    let phase = 0;
    let resizes = 0;
    const status = await watchRun(
      term,
      (lines, width) => {
        if (Date.now() - term.resizedAt <= 600) return;
        expectWhole(lines, 3);
        const shown = lines.filter(viewLine);
        const fits = shown.every((l) => displayWidth(l) <= width);
        if (phase === 0 && rowsAt(lines, 100).filter((l) => l.length > 90).length === 3) {
          term.resize(40, 30);
          resizes++;
          phase = 1;
          return;
        }
        // Redrawn at 40 columns: the totals and three rows, each cut to fit.
        if (phase === 1 && width === 40 && fits && rowsAt(lines, 40).length === 3) {
          term.resize(40, 4);
          resizes++;
          phase = 2;
          return;
        }
        // 4 rows: the totals, a worker, the others summed up (and the cursor's row below).
        if (phase === 2 && fits && rowsAt(lines, 40).length === 1 && lines.some((l) => /^… 2 more worker\(s\), 2 running$/.test(l))) {
          term.resize(100, 30);
          resizes++;
          phase = 3;
          return;
        }
        if (phase === 3 && width === 100 && rowsAt(lines, 100).filter((l) => l.length > 90).length === 3) {
          writeFileSync(join(dir, 'stop'), '');
          phase = 4;
        }
        // (A terminal made taller brings rows of its scrollback back onto the screen: whole old frames
        // may show above the block then, never a broken one.)
      },
      { oneTotals: false },
    );
    expect(phase).toBe(4);
    expect(status).toBe(0);
    const all = term.lines({ history: true });
    expectWhole(all, 3);
    // At most one old frame a resize, and the final totals line.
    expect(all.filter((l) => TOTALS.test(l)).length, all.join('\n')).toBeLessThanOrEqual(resizes + 1);
  });
});

describe.skipIf(!hasTmux)('the live view is secret-safe', () => {
  it("an agent's last line is shown redacted, its control characters escaped: no secret on screen or in the session, no escape sequence reaches the terminal", async () => {
    const dir = tempDir('ralph-live-');
    writeTasks(dir, { tasks: [{ id: 'leaky', type: 'work' }] });
    const secret = 'sk-live-0123456789abcdefSECRET';
    const agent = script(dir, 'agent.sh', `printf 'token %s \\033]0;pwned\\007 \\033[2J end\\n' "$MY_API_KEY"; sleep 2; echo "FINDINGS: done"`);
    const term = new Term({
      width: 100,
      height: 20,
      cwd: dir,
      argv: [process.execPath, CLI, 'run', '--tasks', 'tasks.json', '--workers', '1', '--agent-cmd', agent],
      env: { ...process.env, MY_API_KEY: secret },
    });
    terms.push(term);
    const row = await waitFor("the agent's line on screen", () => term.lines().find((l) => l.startsWith('w1 leaky') && l.includes('token')), 20_000, 100);
    // Escaped, and the clear-screen sequence (a CSI, like a colour code) left out.
    expect(row).toMatch(/^w1 leaky \d+(ms|s) {2}token \[REDACTED:MY_API_KEY\] \\x1b\]0;pwned\\x07 end$/);
    const session = JSON.parse(readFileSync(join(dir, '.ralph', 'sessions', 'worker-1.session'), 'utf8'));
    expect(session.last_output).toBe('token [REDACTED:MY_API_KEY] \\x1b]0;pwned\\x07 end');
    await term.exited();
    expect(term.capture({ history: true, escapes: true })).not.toContain(secret);
    expect(term.title()).not.toBe('pwned');
  });
});

describe('the run off a terminal', () => {
  it('plain timestamped lines, the failure as it happens (the run still going), no colour; FORCE_COLOR colours them', async () => {
    const { dir, agent } = project();
    const run = startRalph(['run', '--tasks', 'tasks.json', '--workers', '3', '--agent-cmd', agent], {
      cwd: dir,
      env: { NO_COLOR: undefined, FORCE_COLOR: undefined },
    });
    let stderr = '';
    run.child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    await waitFor('the failure line', () => stderr.includes('✘ bad-1'));
    expect(run.child.exitCode).toBeNull(); // told as it happened, not at the end
    const r = await run.done;
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain('\u001b');
    expect(r.stderr).toMatch(/^\d\d:\d\d:\d\d ✘ bad-1 failed: agent exited with code 3: boom in bad-1 \(log \.ralph\/worker-[123]\.log\)$/m);
    expect(r.stderr).toMatch(/^\d\d:\d\d:\d\d 6\/6 done · 1 failed · [\d.]+ tasks\/s · \d+s elapsed$/m);

    writeTasks(dir, { tasks: [{ id: 'bad-2', type: 'work' }] }, 'one.json');
    const forced = await startRalph(['run', '--tasks', 'one.json', '--agent-cmd', agent, '--reset'], { cwd: dir, env: { FORCE_COLOR: '1' } }).done;
    expect(forced.stderr).toMatch(/\u001b\[31m✘ \u001b\[39m/);
  });
});
