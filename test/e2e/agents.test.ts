// The agent CLI layer end to end with scripted stand-ins for the CLIs (real processes, real files):
// a fake `claude` that prints stream-json like the real one, for budgets, cost sums, reported
// errors, a shared usage-limit wait, binary lookup and `ralph agents`. The real Claude Code binary
// against a mock API server is tested in test/agents/claude-ralph.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { queueOf, ralph, resultsOf, script, tempDir, writeTasks } from '../helpers/index.js';
import { FAKE_CLAUDE } from '../helpers/fake-claude.js';

function setup(tasks: number): { dir: string; rec: string } {
  const dir = tempDir();
  script(dir, 'claude', FAKE_CLAUDE);
  writeTasks(dir, { tasks: Array.from({ length: tasks }, (_, i) => ({ id: `t${i}`, type: 'noop' })) });
  return { dir, rec: join(dir, 'invocations') };
}

const invocations = (rec: string) => readFileSync(rec, 'utf8').trim().split('\n');

describe('agent CLIs through ralph run', () => {
  it('records cost, tokens, session, agent and model per task and sums them in results, the summary and the report', async () => {
    const { dir, rec } = setup(3);
    const r = await ralph(['run', '--tasks', 'tasks.json', '--workers', '2', '--agent', 'claude', '--agent-bin', './claude', '--json'], {
      cwd: dir,
      env: { REC: rec, MODE: 'ok', COST: '0.0125' },
    });
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const findings = resultsOf(dir).findings;
    expect(findings).toHaveLength(3);
    for (const f of findings) {
      expect(f).toMatchObject({
        finding: `finished ${f.task_id}`,
        agent: 'claude',
        model: 'fake-model',
        cost_usd: 0.0125,
        session_id: `s-${f.task_id}`,
        // input_tokens 100 and the cache reads and writes: Ralph's input holds them.
        tokens: { input: 112, output: 20, cache_read: 5, cache_write: 7 },
      });
    }
    const summary = JSON.parse(r.stdout);
    expect(summary.usage).toMatchObject({ cost_usd: 0.0375, tokens: { input: 336, output: 60, cache_read: 15, cache_write: 21 }, runs_with_cost: 3 });
    expect(summary.workers.reduce((n: number, w: any) => n + w.cost_usd, 0)).toBeCloseTo(0.0375, 6);
    expect(queueOf(dir).cost_usd).toBeCloseTo(0.0375, 6);
    const report = readFileSync(join(dir, '.ralph', 'ORCHESTRATOR-REPORT.md'), 'utf8');
    expect(report).toContain('- Agent: claude');
    expect(report).toContain('- Cost: $0.04; tokens: 336 in, 60 out, 15 cache read, 21 cache write');
    expect(report).toMatch(/\| \*\*total\*\* \| \| \| \| \| \$0\.04 \| 336 in, 60 out/);
    // The worker log shows the stream as readable lines.
    const logs = [1, 2]
      .map((n) => {
        try {
          return readFileSync(join(dir, '.ralph', `worker-${n}.log`), 'utf8');
        } catch {
          return '';
        }
      })
      .join('\n');
    expect(logs).toMatch(/assistant: working on t\d/);
    expect(logs).toMatch(/result \(success/);
  });

  // RALPH_STEPS: whether the workers apply their steps themselves, or send them to the run.
  it.each(['worker', 'run'])(
    'stops claiming once --max-cost-usd is reached: in-flight work finishes, the report says why, exit 1 (steps applied by the %s)',
    async (steps) => {
      const { dir, rec } = setup(10);
      const r = await ralph(['run', '--tasks', 'tasks.json', '--workers', '1', '--agent-bin', './claude', '--max-cost-usd', '0.05', '--json'], {
        cwd: dir,
        env: { REC: rec, MODE: 'ok', COST: '0.02', RALPH_STEPS: steps },
      });
      expect(r.code).toBe(1);
      // 0.02, 0.04, 0.06: the third run reaches the budget; nothing is claimed after it.
      expect(invocations(rec)).toEqual(['t0', 't1', 't2']);
      const summary = JSON.parse(r.stdout);
      expect(summary.stopped_by).toBe('budget');
      expect(summary.counts).toMatchObject({ completed: 3, pending: 7, claimed: 0, failed: 0 });
      expect(summary.usage.cost_usd).toBeCloseTo(0.06, 6);
      const report = readFileSync(join(dir, '.ralph', 'ORCHESTRATOR-REPORT.md'), 'utf8');
      expect(report).toContain('Stopped because: the budget was reached: $0.0600 of $0.05 (--max-cost-usd)');
    },
  );

  it('fails a task whose agent reports is_error although it exits 0, with the message in error', async () => {
    const { dir, rec } = setup(1);
    const r = await ralph(['run', '--tasks', 'tasks.json', '--workers', '1', '--agent-bin', './claude'], {
      cwd: dir,
      env: { REC: rec, MODE: 'error', COST: '0' },
    });
    expect(r.code).toBe(1);
    const task = queueOf(dir).tasks[0];
    expect(task.status).toBe('failed');
    expect(task.error).toContain('Invalid API key · Please run /login');
    expect(resultsOf(dir).issues[0]).toMatchObject({ reason: 'agent-error', agent: 'claude', session_id: 's-t0' });
  });

  it.each(['worker', 'run'])(
    'waits out a usage limit shared by all workers, then runs the task again without counting the attempt (steps applied by the %s)',
    async (steps) => {
      const { dir, rec } = setup(4);
      const started = Date.now();
      const r = await ralph(['run', '--tasks', 'tasks.json', '--workers', '2', '--agent-bin', './claude', '--usage-limit-margin', '0.5', '--json'], {
        cwd: dir,
        env: { REC: rec, MODE: 'limit-once', COST: '0.01', LIMITED: join(dir, 'limited'), STARTS: join(dir, 'starts'), RALPH_STEPS: steps },
      });
      expect(r.code).toBe(0);
      const summary = JSON.parse(r.stdout);
      expect(summary.counts.completed).toBe(4);
      const queue = queueOf(dir);
      expect(queue.tasks.every((t: any) => t.attempts === 1)).toBe(true);
      expect(queue.usage_limit).toMatchObject({ agent: 'claude', message: expect.stringContaining('usage limit reached') });
      const issue = resultsOf(dir).issues.find((i: any) => i.reason === 'usage-limit');
      expect(issue).toMatchObject({ outcome: 'deferred' });
      // The reset was ~2 s ahead (plus the margin): nobody claimed meanwhile; the limited task ran twice.
      expect(Date.now() - started).toBeGreaterThan(1500);
      const runs = invocations(rec);
      expect(runs).toHaveLength(5);
      // When each agent run started. The limited task went back to pending only once the limit was
      // recorded, so its second run waited for certain. Of the others, one may run alongside the limited
      // run and one more may be claimed by the other worker just before the limit was recorded; the
      // remaining one waited too.
      const starts = readFileSync(join(dir, 'starts'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => ({ id: l.split(' ')[0], at: Number(l.split(' ')[1]) }));
      expect(starts).toHaveLength(5);
      const until = Date.parse(queue.usage_limit.until);
      const limitedRuns = starts.filter((s) => s.id === issue.task_id);
      expect(limitedRuns).toHaveLength(2);
      expect(until).toBeGreaterThan(limitedRuns[0]!.at + 900);
      expect(limitedRuns[1]!.at).toBeGreaterThanOrEqual(until - 50);
      expect(starts.filter((s) => s.at >= until - 50).length).toBeGreaterThanOrEqual(2);
      const logs = [1, 2].map((n) => readFileSync(join(dir, '.ralph', `worker-${n}.log`), 'utf8')).join('\n');
      expect(logs).toMatch(/usage limit \(claude\): .*claiming again at/);
    },
  );

  it('with --on-usage-limit fail, the task fails with reason usage-limit', async () => {
    const { dir, rec } = setup(1);
    const r = await ralph(['run', '--tasks', 'tasks.json', '--workers', '1', '--agent-bin', './claude', '--on-usage-limit', 'fail'], {
      cwd: dir,
      env: { REC: rec, MODE: 'limit', COST: '0' },
    });
    expect(r.code).toBe(1);
    expect(resultsOf(dir).issues[0]).toMatchObject({ reason: 'usage-limit', outcome: 'failed' });
  });

  it('with --on-usage-limit stop, the run ends with the task back to pending and says why', async () => {
    const { dir, rec } = setup(3);
    const r = await ralph(['run', '--tasks', 'tasks.json', '--workers', '1', '--agent-bin', './claude', '--on-usage-limit', 'stop', '--json'], {
      cwd: dir,
      env: { REC: rec, MODE: 'limit', COST: '0' },
    });
    expect(r.code).toBe(1);
    expect(invocations(rec)).toEqual(['t0']);
    const summary = JSON.parse(r.stdout);
    expect(summary.stopped_by).toBe('usage-limit');
    expect(summary.counts).toMatchObject({ pending: 3 });
    expect(queueOf(dir).tasks[0].attempts).toBe(0);
  });

  it('counts a usage limit that keeps coming back as a failed attempt after 5 uncounted deferrals', async () => {
    const { dir, rec } = setup(1);
    const r = await ralph(['run', '--tasks', 'tasks.json', '--workers', '1', '--agent-bin', './claude', '--usage-limit-wait', '0.1'], {
      cwd: dir,
      env: { REC: rec, MODE: 'limit-notime', COST: '0' },
    });
    expect(r.code).toBe(1);
    expect(invocations(rec)).toHaveLength(6);
    const task = queueOf(dir).tasks[0];
    expect(task).toMatchObject({ status: 'failed', attempts: 1, deferrals: 5 });
    const issues = resultsOf(dir).issues;
    expect(issues.map((i: any) => i.outcome)).toEqual(['deferred', 'deferred', 'deferred', 'deferred', 'deferred', 'failed']);
    expect(issues.at(-1)).toMatchObject({ reason: 'usage-limit' });
    expect(queueOf(dir).cost_usd).toBeCloseTo(0.006, 6);
  });

  it("a new run does not inherit the last run's usage-limit wait", async () => {
    const { dir, rec } = setup(1);
    const first = await ralph(['run', '--tasks', 'tasks.json', '--workers', '1', '--agent-bin', './claude', '--usage-limit-wait', '600', '--timeout', '5'], {
      cwd: dir,
      env: { REC: rec, MODE: 'limit-notime', COST: '0' },
    });
    expect(first.code).toBe(1);
    expect(Date.parse(queueOf(dir).usage_limit.until)).toBeGreaterThan(Date.now() + 500_000);
    const started = Date.now();
    const second = await ralph(['run', '--workers', '1', '--agent-bin', './claude'], { cwd: dir, env: { REC: rec, MODE: 'ok', COST: '0' } });
    expect(second.code, second.stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(queueOf(dir).tasks[0]).toMatchObject({ status: 'completed', attempts: 1 });
  });

  it('refuses to start with a missing binary: names the agent, the path tried and how to install, exit 2, nothing written', async () => {
    const { dir } = setup(1);
    const r = await ralph(['run', '--tasks', 'tasks.json', '--agent', 'codex'], { cwd: dir, env: { PATH: '/usr/bin:/bin', RALPH_CODEX_BIN: '' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/agent codex \([^)]*\): codex not found on PATH/);
    expect(r.stderr).toMatch(/npm install -g @openai\/codex/);
    expect(r.stderr).toContain('RALPH_CODEX_BIN');
    const viaEnv = await ralph(['run', '--tasks', 'tasks.json', '--agent', 'gemini'], { cwd: dir, env: { RALPH_GEMINI_BIN: '/nowhere/gemini' } });
    expect(viaEnv.code).toBe(2);
    expect(viaEnv.stderr).toContain('/nowhere/gemini does not exist (from RALPH_GEMINI_BIN)');
    const both = await ralph(['run', '--tasks', 'tasks.json', '--agent', 'codex', '--agent-cmd', 'true'], { cwd: dir });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('either --agent codex or --agent-cmd');
    const unknown = await ralph(['run', '--tasks', 'tasks.json', '--agent', 'nope'], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--agent.*nope.*claude, codex, gemini/s);
    const badArgs = await ralph(['run', '--tasks', 'tasks.json', '--agent-bin', './claude', '--agent-args', '--x "unclosed'], { cwd: dir });
    expect(badArgs.code).toBe(2);
    expect(badArgs.stderr).toContain('--agent-args');
    expect(() => queueOf(dir)).toThrow();
  });

  it('passes --model, --permission-mode, --allowed-tools and --agent-args as separate arguments, no shell involved', async () => {
    const dir = tempDir();
    script(
      dir,
      'claude',
      'printf "%s\\n" "$@" > "$ARGS"; cat > /dev/null; printf \'{"type":"result","subtype":"success","is_error":false,"result":"ok","total_cost_usd":0}\\n\'',
    );
    writeTasks(dir, { tasks: [{ id: 'a', type: 't', data: { x: '$(touch pwned)' } }] });
    const args = join(dir, 'args');
    const r = await ralph(
      [
        'run',
        '--tasks',
        'tasks.json',
        '--workers',
        '1',
        '--agent-bin',
        './claude',
        '--model',
        'opus',
        '--permission-mode',
        'acceptEdits',
        '--allowed-tools',
        'Bash Edit',
        '--agent-args',
        '--max-turns 3 --append-system-prompt "be brief; $(touch pwned2)"',
      ],
      { cwd: dir, env: { ARGS: args } },
    );
    expect(r.code).toBe(0);
    const argv = readFileSync(args, 'utf8').trimEnd().split('\n');
    expect(argv).toEqual(
      expect.arrayContaining([
        '-p',
        '--output-format',
        'stream-json',
        '--verbose',
        '--model',
        'opus',
        '--permission-mode',
        'acceptEdits',
        '--allowedTools',
        'Bash Edit',
      ]),
    );
    expect(argv.slice(-4)).toEqual(['--max-turns', '3', '--append-system-prompt', 'be brief; $(touch pwned2)']);
    expect(() => readFileSync(join(dir, 'pwned'))).toThrow();
    expect(() => readFileSync(join(dir, 'pwned2'))).toThrow();
  });
});

describe('--permissions', () => {
  it('a level the agent cannot be held to stops the run before anything is written, in one line; `ralph config` shows the level and its source', async () => {
    const dir = tempDir();
    script(dir, 'agent.sh', 'echo "FINDINGS: ran"');
    writeTasks(dir, { tasks: [{ id: 'a', type: 't' }] });
    const refused: Array<[string[], Record<string, string>, RegExp]> = [
      [
        ['--agent', 'amp', '--agent-bin', './agent.sh', '--permissions', 'edit'],
        {},
        /^ralph: --permissions edit: Amp runs every tool without asking .*; with it use --permissions auto\.?$/,
      ],
      [
        ['--agent', 'cursor', '--agent-bin', './agent.sh'],
        { RALPH_PERMISSIONS: 'edit' },
        /^ralph: --permissions edit: Cursor Agent has no mode or flag .*; with it use --permissions auto or read-only\.?$/,
      ],
      [['--agent-cmd', './agent.sh', '--permissions', 'read-only'], {}, /^ralph: --permissions read-only: cannot be enforced on --agent-cmd /],
      [['--agent-cmd', './agent.sh'], { RALPH_PERMISSIONS: 'none' }, /RALPH_PERMISSIONS: expected one of auto, edit, read-only, got "none"/],
    ];
    for (const [args, env, message] of refused) {
      const r = await ralph(['run', '--tasks', 'tasks.json', ...args], { cwd: dir, env });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(message);
    }
    expect(() => queueOf(dir)).toThrow();
    const byDefault = JSON.parse((await ralph(['config', '--json'], { cwd: dir })).stdout).settings.permissions;
    expect(byDefault).toEqual({ value: 'auto', source: 'default', flag: '--permissions', env: 'RALPH_PERMISSIONS' });
    const shown = await ralph(['config'], { cwd: dir, env: { RALPH_PERMISSIONS: 'read-only' } });
    expect(shown.stdout).toMatch(/^ {2}permissions +read-only +env RALPH_PERMISSIONS$/m);
    const help = await ralph(['run', '--help'], { cwd: dir });
    expect(help.stdout.replace(/\s+/g, ' ')).toMatch(
      /--permissions <level> what the agent may do: auto \(edit files and run commands .*\(choices: "auto", "edit", "read-only", default: "auto"/,
    );
  });
});

describe('ralph agents', () => {
  it('lists every adapter and whether its binary is found, also as JSON', async () => {
    const dir = tempDir();
    const bin = script(dir, 'my-claude', 'exit 0');
    const r = await ralph(['agents', '--json'], { cwd: dir, env: { RALPH_CLAUDE_BIN: bin, PATH: '/usr/bin:/bin' } });
    expect(r.code).toBe(0);
    const listed = JSON.parse(r.stdout);
    expect(listed.agents.map((a: any) => a.name)).toEqual(['claude', 'codex', 'gemini', 'opencode', 'aider', 'amp', 'cursor', 'copilot']);
    expect(listed.agents[0]).toMatchObject({ name: 'claude', found: bin, variable: 'RALPH_CLAUDE_BIN' });
    expect(listed.agents[1]).toMatchObject({ name: 'codex', found: null, problem: 'not found on PATH', verified: { how: 'real-binary', version: '0.171.0' } });
    expect(listed.agents.find((a: any) => a.name === 'aider').verified).toEqual({ how: 'fixtures' });
    const text = await ralph(['agents'], { cwd: dir, env: { RALPH_CLAUDE_BIN: bin, PATH: '/usr/bin:/bin' } });
    expect(text.stdout).toMatch(/^claude +Claude Code +2\.1\.330, real binary in the tests +found: /m);
    expect(text.stdout).toMatch(/^cursor +Cursor Agent +fixtures only, not run here +cursor-agent not found on PATH; install: /m);
  });
});
