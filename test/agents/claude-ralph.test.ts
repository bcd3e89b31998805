// Ralph driving the REAL Claude Code binary (pinned, installed by scripts/ensure-claude.mjs into a
// cache) against the local mock of the Messages API: `ralph run --agent claude` and
// `ralph loop --agent claude`, end to end, offline.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { queueOf, ralph, resultsOf, tempDir, writeTasks } from '../helpers/index.js';
import { git, twoClones } from '../helpers/loops.js';
import { claudeBinary, claudeEnv, claudeSupported, cleanupClaudeHomes } from '../helpers/claude-env.js';
import { closedPort, findToolResult, lastUserText, onMainLoop, startMockAnthropic, usageLimitHeaders } from '../helpers/mock-anthropic.js';
import type { MockAnthropic, Reply } from '../helpers/mock-anthropic.js';

const USAGE = { input_tokens: 1000, output_tokens: 200, cache_read_input_tokens: 50, cache_creation_input_tokens: 30 };

/** The task id the default prompt names ("Task id: t1"): in the first user message of the conversation. */
const taskIdIn = (body: any) => /Task id: (\S+)/.exec(lastUserText({ messages: (body?.messages ?? []).slice(0, 1) }))?.[1] ?? 'unknown';

describe.runIf(claudeSupported)('ralph with the real Claude Code binary', () => {
  let bin: string;
  let mock: MockAnthropic;
  beforeAll(async () => {
    bin = claudeBinary();
    mock = await startMockAnthropic();
  }, 15 * 60_000);
  afterAll(async () => {
    await mock?.close();
  });
  afterEach(() => cleanupClaudeHomes());

  const run = (cwd: string, args: string[], env: NodeJS.ProcessEnv = claudeEnv(mock.url)) =>
    ralph(['run', '--tasks', 'tasks.json', '--agent', 'claude', '--agent-bin', bin, '--json', ...args], { cwd, env });

  it('1: runs 3 tasks whose agent writes a file with the Bash tool; findings from result, cost and tokens summed', async () => {
    const dir = tempDir();
    writeTasks(dir, { tasks: ['t1', 't2', 't3'].map((id) => ({ id, type: 'write', data: { file: `${id}.txt` } })) });
    // Each task's first turn asks for Bash; the turn that carries the tool result ends with a finding.
    mock.setScript(
      onMainLoop(({ body }): Reply => {
        const id = taskIdIn(body);
        return findToolResult(body, `toolu_${id}`)
          ? { kind: 'text', text: `Wrote ${id}.txt.\n\nFINDINGS: ${id}.txt written by the Bash tool`, usage: USAGE }
          : {
              kind: 'tool_use',
              id: `toolu_${id}`,
              name: 'Bash',
              input: { command: `printf 'made by ${id}' > ${id}.txt`, description: 'write the file' },
              usage: USAGE,
            };
      }),
    );
    const r = await run(dir, ['--workers', '2']);
    expect(r.code, r.stderr).toBe(0);
    for (const id of ['t1', 't2', 't3']) expect(readFileSync(join(dir, `${id}.txt`), 'utf8')).toBe(`made by ${id}`);
    const findings = resultsOf(dir).findings;
    expect(findings.map((f: any) => f.finding).sort()).toEqual(['t1', 't2', 't3'].map((id) => `${id}.txt written by the Bash tool`));
    for (const f of findings) {
      expect(f).toMatchObject({ agent: 'claude', session_id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
      expect(f.cost_usd).toBeGreaterThan(0);
      // Two API turns of USAGE each, as claude adds them up; Ralph's input holds the cache reads and writes.
      expect(f.tokens).toMatchObject({ input: 2160, output: 400, cache_read: 100, cache_write: 60 });
    }
    const total = findings.reduce((sum: number, f: any) => sum + f.cost_usd, 0);
    const summary = JSON.parse(r.stdout);
    expect(summary.usage.cost_usd).toBeCloseTo(total, 6);
    expect(summary.usage.tokens).toEqual({ input: 6480, output: 1200, cache_read: 300, cache_write: 180 });
    expect(queueOf(dir).cost_usd).toBeCloseTo(total, 6);
    const report = readFileSync(join(dir, '.ralph', 'ORCHESTRATOR-REPORT.md'), 'utf8');
    expect(report).toContain(`- Cost: $${total.toFixed(total < 0.01 ? 4 : 2)}; tokens: 6480 in, 1200 out, 300 cache read, 180 cache write`);
    expect(report).toMatch(/\| \*\*total\*\* \|/);
    const logs = readdirSync(join(dir, '.ralph'))
      .filter((n) => n.endsWith('.log'))
      .map((n) => readFileSync(join(dir, '.ralph', n), 'utf8'))
      .join('\n');
    expect(logs).toMatch(/tool Bash: .*printf/);
    expect(logs).toMatch(/result \(success/);
  }, 120_000);

  it('2: a usage limit with a reset a few seconds ahead: the worker waits, then completes the task, attempt not counted', async () => {
    const dir = tempDir();
    writeTasks(dir, { tasks: [{ id: 'limited', type: 'noop' }] });
    // The reset is set when the limit is replied, not before ralph starts: however long the start
    // takes under load, it is still ahead when the worker records it.
    let resetsAt = 0;
    let limited = 0;
    mock.setScript(
      onMainLoop((): Reply => {
        if (limited++ === 0) {
          resetsAt = Math.floor(Date.now() / 1000) + 4;
          return { kind: 'usage-limit', resetsAt, headers: usageLimitHeaders(resetsAt) };
        }
        return { kind: 'text', text: 'FINDINGS: done after the limit', usage: USAGE };
      }),
    );
    const started = Date.now();
    const r = await run(dir, ['--workers', '1', '--usage-limit-margin', '0.5'], claudeEnv(mock.url, { subscriber: true }));
    expect(r.code, r.stderr).toBe(0);
    const task = queueOf(dir).tasks[0];
    expect(task).toMatchObject({ status: 'completed', attempts: 1, finding: 'done after the limit' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(resetsAt * 1000 - started + 400);
    const issue = resultsOf(dir).issues[0];
    expect(issue).toMatchObject({ reason: 'usage-limit', outcome: 'deferred', error: expect.stringContaining("You've hit your") });
    expect(queueOf(dir).usage_limit).toMatchObject({ agent: 'claude', resets_at: new Date(resetsAt * 1000).toISOString() });
    const log = readFileSync(join(dir, '.ralph', 'worker-1.log'), 'utf8');
    expect(log).toMatch(/usage limit \(claude\): .*claiming again at/);
    expect(JSON.parse(r.stdout).counts).toMatchObject({ completed: 1, failed: 0 });
  }, 120_000);

  it('3: an API error (is_error true): the task fails with the message in error', async () => {
    const dir = tempDir();
    writeTasks(dir, { tasks: [{ id: 'broken', type: 'noop' }] });
    mock.setScript(onMainLoop((): Reply => ({ kind: 'error', status: 529, shouldRetry: false })));
    const r = await run(dir, ['--workers', '1']);
    expect(r.code).toBe(1);
    const task = queueOf(dir).tasks[0];
    expect(task.status).toBe('failed');
    expect(task.error).toMatch(/claude reported an error.*API Error: 529/);
    expect(resultsOf(dir).issues[0]).toMatchObject({ reason: 'agent-error', agent: 'claude' });
  }, 120_000);

  it('3b: the model API unreachable and --task-timeout: the cause says so on the terminal and in the report, which never quotes the init event', async () => {
    const dir = tempDir();
    writeTasks(dir, { tasks: [{ id: 'offline', type: 'noop' }] });
    // A port nothing listens on; Claude Code retries it for minutes, so the task timeout ends the run.
    const port = await closedPort();
    const r = await ralph(['run', '--tasks', 'tasks.json', '--agent', 'claude', '--agent-bin', bin, '--workers', '1', '--task-timeout', '6', '--grace', '1'], {
      cwd: dir,
      env: claudeEnv(`http://127.0.0.1:${port}`, { maxRetries: null }),
    });
    expect(r.code).toBe(1);
    const cause = /^ {2}offline: (.*) \(\.ralph\/worker-1\.log\)$/m.exec(r.stdout)?.[1];
    // Its first retry comes half a second after it started; a machine under heavy load may not get that far.
    expect(cause).toMatch(
      /^(API unreachable — timed out after 6s \(--task-timeout\): Claude Code was retrying the API \(attempt \d+ of 10: no connection\)|no answer from the API — timed out after 6s \(--task-timeout\): nothing came after the session started)$/,
    );
    const task = queueOf(dir).tasks[0];
    expect(task.error.split('\n')[0]).toBe(cause);
    const report = readFileSync(join(dir, '.ralph', 'ORCHESTRATOR-REPORT.md'), 'utf8');
    expect(report).toContain(`| offline | noop | 1 | 1 | ${cause} |`);
    expect(report).not.toMatch(/"subtype": ?"init"|"tools": ?\[/);
  }, 120_000);

  it('4: ralph loop --agent claude runs one async iteration: log and summary written, finding captured', async () => {
    const s = await twoClones();
    mock.setScript(
      onMainLoop((): Reply => ({ kind: 'text', text: 'Looked at input.md.\n\nFINDINGS: the engineer turn ran through Claude Code', usage: USAGE })),
    );
    const r = await ralph(['loop', '--sync-loops', '1', '--poll-interval', '0.2', '--grace', '1', '--agent', 'claude', '--agent-bin', bin], {
      cwd: s.b,
      env: claudeEnv(mock.url),
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const logDir = join(s.b, 'logs', 'main', 'ralph');
    const logs = readdirSync(logDir);
    expect(logs).toHaveLength(1);
    expect(readFileSync(join(logDir, logs[0]!), 'utf8')).toMatch(/result \(success/);
    const summaries = readdirSync(join(s.b, 'logs', 'main', 'ralph-summaries'));
    const summary = readFileSync(join(s.b, 'logs', 'main', 'ralph-summaries', summaries[0]!), 'utf8');
    expect(summary).toContain('- mode: async');
    expect(summary).toContain('- result: ok');
    expect(summary).toMatch(/- agent: claude .*\$0\.\d{4}, 1080 in \/ 200 out tokens, session [0-9a-f-]{36}/);
    expect(summary).toContain('the engineer turn ran through Claude Code');
    expect(existsSync(join(s.b, 'sync', 'state.json'))).toBe(true);
    expect(git(s.b, 'status', '--porcelain')).toBe('');
  }, 120_000);
});
