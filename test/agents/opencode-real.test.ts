// Ralph driving the REAL opencode CLI (pinned 1.18.33, installed by scripts/ensure-opencode.mjs into a
// cache) against the local Chat Completions mock, with a provider of its own in the config
// (test/helpers/opencode-env.ts): `ralph run --agent opencode`, end to end. The runs are concurrent;
// the unreachable API waits for the task timeout (25 s: opencode takes 5–10 s to start under load).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueOf, ralph, resultsOf, writeTasks } from '../helpers/index.js';
import { closedPort } from '../helpers/mock-anthropic.js';
import { OPENCODE_TEST_KEY, cleanupOpencodeHomes, opencodeBinary, opencodeEnv, opencodeSupported, opencodeWorkdir } from '../helpers/opencode-env.js';
import { startMockChatCompletions, toolCallThenText } from '../helpers/mock-chat-completions.js';
import type { ChatReply, ChatScript, MockChatCompletions } from '../helpers/mock-chat-completions.js';

const SESSION = /^ses_[0-9A-Za-z]{26}$/;

/** opencode first asks its small model for a title (no tools offered): answered with one, the rest by `script`. */
const titled =
  (script: ChatScript): ChatScript =>
  (req) =>
    Array.isArray(req.body?.tools) && req.body.tools.length > 0 ? script(req) : { kind: 'text', text: 'Write out.txt' };

describe.runIf(opencodeSupported).concurrent('ralph with the real opencode binary', () => {
  let bin: string;
  const mocks: MockChatCompletions[] = [];
  beforeAll(() => {
    bin = opencodeBinary(); // installs into the cache on first use (a few seconds from the registry)
  }, 15 * 60_000);
  afterAll(async () => {
    await Promise.all(mocks.map((m) => m.close()));
    cleanupOpencodeHomes();
  });

  const mock = async (script: ChatScript) => {
    const started = await startMockChatCompletions(script);
    mocks.push(started);
    return started;
  };
  /** One task run by `ralph run --agent opencode` in a fresh dir; the task's error's first line is its cause. */
  const runOne = async (env: NodeJS.ProcessEnv, args: string[] = []) => {
    const dir = opencodeWorkdir(); // not tempDir(): its afterEach would remove the dirs of the concurrent tests
    writeTasks(dir, { tasks: [{ id: 't1', type: 'write' }] });
    const r = await ralph(['run', '--tasks', 'tasks.json', '--agent', 'opencode', '--agent-bin', bin, '--workers', '1', '--json', ...args], { cwd: dir, env });
    const task = queueOf(dir).tasks[0];
    return { dir, r, task, cause: String(task.error ?? '').split('\n')[0] };
  };

  it('a task whose agent writes a file with its shell tool: the file, the finding, the cost opencode reported, tokens and session id', async () => {
    const api = await mock(
      titled(
        toolCallThenText(
          { name: 'bash', arguments: { command: "printf 'made by opencode' > out.txt", description: 'write the file' } },
          'Wrote out.txt.\n\nFINDINGS: out.txt written by the shell tool',
        ),
      ),
    );
    const { dir, r, task } = await runOne(opencodeEnv(`${api.url}/v1`));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const log = readdirSync(join(dir, '.ralph'))
      .filter((n) => n.endsWith('.log'))
      .map((n) => readFileSync(join(dir, '.ralph', n), 'utf8'))
      .join('\n');
    expect(existsSync(join(dir, 'out.txt')), log).toBe(true);
    expect(readFileSync(join(dir, 'out.txt'), 'utf8')).toBe('made by opencode');
    expect(task).toMatchObject({ status: 'completed', finding: 'out.txt written by the shell tool' });
    const finding = resultsOf(dir).findings[0];
    // Two model calls of the mock's default usage (1200 in incl. 100 cached, 34 out incl. 7 reasoning), priced by
    // opencode from the config: (1100×3 + 100×0.3 + 34×15) / 1e6 = $0.00384 each.
    expect(finding).toMatchObject({
      agent: 'opencode',
      session_id: expect.stringMatching(SESSION),
      cost_usd: 0.00768,
      tokens: { input: 2400, output: 68, cache_read: 200, cache_write: 0, reasoning: 14 },
    });
    expect(finding).not.toHaveProperty('cost_estimated');
    // The tool ran (its result went back to the model), with the key the config gave.
    const calls = api.completions().filter((c) => (c.body.tools ?? []).length > 0);
    expect(calls.length).toBe(2);
    expect(calls[0]!.headers.authorization).toBe(`Bearer ${OPENCODE_TEST_KEY}`);
    expect(calls[1]!.body.messages.some((m: any) => m.role === 'tool' && m.tool_call_id === 'call_mock_0001')).toBe(true);
    expect(log).toContain("tool bash: printf 'made by opencode' > out.txt");
  });

  it('429s until opencode gives up: reason usage-limit, the reset time its retry-after-ms header named', async () => {
    const api = await mock(
      (): ChatReply => ({
        kind: 'error',
        status: 429,
        message: 'Rate limit reached for requests. Please try again in 20s.',
        headers: { 'retry-after-ms': '1000' },
      }),
    );
    const started = Date.now();
    const { dir, r, task } = await runOne(opencodeEnv(`${api.url}/v1`), ['--on-usage-limit', 'stop']);
    expect(r.code).toBe(1);
    expect(api.completions().length).toBeGreaterThan(2); // opencode retried
    expect(task).toMatchObject({ status: 'pending', attempts: 0 }); // deferred: the attempt is not counted
    const issue = resultsOf(dir).issues[0];
    expect(issue).toMatchObject({ reason: 'usage-limit', outcome: 'deferred', agent: 'opencode', session_id: expect.stringMatching(SESSION) });
    expect(issue.error.split('\n')[0]).toBe('usage limit: Rate limit reached for requests. Please try again in 20s.');
    const stop = queueOf(dir).stop;
    expect(stop).toMatchObject({ reason: 'usage-limit' });
    expect(Date.parse(stop.resets_at)).toBeGreaterThanOrEqual(started + 1000);
    expect(Date.parse(stop.resets_at)).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it('a wrong API key (401): an auth failure, in one line', async () => {
    const api = await mock((): ChatReply => ({ kind: 'error', status: 401, message: 'Incorrect API key provided.' }));
    const { r, task, cause } = await runOne(opencodeEnv(`${api.url}/v1`));
    expect(r.code).toBe(1);
    expect(task).toMatchObject({ status: 'failed' });
    expect(cause).toBe('auth failure — opencode reported an error (exit code 1): Incorrect API key provided.');
  });

  it('an unreachable API: opencode retries it without end, so the task timeout ends it, and the cause says what it logged', async () => {
    const port = await closedPort();
    const { r, task, cause } = await runOne(opencodeEnv(`http://127.0.0.1:${port}/v1`), ['--task-timeout', '25', '--grace', '1']);
    expect(r.code).toBe(1);
    expect(task).toMatchObject({ status: 'failed' });
    // The last error it logged is its main request's or its title request's (that one after the AI SDK's own
    // retries: "Failed after 3 attempts. Last error: …"). Its first error line comes ~4 s after it starts on an
    // idle machine; with a dozen agent CLIs starting at once on two cores it may not get that far in 25 s
    // (test/agents/agent-opencode-real.test.ts reads the line it prints).
    expect(cause, JSON.stringify(task.error)).toMatch(
      /^(?:API unreachable — timed out after 25s \(--task-timeout\): opencode: stream error: (?:Failed after \d+ attempts\. Last error: )?Cannot connect to API: Unable to connect\. Is the computer able to access the url\?|timed out after 25s \(--task-timeout\) \(no output\))$/,
    );
  });
});
