// Ralph driving the REAL GitHub Copilot CLI (pinned 1.0.102, installed by scripts/ensure-copilot.mjs
// into a cache) in its offline bring-your-own-key mode against the local Chat Completions mock:
// `ralph run --agent copilot`, end to end. The runs are concurrent (most of their time is Copilot's
// own retry waits, 5 s for the 429s): the file takes ~13 s alone, ~16 s in the full suite.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueOf, ralph, resultsOf, writeTasks } from '../helpers/index.js';
import { closedPort } from '../helpers/mock-anthropic.js';
import { COPILOT_TEST_KEY, cleanupCopilotHomes, copilotBinary, copilotEnv, copilotSupported, copilotWorkdir } from '../helpers/copilot-env.js';
import { startMockChatCompletions, toolCallThenText } from '../helpers/mock-chat-completions.js';
import type { ChatReply, ChatScript, MockChatCompletions } from '../helpers/mock-chat-completions.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe.runIf(copilotSupported).concurrent('ralph with the real Copilot CLI binary', () => {
  let bin: string;
  const mocks: MockChatCompletions[] = [];
  beforeAll(() => {
    bin = copilotBinary(); // installs into the cache on first use (a few seconds from the registry)
  }, 15 * 60_000);
  afterAll(async () => {
    await Promise.all(mocks.map((m) => m.close()));
    cleanupCopilotHomes();
  });

  const mock = async (script: ChatScript) => {
    const started = await startMockChatCompletions(script);
    mocks.push(started);
    return started;
  };
  /** One task run by `ralph run --agent copilot` in a fresh dir; the task's error's first line is its cause. */
  const runOne = async (env: NodeJS.ProcessEnv, args: string[] = []) => {
    const dir = copilotWorkdir(); // not tempDir(): its afterEach would remove the dirs of the concurrent tests
    writeTasks(dir, { tasks: [{ id: 't1', type: 'write' }] });
    const r = await ralph(['run', '--tasks', 'tasks.json', '--agent', 'copilot', '--agent-bin', bin, '--workers', '1', '--json', ...args], { cwd: dir, env });
    const task = queueOf(dir).tasks[0];
    return { dir, r, task, cause: String(task.error ?? '').split('\n')[0] };
  };

  it('a task whose agent writes a file with its shell tool: the file, the finding, tokens and session id', async () => {
    const api = await mock(
      toolCallThenText(
        { name: 'bash', arguments: { command: "printf 'made by copilot' > out.txt", description: 'write the file' } },
        'Wrote out.txt.\n\nFINDINGS: out.txt written by the shell tool',
      ),
    );
    const { dir, r, task } = await runOne(copilotEnv(`${api.url}/v1`));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'out.txt'), 'utf8')).toBe('made by copilot');
    expect(task).toMatchObject({ status: 'completed', finding: 'out.txt written by the shell tool' });
    const finding = resultsOf(dir).findings[0];
    // Two model calls of the mock's default usage (1200 in incl. 100 cached, 34 out incl. 7 reasoning), as Copilot sums and rounds them.
    expect(finding).toMatchObject({
      agent: 'copilot',
      session_id: expect.stringMatching(UUID),
      tokens: { input: 2400, output: 68, cache_read: 200, reasoning: 14 },
    });
    expect(finding).not.toHaveProperty('cost_usd');
    // The tool ran (its result went back to the model), with the key the environment gave.
    const calls = api.completions();
    expect(calls.length).toBe(2);
    expect(calls[0]!.headers.authorization).toBe(`Bearer ${COPILOT_TEST_KEY}`);
    expect(calls[1]!.body.messages.some((m: any) => m.role === 'tool' && m.tool_call_id === 'call_mock_0001')).toBe(true);
    const log = readdirSync(join(dir, '.ralph'))
      .filter((n) => n.endsWith('.log'))
      .map((n) => readFileSync(join(dir, '.ralph', n), 'utf8'))
      .join('\n');
    expect(log).toContain("printf 'made by copilot' > out.txt");
  });

  it('429s until Copilot gives up: reason usage-limit, the reset time the API named', async () => {
    let reply = 0;
    const api = await mock(
      (): ChatReply => ({
        kind: 'error',
        status: 429,
        message: `Rate limit reached for requests. Please try again in 30s. (${reply++})`,
        headers: { 'retry-after': '0' },
      }),
    );
    const started = Date.now();
    const { dir, r, task } = await runOne(copilotEnv(`${api.url}/v1`), ['--on-usage-limit', 'stop']);
    expect(r.code).toBe(1);
    expect(api.completions().length).toBe(6); // the first try and Copilot's 5 retries
    expect(task).toMatchObject({ status: 'pending', attempts: 0 }); // deferred: the attempt is not counted
    const issue = resultsOf(dir).issues[0];
    expect(issue).toMatchObject({ reason: 'usage-limit', outcome: 'deferred', agent: 'copilot', session_id: expect.stringMatching(UUID) });
    expect(issue.error.split('\n')[0]).toMatch(
      /^usage limit: Failed to get response from the AI model; retried 5 times .*Last error: 429 Rate limit reached for requests\. Please try again in 30s\. \(5\)$/,
    );
    const stop = queueOf(dir).stop;
    expect(stop).toMatchObject({ reason: 'usage-limit' });
    expect(Date.parse(stop.resets_at)).toBeGreaterThanOrEqual(started + 30_000);
    expect(Date.parse(stop.resets_at)).toBeLessThanOrEqual(Date.now() + 30_000 + 1000);
  });

  it('a wrong API key (401): an auth failure, in one line', async () => {
    const api = await mock((): ChatReply => ({ kind: 'error', status: 401, message: 'Incorrect API key provided.' }));
    const { r, task, cause } = await runOne(copilotEnv(`${api.url}/v1`));
    expect(r.code).toBe(1);
    expect(task).toMatchObject({ status: 'failed' });
    expect(cause).toBe(`auth failure — copilot reported an error (exit code 1): Authentication failed with provider at ${api.url}/v1 (HTTP 401).`);
  });

  it('no provider and no GitHub login: an auth failure, in one line', async () => {
    const env = copilotEnv('unused', { COPILOT_PROVIDER_BASE_URL: undefined, COPILOT_PROVIDER_API_KEY: undefined, COPILOT_OFFLINE: undefined });
    const { r, cause } = await runOne(env);
    expect(r.code).toBe(1);
    expect(cause).toBe('auth failure — copilot reported an error (exit code 1): Error: No authentication information found.');
  });

  it('an unreachable API: Copilot retries it for ~23 s, so the task timeout ends it, and the cause says what it was doing', async () => {
    const port = await closedPort();
    const { r, task, cause } = await runOne(copilotEnv(`http://127.0.0.1:${port}/v1`), ['--task-timeout', '6', '--grace', '1']);
    expect(r.code).toBe(1);
    expect(task).toMatchObject({ status: 'failed' });
    // Its first retry notice comes ~1 s after its first try: under load it may not get that far, and
    // what it prints is then what it says while being stopped (seen: "Error executing prompt: Error:
    // GenericFailure, LSP session '…' is closed").
    expect(cause, JSON.stringify(task.error)).toMatch(
      /^(no answer from the API — timed out after 6s \(--task-timeout\): Copilot (?:was retrying: Response was interrupted due to a server error\. Retrying\.\.\.|printed nothing before it was stopped)|timed out after 6s \(--task-timeout\) \(no output\)|timed out after 6s \(--task-timeout\): last output: Error executing prompt: .*)$/,
    );
  });
});
