// What the live view shows while the REAL Claude Code binary retries an API that fails (as with the
// model API unreachable): the worker's row says so, instead of a run that seems stuck.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ralph, startRalph, tempDir, waitFor, writeTasks } from '../helpers/index.js';
import { claudeBinary, claudeEnv, claudeSupported, cleanupClaudeHomes } from '../helpers/claude-env.js';
import { onMainLoop, startMockAnthropic, usageLimitHeaders } from '../helpers/mock-anthropic.js';
import type { MockAnthropic, Reply } from '../helpers/mock-anthropic.js';

describe.runIf(claudeSupported)('the live view with the real Claude Code binary', () => {
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

  it('an overloaded API that Claude Code retries: the worker\'s row says "API error 529 (overloaded); retry N of 3"', async () => {
    const dir = tempDir();
    writeTasks(dir, { tasks: [{ id: 'retried', type: 'noop' }] });
    mock.setScript(() => ({ kind: 'error', status: 529 }));
    const env = claudeEnv(mock.url, { maxRetries: 3 });
    const run = startRalph(['run', '--tasks', 'tasks.json', '--workers', '1', '--agent', 'claude', '--agent-bin', bin], { cwd: dir, env });
    await waitFor('the worker', () => existsSync(join(dir, '.ralph', 'sessions', 'worker-1.session')), 30_000);
    const watch = await ralph(['status', '--watch', '--json', '--interval', '0.25'], { cwd: dir });
    expect(watch.code).toBe(0);
    const rows = watch.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .flatMap((s) => s.workers);
    const said = rows.filter((w: any) => w.state === 'running' && w.task === 'retried').map((w: any) => w.last_output);
    expect(said).toContainEqual(expect.stringMatching(/^API error 529 \(overloaded\); retry [123] of 3 in \d+\.\d+s$/));
    const r = await run.done;
    expect(r.code).toBe(1);
    // Off a terminal the failure is told as it happens, in one line.
    expect(r.stderr).toMatch(/^\d\d:\d\d:\d\d ✘ retried failed: .+ \(log \.ralph\/worker-1\.log\)$/m);
  }, 120_000);

  it('a usage limit: the idle worker\'s row says "waiting" until when, the notice is told once, then the task runs', async () => {
    const dir = tempDir();
    writeTasks(dir, { tasks: [{ id: 'limited', type: 'noop' }] });
    // The limit is replied once `status --watch` has taken its first look (what it sees then is not
    // told again), and its reset is set then: however long the start takes, it is still ahead.
    let limited = 0;
    let watching!: () => void;
    const watched = new Promise<void>((resolve) => {
      watching = resolve;
    });
    mock.setScript(
      onMainLoop(async (): Promise<Reply> => {
        if (limited++ > 0) return { kind: 'text', text: 'FINDINGS: done after the limit' };
        await watched;
        const resetsAt = Math.floor(Date.now() / 1000) + 4;
        return { kind: 'usage-limit', resetsAt, headers: usageLimitHeaders(resetsAt) };
      }),
    );
    const run = startRalph(['run', '--tasks', 'tasks.json', '--workers', '1', '--agent', 'claude', '--agent-bin', bin, '--usage-limit-margin', '0.5'], {
      cwd: dir,
      env: claudeEnv(mock.url, { subscriber: true }),
    });
    await waitFor('the worker', () => existsSync(join(dir, '.ralph', 'sessions', 'worker-1.session')), 30_000);
    const watcher = startRalph(['status', '--watch', '--json', '--interval', '0.25'], { cwd: dir });
    watcher.child.stdout!.once('data', () => watching());
    const watch = await watcher.done;
    watching(); // (had it printed nothing, the run goes on and the checks below say what is missing)
    expect(watch.code).toBe(0);
    const snapshots = watch.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const waiting = snapshots.flatMap((s) => s.workers).find((w: any) => w.state === 'waiting');
    expect(waiting).toMatchObject({ id: 1, until: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(snapshots.find((s) => s.usage_limit)?.usage_limit).toMatchObject({ agent: 'claude', until: waiting.until });
    const notices = snapshots
      .flatMap((s) => s.events)
      .filter((e: any) => e.kind === 'notice')
      .map((e: any) => e.text);
    expect(notices.filter((t: string) => t.startsWith("usage limit (claude): You've hit your"))).toHaveLength(1);
    expect(notices).toContain('usage limit over: claiming again');
    expect((await run.done).code).toBe(0);
  }, 120_000);
});
