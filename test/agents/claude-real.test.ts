/**
 * Smoke tests of the REAL Claude Code CLI (pinned 2.1.330, installed by scripts/ensure-claude.mjs)
 * against the local mock of the Messages API: proves the offline setup that the adapter's tests use,
 * and records what the binary really prints.
 *
 * RALPH_UPDATE_CLAUDE_FIXTURES=1 writes each run's stdout, verbatim, to
 * test/fixtures/agents/claude/real-*.jsonl (the adapter's unit tests read those).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLAUDE_PRINT_ARGS, CLAUDE_VERSION, claudeBinary, claudeEnv, claudeSupported, cleanupClaudeHomes, runClaude } from '../helpers/claude-env.js';
import type { ClaudeEnvOptions, ClaudeRun } from '../helpers/claude-env.js';
import {
  closedPort,
  findToolResult,
  isMainRequest,
  lastUserText,
  onMainLoop,
  startMockAnthropic,
  toolResultText,
  toolTurnThenText,
  USAGE_LIMIT_MESSAGE,
} from '../helpers/mock-anthropic.js';
import type { MockAnthropic, Script } from '../helpers/mock-anthropic.js';

const FIXTURES = resolve(import.meta.dirname, '..', 'fixtures', 'agents', 'claude');
const record = process.env.RALPH_UPDATE_CLAUDE_FIXTURES === '1';

const dirs: string[] = [];
let mock: MockAnthropic | undefined;
afterEach(async () => {
  await mock?.close();
  mock = undefined;
  cleanupClaudeHomes();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function workDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'claude-real-'));
  dirs.push(dir);
  return dir;
}

async function run(
  script: Script,
  options: { args?: string[]; env?: ClaudeEnvOptions; prompt?: string; cwd?: string } = {},
): Promise<ClaudeRun & { cwd: string }> {
  mock = await startMockAnthropic(script);
  const cwd = options.cwd ?? workDir();
  const result = await runClaude({
    args: [...CLAUDE_PRINT_ARGS, ...(options.args ?? [])],
    env: claudeEnv(mock.url, options.env),
    cwd,
    stdin: options.prompt ?? 'Say hello.',
  });
  return { ...result, cwd };
}

function save(name: string, stdout: string): void {
  if (record) writeFileSync(join(FIXTURES, name), stdout);
}

const only = <T>(items: T[], what: string): T => {
  expect(items, what).toHaveLength(1);
  return items[0]!;
};
const resultOf = (r: ClaudeRun) =>
  only(
    r.events.filter((e) => e.type === 'result'),
    'one result event',
  );
const initOf = (r: ClaudeRun) =>
  only(
    r.events.filter((e) => e.type === 'system' && e.subtype === 'init'),
    'one init event',
  );
const assistants = (r: ClaudeRun) => r.events.filter((e) => e.type === 'assistant');

describe.skipIf(!claudeSupported)(`the real Claude Code ${CLAUDE_VERSION} against the mock API`, () => {
  beforeAll(() => {
    claudeBinary(); // installs into the cache on first use (a few seconds from the registry)
  }, 15 * 60_000);

  afterAll(() => {
    if (record) console.log(`claude-real: fixtures written to ${FIXTURES}`);
  });

  it('answers a prompt with the mocked text: init, assistant and result events', async () => {
    const usage = { input_tokens: 123, output_tokens: 45, cache_read_input_tokens: 67, cache_creation_input_tokens: 8 };
    const r = await run(
      onMainLoop(() => ({ kind: 'text', text: 'Hello from the mock.', usage })),
      { prompt: 'Say hello, please.' },
    );
    save('real-text.jsonl', r.stdout);
    expect(r.code, r.stderr).toBe(0);

    const init = initOf(r);
    expect(init).toMatchObject({ cwd: r.cwd, apiKeySource: 'ANTHROPIC_API_KEY', claude_code_version: CLAUDE_VERSION });
    expect(init.tools).toContain('Bash');
    const texts = assistants(r)
      .flatMap((e) => e.message.content)
      .filter((b: any) => b.type === 'text')
      .map((b: any) => b.text);
    expect(texts).toEqual(['Hello from the mock.']);

    const result = resultOf(r);
    expect(result).toMatchObject({ subtype: 'success', is_error: false, result: 'Hello from the mock.', num_turns: 1, session_id: init.session_id });
    expect(typeof result.total_cost_usd).toBe('number');
    expect(result.total_cost_usd).toBeGreaterThan(0);
    expect(result.usage).toMatchObject(usage);

    // What the binary sent: one streaming POST /v1/messages?beta=true with tools and the prompt, nothing else.
    expect(mock!.requests.map((q) => `${q.method} ${q.url}`)).toEqual(['POST /v1/messages?beta=true']);
    const sent = mock!.requests[0]!;
    expect(sent.headers['x-api-key']).toBe('sk-ant-test-key');
    expect(sent.body.stream).toBe(true);
    expect(isMainRequest(sent.body)).toBe(true);
    expect(lastUserText(sent.body)).toContain('Say hello, please.');
  }, 60_000);

  it('runs a Bash tool_use in its cwd and sends the tool_result back', async () => {
    const command = 'printf hello > out.txt';
    const r = await run(toolTurnThenText({ name: 'Bash', input: { command, description: 'Write out.txt' }, id: 'toolu_mock_bash' }, 'Wrote out.txt.'), {
      // bypassPermissions is refused as root; allowing the tool works for root and everyone else.
      args: ['--allowedTools', 'Bash'],
      prompt: 'Write hello to out.txt.',
    });
    save('real-tool-use.jsonl', r.stdout);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(r.cwd, 'out.txt'), 'utf8')).toBe('hello');

    const toolUses = assistants(r)
      .flatMap((e) => e.message.content)
      .filter((b: any) => b.type === 'tool_use');
    expect(toolUses).toEqual([expect.objectContaining({ id: 'toolu_mock_bash', name: 'Bash', input: { command, description: 'Write out.txt' } })]);
    const userResults = r.events
      .filter((e) => e.type === 'user')
      .flatMap((e) => e.message.content)
      .filter((b: any) => b.type === 'tool_result');
    expect(userResults).toEqual([expect.objectContaining({ tool_use_id: 'toolu_mock_bash', is_error: false })]);
    expect(resultOf(r)).toMatchObject({ is_error: false, result: 'Wrote out.txt.', num_turns: 2, permission_denials: [] });

    const sent = mock!.messageRequests();
    expect(sent).toHaveLength(2);
    expect(findToolResult(sent[0]!.body)).toBeUndefined();
    const toolResult = findToolResult(sent[1]!.body, 'toolu_mock_bash');
    expect(toolResult).toMatchObject({ type: 'tool_result', tool_use_id: 'toolu_mock_bash' });
    expect(toolResult!.is_error ?? false).toBe(false);
    expect(toolResultText(toolResult)).toBe('(Bash completed with no output)');
  }, 60_000);

  it('ends with an is_error result on a 529, after the retries it was allowed (an api_retry event each)', async () => {
    const r = await run(
      onMainLoop(() => ({ kind: 'error', status: 529, message: 'Overloaded' })),
      { env: { maxRetries: 1 } },
    );
    save('real-api-error.jsonl', r.stdout);
    expect(r.code).toBe(1);
    expect(mock!.messageRequests()).toHaveLength(2);
    expect(r.events.filter((e) => e.type === 'system' && e.subtype === 'api_retry')).toEqual([
      expect.objectContaining({ attempt: 1, max_retries: 1, error_status: 529, error: 'overloaded' }),
    ]);
    const synthetic = only(assistants(r), 'one assistant event');
    expect(synthetic).toMatchObject({ error: 'server_error', is_api_error_message: true, api_error_status: 529, message: { model: '<synthetic>' } });
    const result = resultOf(r);
    expect(result).toMatchObject({
      subtype: 'success',
      is_error: true,
      api_error_status: 529,
      api_error_type: 'overloaded_error',
      terminal_reason: 'api_error',
      total_cost_usd: 0,
    });
    expect(result.result).toBe(
      `API Error: 529 Overloaded. This is a server-side issue, usually temporary — try again in a moment. If it persists, check your inference gateway (127.0.0.1:${mock!.port}).`,
    );
  }, 60_000);

  it('does not retry an error sent with x-should-retry: false, even with its default of 10 retries', async () => {
    const r = await run(
      onMainLoop(() => ({ kind: 'error', status: 500, message: 'Internal server error', shouldRetry: false })),
      { env: { maxRetries: null } },
    );
    expect(r.code).toBe(1);
    expect(mock!.messageRequests()).toHaveLength(1);
    expect(resultOf(r)).toMatchObject({ is_error: true, api_error_status: 500, api_error_type: 'api_error' });
    expect(resultOf(r).result).toMatch(/^API Error: 500 Internal server error\. /);
  }, 60_000);

  it('reports a usage limit as a subscriber sees it: rate_limit_event, then "You\'ve hit your 5-hour limit · resets …"', async () => {
    const resetsAt = (Math.floor(Date.now() / 3_600_000) + 2) * 3600; // a whole hour, 1–2 h away
    const r = await run(
      onMainLoop(() => ({ kind: 'usage-limit', resetsAt })),
      { env: { subscriber: true, maxRetries: null } },
    );
    save('real-usage-limit.jsonl', r.stdout);
    expect(r.code).toBe(1);
    expect(mock!.messageRequests()).toHaveLength(1); // x-should-retry: false
    const hour = new Date(resetsAt * 1000).getUTCHours();
    const said = `${hour % 12 === 0 ? 12 : hour % 12}${hour < 12 ? 'am' : 'pm'}`;
    const text = `You've hit your 5-hour limit · resets ${said} (UTC)`;

    const info = { status: 'rejected', resetsAt, rateLimitType: 'five_hour', isUsingOverage: false };
    expect(
      only(
        r.events.filter((e) => e.type === 'rate_limit_event'),
        'one rate_limit_event',
      ),
    ).toMatchObject({ rate_limit_info: info });
    expect(only(assistants(r), 'one assistant event')).toMatchObject({
      error: 'rate_limit',
      is_api_error_message: true,
      api_error_status: 429,
      api_error: 'usage_limit_reached',
      api_error_params: { rate_limit_info: info },
      message: { model: '<synthetic>', content: [{ type: 'text', text }] },
    });
    expect(resultOf(r)).toMatchObject({
      subtype: 'success',
      is_error: true,
      result: text,
      api_error_status: 429,
      api_error_type: 'rate_limit_error',
      api_error: 'usage_limit_reached',
    });
  }, 60_000);

  it('reports the same 429 with API-key auth as "API Error: Request rejected (429) · <message>"', async () => {
    const r = await run(
      onMainLoop(() => ({ kind: 'usage-limit' })),
      { env: { maxRetries: null } },
    );
    expect(r.code).toBe(1);
    expect(mock!.messageRequests()).toHaveLength(1);
    expect(r.events.filter((e) => e.type === 'rate_limit_event')).toEqual([]);
    expect(resultOf(r)).toMatchObject({
      is_error: true,
      api_error_status: 429,
      api_error_type: 'rate_limit_error',
      result: `API Error: Request rejected (429) · ${USAGE_LIMIT_MESSAGE}`,
    });
  }, 60_000);

  it('reports an unreachable API (a closed port) as "API Error: Connection refused …", api_error connection_failed', async () => {
    const port = await closedPort();
    const r = await runClaude({ args: CLAUDE_PRINT_ARGS, env: claudeEnv(`http://127.0.0.1:${port}`, { maxRetries: 1 }), cwd: workDir(), stdin: 'Say hello.' });
    save('real-unreachable.jsonl', r.stdout);
    expect(r.code).toBe(1);
    expect(r.events.filter((e) => e.type === 'system' && e.subtype === 'api_retry')).toEqual([
      expect.objectContaining({ attempt: 1, max_retries: 1, error_status: null, error: 'unknown' }),
    ]);
    expect(only(assistants(r), 'one assistant event')).toMatchObject({
      error: 'server_error',
      is_api_error_message: true,
      api_error: 'connection_failed',
      message: { model: '<synthetic>' },
    });
    expect(resultOf(r)).toMatchObject({
      subtype: 'success',
      is_error: true,
      api_error: 'connection_failed',
      terminal_reason: 'api_error',
      result: expect.stringMatching(/^API Error: Connection refused .*\(ECONNREFUSED\)$/),
    });
  }, 60_000);

  it('while it retries an unreachable API, prints only its init and one api_retry event per attempt (what a killed run leaves)', async () => {
    const port = await closedPort();
    // Its own 10 retries take minutes: killed after its third retry, as a --task-timeout would.
    const r = await runClaude({
      args: CLAUDE_PRINT_ARGS,
      env: claudeEnv(`http://127.0.0.1:${port}`, { maxRetries: null }),
      cwd: workDir(),
      stdin: 'Say hello.',
      killWhen: (stdout) => (stdout.match(/"subtype":"api_retry"[^\n]*\n/g) ?? []).length >= 3,
    });
    save('real-unreachable-killed.jsonl', r.stdout);
    expect(r.signal).toBe('SIGKILL');
    initOf(r);
    const retries = r.events.filter((e) => e.type === 'system' && e.subtype === 'api_retry');
    expect(retries.length).toBeGreaterThanOrEqual(3);
    for (const retry of retries) expect(retry).toMatchObject({ max_retries: 10, error_status: null, error: 'unknown' });
    expect(r.events.filter((e) => e.type !== 'system')).toEqual([]);
  }, 60_000);

  it('reports a rejected API key (401) as "Invalid API key · …", error authentication_failed', async () => {
    const r = await run(onMainLoop(() => ({ kind: 'error', status: 401, message: 'invalid x-api-key', shouldRetry: false })));
    save('real-auth.jsonl', r.stdout);
    expect(r.code).toBe(1);
    expect(only(assistants(r), 'one assistant event')).toMatchObject({ error: 'authentication_failed', api_error_status: 401 });
    expect(resultOf(r)).toMatchObject({
      is_error: true,
      api_error_status: 401,
      api_error_type: 'authentication_error',
      result: expect.stringMatching(/^Invalid API key/),
    });
  }, 60_000);

  it('reports a prompt over the context window as "Prompt is too long · …", terminal_reason prompt_too_long', async () => {
    const r = await run(
      onMainLoop(() => ({
        kind: 'error',
        status: 400,
        type: 'invalid_request_error',
        message: 'prompt is too long: 250000 tokens > 200000 maximum',
        shouldRetry: false,
      })),
    );
    save('real-prompt-too-long.jsonl', r.stdout);
    expect(r.code).toBe(1);
    expect(resultOf(r)).toMatchObject({
      is_error: true,
      api_error_status: 400,
      terminal_reason: 'prompt_too_long',
      result: expect.stringMatching(/^Prompt is too long/),
    });
  }, 60_000);

  it('stops at --max-turns with an error_max_turns result', async () => {
    const r = await run(toolTurnThenText({ name: 'Bash', input: { command: 'true', description: 'nothing' }, id: 'toolu_mock_turns' }, 'never reached'), {
      args: ['--allowedTools', 'Bash', '--max-turns', '1'],
    });
    save('real-max-turns.jsonl', r.stdout);
    expect(resultOf(r)).toMatchObject({ subtype: 'error_max_turns', num_turns: 2 });
  }, 60_000);

  it('has --bare: a minimal mode with only Bash, Edit and Read', async () => {
    const r = await run(
      onMainLoop(() => ({ kind: 'text', text: 'bare' })),
      { args: ['--bare'] },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(initOf(r).tools).toEqual(['Bash', 'Edit', 'Read']);
    expect(mock!.messageRequests()[0]!.body.tools.map((t: any) => t.name)).toEqual(['Bash', 'Edit', 'Read']);
    expect(resultOf(r)).toMatchObject({ is_error: false, result: 'bare' });
  }, 60_000);
});
