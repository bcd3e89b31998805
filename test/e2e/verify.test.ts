// `--verify CMD` (issue 18): a task completes on the check's exit, not on the agent's word. A failed
// check fails the attempt with reason verify and its last output, the retry's prompt carries that
// output; under --isolate worktree nothing unverified is merged, --require-changes fails a task that
// commits nothing; the results and the report record what was verified. Real runs, fake agents.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { git, gitOk } from '../helpers/git.js';
import { queueOf, ralph, resultsOf, script, tempDir, writeTasks } from '../helpers/index.js';

// The check: the agent must have left <id>.ok; else it says which file is missing and exits 3.
const CHECK = 'test -f "$RALPH_TASK_ID.ok" || { echo "checked $RALPH_TASK_ID"; echo "missing $RALPH_TASK_ID.ok"; exit 3; }';

describe('ralph run --verify', () => {
  it('completes a task on the check, fails an attempt the check refuses, and tells the retry what the check said', async () => {
    const dir = tempDir('ralph-verify-');
    // Task `good` leaves its file at once; `late` only once its prompt says what the check said.
    script(
      dir,
      'agent.sh',
      String.raw`
prompt=$(cat)
printf '%s\n' "$prompt" > "prompt-$RALPH_TASK_ID-$RALPH_ATTEMPT.txt"
if [ "$RALPH_TASK_ID" = good ] || printf '%s' "$prompt" | grep -q "missing $RALPH_TASK_ID.ok"; then touch "$RALPH_TASK_ID.ok"; fi
echo "FINDINGS: did $RALPH_TASK_ID"`,
    );
    writeTasks(dir, [
      { id: 'good', type: 't' },
      { id: 'late', type: 't' },
      { id: 'never', type: 'never' },
    ]);
    // `never` is checked by a check it can never pass.
    const check = `if [ "$RALPH_TASK_TYPE" = never ]; then echo "no way"; exit 1; fi; ${CHECK}`;
    const run = await ralph(
      ['run', '--tasks', 'tasks.json', '--workers', '2', '--agent-cmd', './agent.sh', '--verify', check, '--retries', '1', '--retry-backoff', '0', '--json'],
      {
        cwd: dir,
      },
    );
    expect(run.code, run.stderr).toBe(1);
    const tasks = Object.fromEntries(queueOf(dir).tasks.map((t: any) => [t.id, t]));
    expect(tasks.good).toMatchObject({ status: 'completed', attempts: 1, verify: { command: check, ok: true, exit_code: 0 } });
    expect(tasks.late).toMatchObject({ status: 'completed', attempts: 2, verify: { ok: true } });
    expect(tasks.never).toMatchObject({
      status: 'failed',
      attempts: 2,
      error: `verify failed: \`${check}\` exit 1: no way`,
      verify: { ok: false, exit_code: 1, output: 'no way' },
    });
    // The retry's prompt carried what the check said; the first attempt's did not.
    expect(readFileSync(join(dir, 'prompt-late-1.txt'), 'utf8')).not.toContain('did not pass the check');
    const retried = readFileSync(join(dir, 'prompt-late-2.txt'), 'utf8');
    expect(retried).toContain(
      `Note: the previous attempt's work did not pass the check \`${check}\` (exit 3). Its last output:\n\nchecked late\nmissing late.ok\n`,
    );
    // Every attempt's result records its check.
    const { findings, issues } = resultsOf(dir);
    const late1 = issues.find((i: any) => i.task_id === 'late' && i.attempt === 1);
    expect(late1).toMatchObject({
      reason: 'verify',
      outcome: 'requeued',
      error: `verify failed: \`${check}\` exit 3: missing late.ok`,
      verify: { ok: false, exit_code: 3 },
    });
    expect(late1.verify.duration_ms).toBeGreaterThanOrEqual(0);
    expect(findings.find((f: any) => f.task_id === 'good').verify).toMatchObject({ command: check, ok: true });
    // The report and the summary say what was verified.
    const summary = JSON.parse(run.stdout);
    expect(summary.verify).toMatchObject({ commands: [check], passed: 2, failed: 3 });
    expect(readFileSync(join(dir, '.ralph', 'ORCHESTRATOR-REPORT.md'), 'utf8')).toContain(`- Verified with \`${check}\`: 2 attempt(s) passed, 3 failed`);
  });

  it('under --isolate worktree merges only what passed, keeps the rest on its branch, and --require-changes fails a task that commits nothing', async () => {
    const dir = tempDir('ralph-verify-wt-');
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, 'config', 'user.email', 'test@example.com');
    git(dir, 'config', 'user.name', 'Test');
    writeFileSync(join(dir, 'README.md'), 'seed\n');
    // Each task writes its own file; `good` also its .ok; `idle` writes nothing at all.
    script(
      dir,
      'agent.sh',
      'if [ "$RALPH_TASK_ID" != idle ]; then echo "work of $RALPH_TASK_ID" > "$RALPH_TASK_ID.txt"; fi\n[ "$RALPH_TASK_ID" = good ] && touch good.ok\necho "FINDINGS: did it"',
    );
    // The check notes where it ran (in the state directory) and leaves a file of its own, as test runners do.
    writeFileSync(
      join(dir, 'verify.sh'),
      `#!/bin/sh\necho "covered" > coverage.out\n[ "$RALPH_TASK_ID" = idle ] && exit 0\npwd > "$RALPH_DIR/$RALPH_TASK_ID.where"\n${CHECK}\n`,
      { mode: 0o755 },
    );
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'seed');
    writeTasks(dir, [
      { id: 'good', type: 't' },
      { id: 'bad', type: 't' },
      { id: 'idle', type: 't' },
    ]);
    const run = await ralph(
      [
        'run',
        '--tasks',
        'tasks.json',
        '--isolate',
        'worktree',
        '--workers',
        '1',
        '--agent-cmd',
        './agent.sh',
        '--verify',
        './verify.sh',
        '--require-changes',
        '--retries',
        '0',
      ],
      { cwd: dir },
    );
    expect(run.code, run.stderr).toBe(1);
    const tasks = Object.fromEntries(queueOf(dir).tasks.map((t: any) => [t.id, t]));
    expect(tasks.good).toMatchObject({ status: 'completed', merge: 'merged', verify: { ok: true, commit: tasks.good.commit } });
    expect(tasks.good.verify.files_changed.sort()).toEqual(['good.ok', 'good.txt']);
    expect(git(dir, 'show', 'main:good.txt')).toBe('work of good');
    // The check ran in the task's worktree, not in the user's checkout; what it left there is not the task's work.
    expect(readFileSync(join(dir, '.ralph', 'good.where'), 'utf8').trim()).toMatch(/\.ralph\/worktrees\/worker-1$/);
    expect(gitOk(dir, 'cat-file', '-e', 'main:coverage.out')).toBe(false);
    // Refused by the check: failed, nothing merged, its work kept on its branch.
    expect(tasks.bad).toMatchObject({ status: 'failed', error: 'verify failed: `./verify.sh` exit 3: missing bad.ok' });
    expect(tasks.bad.merge).toBeUndefined();
    expect(gitOk(dir, 'cat-file', '-e', 'main:bad.txt')).toBe(false);
    expect(git(dir, 'show', `${tasks.bad.commit}:bad.txt`)).toBe('work of bad');
    expect(tasks.bad.verify).toMatchObject({ ok: false, commit: tasks.bad.commit, files_changed: ['bad.txt'] });
    // Passed its check, but changed nothing (the check's own file does not count): --require-changes fails it.
    expect(tasks.idle).toMatchObject({ status: 'failed', error: 'the task left ralph/idle without a commit (--require-changes)' });
    expect(resultsOf(dir).issues.find((i: any) => i.task_id === 'idle').reason).toBe('no-changes');
  });

  it('refuses --require-changes without --isolate worktree, in one line', async () => {
    const dir = tempDir('ralph-verify-');
    writeTasks(dir, [{ id: 'a', type: 't' }]);
    const run = await ralph(['run', '--tasks', 'tasks.json', '--agent-cmd', 'true', '--require-changes'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe('ralph: --require-changes needs --isolate worktree: it fails a task whose branch has no commit.');
  });
});
