import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ralph, resultsOf, script, startRalph, tempDir, writeTasks } from '../helpers/index.js';

// A task id that would forge a line of its own in a log, and one that would clear the screen.
const FORGED = '2026-01-01T00:00:00.000Z ✔ task forged completed in 1 ms';
const NEWLINE_ID = `evil\n${FORGED}`;
const CLEAR_ID = 'bad\u001b[2J';
// The finding the agent prints: an OSC title change, a screen clear, a NUL, a C1 CSI.
const FINDING = 'title \u001b]0;pwned\u0007 clear \u001b[2J nul \u0000 csi \u009b31m end';
const RAW_CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

/** Every line of `text` (a log) starts with its timestamp, and none holds a raw control character. */
function checkLogLines(text: string): void {
  for (const line of text.split('\n').filter((l) => l !== '')) {
    expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /);
    expect(line.startsWith(FORGED)).toBe(false);
    expect(RAW_CONTROLS.test(line), JSON.stringify(line)).toBe(false);
  }
}

async function waitForAsync<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

function logsOf(dir: string): string {
  return [1, 2]
    .map((n) => join(dir, '.ralph', `worker-${n}.log`))
    .filter((p) => existsSync(p))
    .map((p) => readFileSync(p, 'utf8'))
    .join('');
}

describe('terminal escapes and newlines in task text', () => {
  it('are shown escaped in logs, the terminal and the report, and kept exact in the JSON files', async () => {
    const dir = tempDir();
    // The agent prints the finding; the task with the newline waits for `go` so that `ralph status`
    // can show it running; the other one fails with the escapes in its output.
    script(
      dir,
      'agent.sh',
      [
        'if [ "$RALPH_TASK_ID" != "${RALPH_TASK_ID#evil}" ]; then',
        '  i=0; while [ ! -e go ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done',
        'fi',
        'printf "FINDINGS: title \\033]0;pwned\\007 clear \\033[2J nul \\000 csi \\302\\23331m end\\n"',
        'case "$RALPH_TASK_ID" in bad*) exit 1;; esac',
      ].join('\n'),
    );
    writeTasks(dir, [
      { id: NEWLINE_ID, type: 'x' },
      { id: CLEAR_ID, type: 'y\u001b]0;t\u0007' },
    ]);
    const run = startRalph(['run', '--tasks', 'tasks.json', '--workers', '2', '--agent-cmd', './agent.sh'], { cwd: dir });
    let status: Awaited<ReturnType<typeof ralph>>;
    try {
      status = await waitForAsync('ralph status to show the task with a newline running', async () => {
        const r = await ralph(['status'], { cwd: dir });
        return r.stdout.includes('running on evil') ? r : undefined;
      });
    } finally {
      writeFileSync(join(dir, 'go'), '');
    }
    const result = await run.done;
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`running on evil\\n${FORGED}`);
    for (const line of status.stdout.split('\n')) expect(line.startsWith(FORGED)).toBe(false);
    expect(RAW_CONTROLS.test(status.stdout)).toBe(false);
    expect(result.code).toBe(1);
    // The summary on the terminal names the failed task escaped.
    expect(result.stdout).toContain('  bad\\x1b[2J: ');
    expect(RAW_CONTROLS.test(result.stdout + result.stderr)).toBe(false);

    // The JSON files hold the exact text (JSON escapes every control character).
    const findings = resultsOf(dir).findings;
    expect(findings).toHaveLength(1);
    expect(findings[0].task_id).toBe(NEWLINE_ID);
    expect(findings[0].finding).toBe(FINDING);
    for (const file of ['results.json', 'work-queue.json']) {
      const raw = readFileSync(join(dir, '.ralph', file), 'utf8');
      expect(RAW_CONTROLS.test(raw), file).toBe(false);
    }
    const list = await ralph(['queue', 'list', '--json'], { cwd: dir });
    expect(RAW_CONTROLS.test(list.stdout)).toBe(false);
    expect(JSON.parse(list.stdout).map((t: any) => t.id)).toEqual([NEWLINE_ID, CLEAR_ID]);

    // Logs: one record per line, each with its timestamp; the escapes shown, not executed.
    const logs = logsOf(dir);
    checkLogLines(logs);
    expect(logs).toContain(`▶ task evil\\n${FORGED} (x) attempt 1`);
    expect(logs).toContain('[out] FINDINGS: title \\x1b]0;pwned\\x07 clear \\x1b[2J nul \\x00 csi \\x9b31m end');

    // `ralph queue list`: one line per task.
    const human = await ralph(['queue', 'list'], { cwd: dir });
    expect(human.stdout.trim().split('\n')).toHaveLength(2);
    expect(human.stdout).toContain(`evil\\n${FORGED}`);
    expect(human.stdout).toContain('bad\\x1b[2J');
    expect(RAW_CONTROLS.test(human.stdout)).toBe(false);

    // The report is text a terminal may `cat`.
    const report = readFileSync(join(dir, '.ralph', 'ORCHESTRATOR-REPORT.md'), 'utf8');
    expect(RAW_CONTROLS.test(report)).toBe(false);
    expect(report).toContain('title \\x1b]0;pwned\\x07 clear \\x1b[2J nul \\x00');
    for (const line of report.split('\n')) expect(line.startsWith(FORGED)).toBe(false);
  });
});
