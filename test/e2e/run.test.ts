import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { queueOf, ralph, resultsOf, script, tempDir, writeTasks } from '../helpers/index.js';

const RECORDING_AGENT = 'echo "$RALPH_TASK_ID" >> "$REC"\necho "FINDINGS: done $RALPH_TASK_ID"';

describe('ralph run', () => {
  // RALPH_STEPS: whether the workers apply their steps themselves, or send them to the run.
  it.each(['worker', 'run'])('runs 500 tasks on 8 workers, each exactly once, all completed (steps applied by the %s)', async (steps) => {
    const dir = tempDir();
    script(dir, 'agent.sh', RECORDING_AGENT);
    const ids = Array.from({ length: 500 }, (_, i) => `task-${i}`);
    writeTasks(dir, { tasks: ids.map((id) => ({ id, type: 'noop' })) });
    const rec = join(dir, 'invocations');
    const result = await ralph(['run', '--tasks', 'tasks.json', '--workers', '8', '--agent-cmd', './agent.sh'], {
      cwd: dir,
      env: { REC: rec, RALPH_STEPS: steps },
    });
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    const invoked = readFileSync(rec, 'utf8').trim().split('\n');
    expect(invoked).toHaveLength(500);
    expect(new Set(invoked)).toEqual(new Set(ids));
    const queue = queueOf(dir);
    expect(queue.tasks.every((t: any) => t.status === 'completed' && t.attempts === 1)).toBe(true);
    expect(queue.completed).toBe(500);
    const findings = resultsOf(dir).findings;
    expect(findings.map((f: any) => f.task_id).sort()).toEqual([...ids].sort());
    expect(findings[0]).toMatchObject({ finding: expect.stringMatching(/^done task-/), exit_code: 0, attempt: 1 });
    const workers = new Set(findings.map((f: any) => f.worker_id));
    expect(workers.size).toBeGreaterThan(1);
    const report = readFileSync(join(dir, '.ralph', 'ORCHESTRATOR-REPORT.md'), 'utf8');
    expect(report).toContain('- Tasks: 500: 500 completed, 0 failed, 0 pending, 0 claimed');
    const log = readFileSync(join(dir, '.ralph', 'worker-1.log'), 'utf8');
    if (steps === 'run') expect(log).toContain('steps applied by its run');
    else expect(log).not.toContain('steps applied by its run');
  });

  it('passes quotes, newlines, $(…) and unicode through verbatim and executes nothing', async () => {
    const dir = tempDir();
    script(
      dir,
      'agent.sh',
      ['cat > "$PROMPTS/$RALPH_WORKER_ID-$$.txt"', 'printf "FINDINGS: %s|%s|%s\\n" "$RALPH_TASK_ID" "$RALPH_TASK_TYPE" "$RALPH_TASK_DATA"'].join('\n'),
    );
    const tasks = [
      { id: "quote\"d 'single' `back`", type: 't$(touch pwned-type)', data: { s: '$(touch pwned-data) `touch pwned2` ; rm -rf /' } },
      { id: 'new\nline\\back\\slash', type: 'ünïcödé 🚀', data: { text: 'line1\nline2\ttab', emoji: '日本語' } },
      { id: '$(touch pwned-id)', type: 'x', data: ['a', 1, null, { nested: '"\'' }] },
    ];
    writeTasks(dir, { tasks });
    const prompts = join(dir, 'prompts');
    (await import('node:fs')).mkdirSync(prompts);
    const result = await ralph(['run', '--tasks', 'tasks.json', '--workers', '2', '--agent-cmd', './agent.sh'], { cwd: dir, env: { PROMPTS: prompts } });
    expect(result.code).toBe(0);
    const queue = queueOf(dir);
    expect(queue.tasks.map((t: any) => t.id)).toEqual(tasks.map((t) => t.id));
    expect(queue.tasks.map((t: any) => t.data)).toEqual(tasks.map((t) => t.data));
    const findings = new Map(resultsOf(dir).findings.map((f: any) => [f.task_id, f.finding]));
    for (const t of tasks) expect(findings.get(t.id)).toBe(`${t.id}|${t.type}|${JSON.stringify(t.data)}`);
    const promptText = readdirSync(prompts)
      .map((f) => readFileSync(join(prompts, f), 'utf8'))
      .join('\n');
    for (const t of tasks) expect(promptText).toContain(`Task id: ${t.id}`);
    expect(readdirSync(dir).filter((f) => f.includes('pwned'))).toEqual([]);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
  });

  it('starts workers from the bundled `ralph worker`, without NODE_EXTRA_CA_CERTS (Node would parse it at every start), and gives that back to their agents', async () => {
    const dir = tempDir();
    // The agent records what it sees, and how its worker process was started (/proc/<pid>/…).
    script(
      dir,
      'agent.sh',
      [
        'printf "%s\\n" "${NODE_EXTRA_CA_CERTS-unset}" > "seen-$RALPH_TASK_ID"',
        'env | grep -c "^RALPH_DEFERRED_" > "deferred-$RALPH_TASK_ID"',
        'pid=$(sed -n \'s/^ *"pid": *\\([0-9]*\\).*/\\1/p\' "$RALPH_DIR/sessions/worker-$RALPH_WORKER_ID.session")',
        'tr "\\0" "\\n" < "/proc/$pid/environ" | grep -c "^NODE_EXTRA_CA_CERTS=" > "worker-$RALPH_TASK_ID"',
        'tr "\\0" " " < "/proc/$pid/cmdline" > "cmdline-$RALPH_TASK_ID"',
        'echo "FINDINGS: ok"',
      ].join('\n'),
    );
    writeTasks(dir, [
      { id: 'a', type: 't' },
      { id: 'b', type: 't' },
    ]);
    const certs = join(dir, 'extra-ca.pem');
    const result = await ralph(['run', '--tasks', 'tasks.json', '--workers', '2', '--agent-cmd', './agent.sh'], {
      cwd: dir,
      env: { NODE_EXTRA_CA_CERTS: certs },
    });
    expect(result.code).toBe(0);
    for (const id of ['a', 'b']) {
      expect(readFileSync(join(dir, `seen-${id}`), 'utf8').trim()).toBe(certs);
      expect(readFileSync(join(dir, `deferred-${id}`), 'utf8').trim()).toBe('0');
      expect(readFileSync(join(dir, `worker-${id}`), 'utf8').trim()).toBe('0');
      expect(readFileSync(join(dir, `cmdline-${id}`), 'utf8')).toMatch(/dist\/cli\/worker\.cjs worker --id [12] /);
    }
  });

  it('records a failing agent as failed with its exit code and output, and retries on request', async () => {
    const dir = tempDir();
    script(
      dir,
      'agent.sh',
      'if [ -f fixed ]; then echo "FINDINGS: fixed"; exit 0; fi\necho "working on $RALPH_TASK_ID"\necho "boom: disk on fire" >&2\nexit 3',
    );
    writeTasks(dir, [
      { id: 'a', type: 't' },
      { id: 'b', type: 't' },
    ]);
    const first = await ralph(['run', '--tasks', 'tasks.json', '--workers', '2', '--agent-cmd', './agent.sh', '--json'], { cwd: dir });
    expect(first.code).toBe(1);
    const summary = JSON.parse(first.stdout);
    expect(summary.counts).toMatchObject({ failed: 2, completed: 0 });
    const queue = queueOf(dir);
    for (const t of queue.tasks) {
      expect(t.status).toBe('failed');
      expect(t.failed_at).toEqual(expect.any(String));
      expect(t.error).toContain('exited with code 3');
      expect(t.error).toContain('boom: disk on fire');
    }
    const issues = resultsOf(dir).issues;
    expect(issues).toHaveLength(2);
    expect(issues[0]).toMatchObject({ reason: 'exit', exit_code: 3, outcome: 'failed' });
    const report = readFileSync(join(dir, '.ralph', 'ORCHESTRATOR-REPORT.md'), 'utf8');
    expect(report).toContain('## Failures');
    expect(report).toMatch(/worker-\d\.log/);
    const log = readFileSync(join(dir, summary.failures[0].log), 'utf8');
    expect(log).toContain('boom: disk on fire');

    const retry = await ralph(['queue', 'retry', '--failed'], { cwd: dir });
    expect(retry.code).toBe(0);
    expect(queueOf(dir).tasks.every((t: any) => t.status === 'pending')).toBe(true);
    writeTasks(dir, '', 'fixed');
    const second = await ralph(['run', '--agent-cmd', './agent.sh'], { cwd: dir });
    expect(second.code).toBe(0);
    expect(queueOf(dir).tasks.every((t: any) => t.status === 'completed')).toBe(true);
  });

  it('requeues a failed task with --retries and completes it on the next attempt', async () => {
    const dir = tempDir();
    script(dir, 'agent.sh', 'if [ "$RALPH_ATTEMPT" = 1 ]; then exit 1; fi\necho "FINDINGS: second time lucky"');
    writeTasks(dir, [{ id: 'flaky', type: 't' }]);
    const result = await ralph(['run', '--tasks', 'tasks.json', '--workers', '1', '--agent-cmd', './agent.sh', '--retries', '1', '--retry-backoff', '0.2'], {
      cwd: dir,
    });
    expect(result.code).toBe(0);
    const [task] = queueOf(dir).tasks;
    expect(task).toMatchObject({ status: 'completed', attempts: 2, finding: 'second time lucky' });
    const results = resultsOf(dir);
    expect(results.findings).toHaveLength(1);
    expect(results.issues).toEqual([expect.objectContaining({ task_id: 'flaky', outcome: 'requeued', attempt: 1 })]);
  });

  it('claims higher data.priority first', async () => {
    const dir = tempDir();
    script(dir, 'agent.sh', RECORDING_AGENT);
    writeTasks(dir, [
      { id: 'low', type: 't', data: { priority: 'low' } },
      { id: 'none', type: 't' },
      { id: 'high', type: 't', data: { priority: 'high' } },
      { id: 'ten', type: 't', data: { priority: 10 } },
      { id: 'medium', type: 't', data: { priority: 'medium' } },
    ]);
    const rec = join(dir, 'order');
    const result = await ralph(['run', '--tasks', 'tasks.json', '--workers', '1', '--agent-cmd', './agent.sh'], { cwd: dir, env: { REC: rec } });
    expect(result.code).toBe(0);
    expect(readFileSync(rec, 'utf8').trim().split('\n')).toEqual(['ten', 'high', 'none', 'medium', 'low']);
  });

  it('given again the tasks that failed, says they are not run again and how to run them', async () => {
    const dir = tempDir();
    script(dir, 'agent.sh', 'case "$RALPH_TASK_ID" in bad-*) exit 3;; esac\necho "FINDINGS: ok"');
    writeTasks(dir, [
      { id: 'bad-1', type: 't' },
      { id: 'bad-2', type: 't' },
      { id: 'ok', type: 't' },
    ]);
    expect((await ralph(['run', '--tasks', 'tasks.json', '--agent-cmd', './agent.sh'], { cwd: dir })).code).toBe(1);
    const again = await ralph(['run', '--tasks', 'tasks.json', '--agent-cmd', './agent.sh'], { cwd: dir });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(
      'queued 0 task(s) from tasks.json; skipped 3 already in the queue (2 failed before and are not run again: `ralph queue retry --failed` first, or `--reset` to start over)',
    );
  });

  it('appends new tasks to the queue, skips known ids, and empties it with --reset', async () => {
    const dir = tempDir();
    script(dir, 'agent.sh', 'echo "FINDINGS: ok"');
    writeTasks(dir, [
      { id: 'a', type: 't' },
      { id: 'b', type: 't' },
    ]);
    expect((await ralph(['run', '--tasks', 'tasks.json', '--agent-cmd', './agent.sh'], { cwd: dir })).code).toBe(0);
    writeTasks(dir, [
      { id: 'b', type: 't' },
      { id: 'c', type: 't' },
    ]);
    const again = await ralph(['run', '--tasks', 'tasks.json', '--agent-cmd', './agent.sh'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('queued 1 task(s)');
    expect(again.stderr).toContain('skipped 1 already in the queue');
    expect(queueOf(dir).tasks.map((t: any) => t.id)).toEqual(['a', 'b', 'c']);
    expect(resultsOf(dir).findings).toHaveLength(3);
    const reset = await ralph(['run', '--tasks', 'tasks.json', '--agent-cmd', './agent.sh', '--reset'], { cwd: dir });
    expect(reset.code).toBe(0);
    expect(queueOf(dir).tasks.map((t: any) => t.id)).toEqual(['b', 'c']);
    expect(resultsOf(dir).findings).toHaveLength(2);
  });

  it('with --reset, runs none of the tasks that were pending before, although its workers start before the new tasks are added', async () => {
    const dir = tempDir();
    script(dir, 'agent.sh', RECORDING_AGENT);
    writeTasks(
      dir,
      [
        { id: 'old-1', type: 't' },
        { id: 'old-2', type: 't' },
      ],
      'old.json',
    );
    expect((await ralph(['queue', 'add', 'old.json'], { cwd: dir })).code).toBe(0);
    writeTasks(
      dir,
      Array.from({ length: 20 }, (_, i) => ({ id: `new-${i}`, type: 't' })),
    );
    const rec = join(dir, 'invocations');
    const result = await ralph(['run', '--tasks', 'tasks.json', '--workers', '4', '--agent-cmd', './agent.sh', '--reset'], { cwd: dir, env: { REC: rec } });
    expect(result.code).toBe(0);
    const invoked = readFileSync(rec, 'utf8').trim().split('\n');
    expect(invoked.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `new-${i}`).sort());
    expect(queueOf(dir).tasks.map((t: any) => t.id)).not.toContain('old-1');
  });

  it('folds the journal into work-queue.json and results.json at the end: by the run for its workers, by a worker started by hand when it stops', async () => {
    const dir = tempDir();
    script(dir, 'agent.sh', RECORDING_AGENT);
    const journal = join(dir, '.ralph', 'journal', 'queue.ndjson');
    const entries = () => readFileSync(journal, 'utf8').trim().split('\n').length - 1; // after the header line
    writeTasks(
      dir,
      Array.from({ length: 30 }, (_, i) => ({ id: `run-${i}`, type: 't' })),
    );
    const rec = join(dir, 'invocations');
    expect((await ralph(['run', '--tasks', 'tasks.json', '--workers', '4', '--agent-cmd', './agent.sh'], { cwd: dir, env: { REC: rec } })).code).toBe(0);
    expect(entries()).toBe(0);
    expect(queueOf(dir).tasks.filter((t: any) => t.status === 'completed')).toHaveLength(30);
    writeTasks(
      dir,
      Array.from({ length: 10 }, (_, i) => ({ id: `hand-${i}`, type: 't' })),
      'more.json',
    );
    expect((await ralph(['queue', 'add', 'more.json'], { cwd: dir })).code).toBe(0);
    // No run is live: the worker drains the queue and stops by itself.
    const worker = await ralph(['worker', '--id', '1', '--agent-cmd', './agent.sh'], { cwd: dir, env: { REC: rec } });
    expect(worker.code).toBe(0);
    expect(entries()).toBe(0);
    expect(queueOf(dir).tasks.filter((t: any) => t.status === 'completed')).toHaveLength(40);
    expect(resultsOf(dir).findings).toHaveLength(40);
  });

  it('builds the prompt from --prompt-template and reads the finding from the last marker or paragraph', async () => {
    const dir = tempDir();
    writeTasks(dir, '{"id":"one","type":"review","data":{"file":"src/a.ts","n":3}}\n{"id":"two","type":"fix","data":{"file":"b.ts"}}\n', 'tasks.jsonl');
    writeTasks(dir, 'Review {{data.file}} ({{type}} #{{id}}, n={{data.n}})', 'template.md');
    script(
      dir,
      'agent.sh',
      'prompt=$(cat)\nif [ "$RALPH_TASK_ID" = one ]; then printf "FINDINGS: early\\nFINDINGS: %s\\n" "$prompt"; else printf "first para\\n\\nlast para: %s\\n" "$prompt"; fi',
    );
    const result = await ralph(['run', '--tasks', 'tasks.jsonl', '--agent-cmd', './agent.sh', '--prompt-template', 'template.md'], { cwd: dir });
    expect(result.code).toBe(0);
    const findings = new Map(resultsOf(dir).findings.map((f: any) => [f.task_id, f.finding]));
    expect(findings.get('one')).toBe('Review src/a.ts (review #one, n=3)');
    expect(findings.get('two')).toBe('last para: Review b.ts (fix #two, n=)');
  });

  it('stops at --timeout, puts unfinished tasks back to pending and lists them in the report', async () => {
    const dir = tempDir();
    script(dir, 'agent.sh', 'if [ "$RALPH_TASK_ID" = slow ]; then sleep 30; fi\necho "FINDINGS: ok"');
    writeTasks(dir, [
      { id: 'fast', type: 't' },
      { id: 'slow', type: 't' },
    ]);
    const started = Date.now();
    const result = await ralph(['run', '--tasks', 'tasks.json', '--workers', '2', '--agent-cmd', './agent.sh', '--timeout', '5', '--grace', '1', '--json'], {
      cwd: dir,
    });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(result.code).toBe(1);
    const summary = JSON.parse(result.stdout);
    expect(summary.stopped_by).toBe('timeout');
    expect(summary.unfinished).toEqual([expect.objectContaining({ id: 'slow', status: 'pending' })]);
    const slow = queueOf(dir).tasks.find((t: any) => t.id === 'slow');
    expect(slow).toMatchObject({ status: 'pending', attempts: 0 });
    const report = readFileSync(join(dir, '.ralph', 'ORCHESTRATOR-REPORT.md'), 'utf8');
    expect(report).toContain('## Unfinished');
    expect(report).toContain('the --timeout was reached');
  });
});
