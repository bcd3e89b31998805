// Ralph driving the REAL Gemini CLI (pinned 0.61.0, installed by scripts/ensure-gemini.mjs into a
// cache) against the local mock of the Gemini API: `ralph run --agent gemini` end to end, offline,
// with no --agent-args (Ralph's own defaults must make it work unattended).
//
// RALPH_UPDATE_GEMINI_FIXTURES=1 also runs the binary directly and writes what it prints, verbatim,
// to test/fixtures/agents/gemini/real-*.txt (the adapter's unit tests read those).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueOf, ralph, resultsOf, writeTasks } from '../helpers/index.js';
import { closedPort } from '../helpers/mock-anthropic.js';
import { cleanupGeminiHomes, GEMINI_VERSION, geminiBinary, geminiEnv } from '../helpers/gemini-env.js';
import { nextMidnightIn } from '../../src/agents/wall-clock.js';
import { dailyQuota, functionResponses, startMockGemini } from '../helpers/mock-gemini.js';
import type { GeminiScript, MockGemini } from '../helpers/mock-gemini.js';

const FIXTURES = resolve(import.meta.dirname, '..', 'fixtures', 'agents', 'gemini');
const record = process.env.RALPH_UPDATE_GEMINI_FIXTURES === '1';
const USAGE = { promptTokenCount: 1000, candidatesTokenCount: 200, cachedContentTokenCount: 300, thoughtsTokenCount: 40 };

/** Each task's first turn runs a shell command that writes <id>.txt; the turn with its result ends with a finding. */
const writeFileScript: GeminiScript = ({ body }) => {
  const id = /Task id: ([\w.-]+)/.exec(JSON.stringify(body?.contents ?? ''))?.[1] ?? 'unknown';
  return functionResponses(body).length > 0
    ? { kind: 'text', text: `Wrote ${id}.txt.\n\nFINDINGS: ${id}.txt written by run_shell_command`, usage: USAGE }
    : { kind: 'call', name: 'run_shell_command', args: { command: `printf 'made by ${id}' > ${id}.txt`, description: 'write the file' }, usage: USAGE };
};

const mocks: MockGemini[] = [];
// Not helpers' tempDir(): it removes its dirs after each test, and these tests run at once.
const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gemini-real-'));
  dirs.push(dir);
  return dir;
}
async function mockWith(script: GeminiScript): Promise<MockGemini> {
  const mock = await startMockGemini(script);
  mocks.push(mock);
  return mock;
}

describe.concurrent(`ralph with the real Gemini CLI ${GEMINI_VERSION}`, () => {
  let bin: string;
  beforeAll(() => {
    bin = geminiBinary();
  }, 15 * 60_000);
  afterAll(async () => {
    await Promise.all(mocks.map((m) => m.close()));
    cleanupGeminiHomes();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  const run = (cwd: string, env: NodeJS.ProcessEnv, args: string[] = []) =>
    ralph(['run', '--tasks', 'tasks.json', '--agent', 'gemini', '--agent-bin', bin, '--workers', '1', '--json', ...args], { cwd, env });

  it('a task whose agent writes a file with a shell tool call: finding, tokens of both models, session id', async () => {
    const mock = await mockWith(writeFileScript);
    const dir = tempDir();
    writeTasks(dir, { tasks: [{ id: 't1', type: 'write', data: { file: 't1.txt' } }] });
    const r = await run(dir, geminiEnv(mock.url));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(readFileSync(join(dir, 't1.txt'), 'utf8')).toBe('made by t1');
    // Offered unattended: the shell and write tools (headless gemini offers neither without yolo).
    const offered = mock.turns()[0]!.body.tools.flatMap((t: any) => t.functionDeclarations.map((f: any) => f.name));
    expect(offered).toEqual(expect.arrayContaining(['run_shell_command', 'write_file', 'replace']));
    const finding = resultsOf(dir).findings[0];
    expect(finding).toMatchObject({ agent: 'gemini', finding: 't1.txt written by run_shell_command', session_id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    // Two main turns of USAGE, plus the router's one call (50 in, 10 out: mock-gemini's ROUTER answer).
    expect(finding.tokens).toEqual({ input: 2050, output: 490, cache_read: 600, reasoning: 80, total: 2540 });
    expect(mock.requests.filter((q) => q.action === 'generateContent')).toHaveLength(1);
  }, 60_000);

  it('a spent daily quota (429, exit 173): reason usage-limit until midnight Pacific time, not the API\'s "retry in 37.5s"', async () => {
    const mock = await mockWith(() => dailyQuota());
    const dir = tempDir();
    writeTasks(dir, { tasks: [{ id: 'q1', type: 'noop' }] });
    const before = Date.now();
    const r = await run(dir, geminiEnv(mock.url), ['--on-usage-limit', 'stop']);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(queueOf(dir).tasks[0]).toMatchObject({ status: 'pending' });
    expect(resultsOf(dir).issues[0]).toMatchObject({
      reason: 'usage-limit',
      agent: 'gemini',
      error: 'usage limit: You have exhausted your daily quota on this model.',
    });
    expect(queueOf(dir).stop).toMatchObject({ reason: 'usage-limit', resets_at: nextMidnightIn(before, 'America/Los_Angeles') });
  }, 60_000);

  it('a quota of 0 (429, "Please retry in 2s"): reason usage-limit, the reset the API said; the worker waits, then completes the task', async () => {
    // The reset is set when the quota error is replied, however slow the start.
    let resetsAt = 0;
    let retriedAt = 0;
    const mock = await mockWith(({ index }) => {
      if (index > 0) {
        retriedAt ||= Date.now();
        return { kind: 'text', text: 'FINDINGS: done after the quota', usage: USAGE };
      }
      resetsAt = Date.now() + 2000;
      return {
        kind: 'error',
        status: 429,
        message:
          'Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 0, model: gemini-2.5-pro. Please retry in 2s.',
      };
    });
    const dir = tempDir();
    writeTasks(dir, { tasks: [{ id: 'q2', type: 'noop' }] });
    const r = await run(dir, geminiEnv(mock.url), ['--usage-limit-margin', '0.5']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(queueOf(dir).tasks[0]).toMatchObject({ status: 'completed', attempts: 1, finding: 'done after the quota' });
    expect(resultsOf(dir).issues[0]).toMatchObject({ reason: 'usage-limit', outcome: 'deferred', agent: 'gemini' });
    // No earlier than 2 s after the reply (later by the time gemini took to print it: seconds under load),
    // and the worker waited for it before it asked again.
    const recorded = Date.parse(queueOf(dir).usage_limit.resets_at);
    expect(recorded).toBeGreaterThanOrEqual(resetsAt - 50);
    expect(recorded).toBeLessThanOrEqual(retriedAt);
  }, 60_000);

  it('an API key the API refuses: a one-line auth-failure cause', async () => {
    const mock = await mockWith(() => ({ kind: 'error', status: 400, message: 'API key not valid. Please pass a valid API key.' }));
    const dir = tempDir();
    writeTasks(dir, { tasks: [{ id: 'a1', type: 'noop' }] });
    const r = await run(dir, geminiEnv(mock.url));
    expect(r.code).toBe(1);
    const task = queueOf(dir).tasks[0];
    expect(task.status).toBe('failed');
    expect(task.error.split('\n')[0]).toMatch(
      /^auth failure — gemini reported an error \(exit code \d+\): INVALID_ARGUMENT: API key not valid\. Please pass a valid API key\.$/,
    );
    expect(resultsOf(dir).issues[0]).toMatchObject({ reason: 'agent-error', agent: 'gemini' });
  }, 60_000);

  it('the API unreachable: gemini retries until --task-timeout (25 s: its first attempt came after more than 15 s on a machine with a load of 10), and the cause says the API is unreachable', async () => {
    const dir = tempDir();
    writeTasks(dir, { tasks: [{ id: 'off', type: 'noop' }] });
    const port = await closedPort();
    // As users run it (relaunched as a child process): the timeout must kill both.
    const r = await run(dir, geminiEnv(`http://127.0.0.1:${port}`, { relaunch: true }), ['--task-timeout', '25', '--grace', '1']);
    expect(r.code).toBe(1);
    const cause = queueOf(dir).tasks[0].error.split('\n')[0];
    expect(cause).toMatch(
      /^API unreachable — timed out after 25s \(--task-timeout\): gemini was retrying the API \(attempt \d+: TypeError: fetch failed sending request\)$/,
    );
  }, 60_000);

  it.runIf(record)(
    "records the binary's own output as fixtures",
    async () => {
      const cases: [string, GeminiScript][] = [
        ['real-tool-call.txt', writeFileScript],
        ['real-quota.txt', () => dailyQuota()],
        ['real-auth.txt', () => ({ kind: 'error', status: 400, message: 'API key not valid. Please pass a valid API key.' })],
      ];
      for (const [name, script] of cases) {
        const mock = await mockWith(script);
        const out = await runDirect(bin, geminiEnv(mock.url, { extra: { GEMINI_CLI_TRUST_WORKSPACE: 'true' } }), ['--approval-mode', 'yolo']);
        writeFileSync(join(FIXTURES, name), `${out}`);
      }
      const untrusted = await runDirect(bin, geminiEnv('http://127.0.0.1:9'), []);
      writeFileSync(join(FIXTURES, 'real-untrusted.txt'), untrusted);
      // Killed while it retries an API nothing listens on, as a task timeout would.
      const unreachable = await runDirect(
        bin,
        geminiEnv(`http://127.0.0.1:${await closedPort()}`, { extra: { GEMINI_CLI_TRUST_WORKSPACE: 'true' } }),
        ['--approval-mode', 'yolo'],
        12_000,
      );
      writeFileSync(join(FIXTURES, 'real-unreachable-killed.txt'), unreachable);
    },
    120_000,
  );
});

/** stdout then stderr of one direct run (what ralph reads when gemini fails), its process group killed after killAfterMs. */
function runDirect(bin: string, env: NodeJS.ProcessEnv, args: string[], killAfterMs = 60_000): Promise<string> {
  const cwd = mkdtempSync(join(tmpdir(), 'gemini-rec-'));
  const child = spawn(bin, ['--output-format', 'json', ...args, '-p', 'Follow the instructions above.'], {
    cwd,
    env,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  child.stdin.end('Task id: rec\nWrite the file.');
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), killAfterMs);
  return new Promise((done) =>
    child.on('close', () => {
      clearTimeout(timer);
      done(stdout + stderr);
    }),
  );
}
