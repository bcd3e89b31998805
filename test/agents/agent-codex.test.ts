import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AgentOptions, BuildContext, ParsedOutput } from '../../src/agents/cli-spec.js';

// The text recogniser runs for real; the mock only lets tests see its calls and stand in for it.
vi.mock('../../src/agents/usage-limit.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/agents/usage-limit.js')>();
  return { ...actual, detectUsageLimit: vi.fn(actual.detectUsageLimit) };
});

const { codex } = await import('../../src/agents/adapters/codex.js');
const { detectUsageLimit } = await import('../../src/agents/usage-limit.js');

const fixture = (name: string): string => readFileSync(join(import.meta.dirname, '../fixtures/agents/codex', name), 'utf8');
const NOW = new Date('2026-04-10T10:00:00Z');

afterEach(() => {
  vi.mocked(detectUsageLimit).mockClear();
});

describe('codex: build', () => {
  const ctx = (isRoot: boolean): BuildContext => ({ promptFile: '/tmp/ralph/prompt.md', cwd: '/srv/work', isRoot });

  it.each<[string, Partial<AgentOptions>, boolean, string[]]>([
    ['no options', {}, false, ['exec', '--json', '--sandbox', 'workspace-write', '--skip-git-repo-check', '-']],
    ['no options, as root (no difference)', {}, true, ['exec', '--json', '--sandbox', 'workspace-write', '--skip-git-repo-check', '-']],
    ['a model', { model: 'gpt-5-codex' }, false, ['exec', '--json', '--sandbox', 'workspace-write', '--skip-git-repo-check', '--model', 'gpt-5-codex', '-']],
    ['an empty model', { model: '' }, false, ['exec', '--json', '--sandbox', 'workspace-write', '--skip-git-repo-check', '-']],
    ['a sandbox', { own: { sandbox: 'danger-full-access' } }, true, ['exec', '--json', '--sandbox', 'danger-full-access', '--skip-git-repo-check', '-']],
    [
      'extra args (before the stdin marker)',
      { extraArgs: ['-c', 'model_reasoning_effort=high'] },
      false,
      ['exec', '--json', '--sandbox', 'workspace-write', '--skip-git-repo-check', '-c', 'model_reasoning_effort=high', '-'],
    ],
    [
      'claude-only options (ignored)',
      { own: { permissionMode: 'plan', allowedTools: 'Bash' } },
      false,
      ['exec', '--json', '--sandbox', 'workspace-write', '--skip-git-repo-check', '-'],
    ],
    [
      'everything',
      { model: 'o4-mini', extraArgs: ['--color', 'never'], own: { sandbox: 'read-only' } },
      false,
      ['exec', '--json', '--sandbox', 'read-only', '--skip-git-repo-check', '--model', 'o4-mini', '--color', 'never', '-'],
    ],
  ])('%s', (_what, over, isRoot, args) => {
    const prompt = 'Fix the bug; then say "FINDINGS: …"\n$(rm -rf /) `x`';
    const built = codex.build(prompt, { extraArgs: [], ...over }, ctx(isRoot));
    expect(built).toEqual({ args, env: {}, stdin: prompt });
    expect(built.args).not.toContain('--full-auto');
  });
});

describe('codex: parse', () => {
  it.each<[string, number | null, ParsedOutput]>([
    [
      'success.jsonl',
      0,
      {
        text: 'Created hello.txt with the greeting.\n\nFINDINGS: wrote hello.txt ("hello, world").',
        isError: false,
        tokens: { input: 24763, output: 122, cache_read: 24448 },
        sessionId: '0199a213-81c0-7800-8aa1-bbab2a035a53',
        details: { turns: 1 },
      },
    ],
    [
      'tool-use.jsonl',
      0,
      {
        // The last agent message, not the first.
        text: 'parse() now returns undefined for malformed input; the tests pass.',
        isError: false,
        tokens: { input: 58210, output: 1430, cache_read: 51200, reasoning: 512 },
        sessionId: '0199b5d2-4c1e-7a30-9f12-6e8d0c4b2a71',
        details: { turns: 1 },
      },
    ],
    [
      'recovered.jsonl',
      0,
      {
        text: 'Done: the README typo is fixed.',
        isError: false,
        tokens: { input: 9120, output: 64, cache_read: 0 },
        sessionId: '0199c7e4-1a2b-7c3d-8e4f-5a6b7c8d9e0f',
        details: {
          turns: 1,
          warnings: [
            'Under-development features enabled: unified_exec. Under-development features are incomplete and may behave unpredictably.',
            'Reconnecting... 1/5 (stream disconnected before completion: Transport error: error decoding response body)',
            'Reconnecting... 2/5 (stream disconnected before completion: Transport error: error decoding response body)',
          ],
        },
      },
    ],
    [
      'error.jsonl',
      1,
      {
        text: '',
        isError: true,
        error: 'unexpected status 401 Unauthorized: Missing bearer or basic authentication in header',
        sessionId: '0199d8f5-2b3c-7d4e-9f5a-6b7c8d9e0f1a',
        details: { turns: 0 },
      },
    ],
    [
      'usage-limit.jsonl',
      1,
      {
        text: '',
        isError: true,
        error: "You've hit your usage limit. Upgrade to Pro (https://openai.com/chatgpt/pricing) or try again in 2 days 17 hours 14 minutes.",
        sessionId: '019a77e4-0716-7152-8396-b642e26c3e20',
        usageLimit: {
          message: "You've hit your usage limit. Upgrade to Pro (https://openai.com/chatgpt/pricing) or try again in 2 days 17 hours 14 minutes.",
          resetsAt: '2026-04-13T03:14:00.000Z',
        },
        details: { turns: 0 },
      },
    ],
    [
      'usage-limit-json.jsonl',
      1,
      {
        text: '',
        isError: true,
        error: 'usage_limit_reached: The usage limit has been reached',
        sessionId: '019a8b5c-2d3e-7f40-8a51-c6d7e8f9a0b1',
        // NOW + resets_in_seconds (13872 s = 3 h 51 min 12 s).
        usageLimit: { message: 'The usage limit has been reached', resetsAt: '2026-04-10T13:51:12.000Z' },
        details: { turns: 0 },
      },
    ],
    [
      'usage-limit-resets-at.jsonl',
      1,
      {
        text: '',
        isError: true,
        error: 'usage_limit_reached: The usage limit has been reached',
        sessionId: '019a9c6d-3e4f-7051-9b62-d7e8f9a0b1c2',
        // resets_at wins over resets_in_seconds.
        usageLimit: { message: 'The usage limit has been reached', resetsAt: '2026-05-04T23:16:08.000Z' },
        details: { turns: 0 },
      },
    ],
    [
      'legacy.jsonl',
      0,
      {
        text: 'All tests pass.\n\nFINDINGS: nothing to fix.',
        isError: false,
        tokens: { input: 5000, output: 50, cache_read: 1000 },
        sessionId: '0199a0b1-c2d3-7e4f-a5b6-c7d8e9f0a1b2',
        details: { turns: 1 },
      },
    ],
    ['legacy-msg.jsonl', 0, { text: 'The repository builds cleanly.', isError: false, details: { turns: 0 } }],
    [
      'truncated.jsonl',
      0,
      {
        text: '',
        isError: true,
        error: 'no agent message in the output (truncated?)',
        sessionId: '0199e9a6-3c4d-7e5f-8a6b-7c8d9e0f1a2b',
        details: { turns: 0 },
      },
    ],
    [
      'truncated.jsonl',
      null,
      {
        text: '',
        isError: true,
        error: 'no agent message in the output',
        sessionId: '0199e9a6-3c4d-7e5f-8a6b-7c8d9e0f1a2b',
        details: { turns: 0 },
      },
    ],
    ['malformed.txt', 1, { text: '', isError: true, error: 'error event without a message', details: { turns: 1 } }],
  ])('%s (exit %s)', (name, exitCode, expected) => {
    expect(codex.parse(fixture(name), exitCode, NOW)).toEqual(expected);
  });

  const events = (...lines: unknown[]): string => lines.map((l) => JSON.stringify(l)).join('\n');
  const message = (text: string): unknown => ({ type: 'item.completed', item: { id: 'i', type: 'agent_message', text } });
  const completed = (input: number, output: number, cached = 0): unknown => ({
    type: 'turn.completed',
    usage: { input_tokens: input, cached_input_tokens: cached, output_tokens: output },
  });

  it.each<[string, string, number | null, Partial<ParsedOutput>]>([
    [
      'tokens summed over turns',
      events(message('a'), completed(10, 1, 5), message('b'), completed(20, 2, 0)),
      0,
      { text: 'b', isError: false, tokens: { input: 30, output: 3, cache_read: 5 } },
    ],
    [
      'an error after the answer',
      events(
        message('ok'),
        { type: 'error', message: 'shared rollout token budget exhausted' },
        { type: 'turn.failed', error: { message: 'shared rollout token budget exhausted' } },
      ),
      0,
      { text: 'ok', isError: true, error: 'shared rollout token budget exhausted' },
    ],
    [
      'an error a completed turn came after',
      events({ type: 'error', message: 'transient' }, message('fine'), completed(1, 1)),
      0,
      { text: 'fine', isError: false },
    ],
    [
      'a reconnect that never recovered',
      events({ type: 'error', message: 'Reconnecting... 5/5 (stream closed)' }),
      1,
      { text: '', isError: true, error: 'Reconnecting... 5/5 (stream closed)' },
    ],
    [
      'a non-zero exit without an answer',
      events({ type: 'thread.started', thread_id: 't' }),
      2,
      { isError: true, error: 'no agent message in the output', sessionId: 't' },
    ],
    ['a non-zero exit after an answer (the runner judges the exit code)', events(message('done'), completed(1, 1)), 1, { text: 'done', isError: false }],
    ['a completed turn without a message', events(completed(1, 1)), 0, { text: '', isError: false }],
    [
      'an error item (a warning, not a failure)',
      events({ type: 'item.completed', item: { type: 'error', message: 'heads up' } }, message('ok'), completed(1, 1)),
      0,
      { isError: false, details: { turns: 1, warnings: ['heads up'] } },
    ],
    [
      'a usage limit object on the event itself',
      events({ type: 'turn.failed', error: { message: 'limited', type: 'usage_limit_reached', resets_in_seconds: 60 } }),
      1,
      { usageLimit: { message: 'limited', resetsAt: '2026-04-10T10:01:00.000Z' } },
    ],
    [
      'a usage limit with resets_at in milliseconds',
      events({ type: 'error', message: '{"type":"usage_limit_reached","resets_at":1777936568000}' }),
      1,
      { usageLimit: { message: 'usage limit reached', resetsAt: '2026-05-04T23:16:08.000Z' } },
    ],
    [
      'a usage limit without a reset time',
      events({ type: 'error', message: 'Error: {"error":{"type":"usage_limit_reached"}}' }),
      1,
      { error: 'usage_limit_reached', usageLimit: { message: 'usage limit reached' } },
    ],
    [
      'the old msg envelope error',
      events({ id: '0', msg: { type: 'error', message: 'stream error: boom' } }),
      1,
      { isError: true, error: 'stream error: boom' },
    ],
  ])('%s', (_what, stdout, exitCode, expected) => {
    expect(codex.parse(stdout, exitCode, NOW)).toMatchObject(expected);
  });

  it('reports no cost (codex does not say)', () => {
    expect(codex.parse(fixture('success.jsonl'), 0, NOW)).not.toHaveProperty('costUsd');
  });

  it('runs the text recogniser on the error messages with the given clock and zone', () => {
    codex.parse(fixture('error.jsonl'), 1, NOW, 'UTC');
    const message = 'unexpected status 401 Unauthorized: Missing bearer or basic authentication in header';
    expect(detectUsageLimit).toHaveBeenCalledWith(`${message}\n${message}`, NOW, 'UTC');
  });

  it('prefers the structured limit to the text', () => {
    codex.parse(fixture('usage-limit-json.jsonl'), 1, NOW);
    expect(detectUsageLimit).not.toHaveBeenCalled();
  });

  it('passes on what the recogniser finds', () => {
    vi.mocked(detectUsageLimit).mockReturnValueOnce({ message: 'limited' });
    expect(codex.parse(fixture('error.jsonl'), 1, NOW).usageLimit).toEqual({ message: 'limited' });
  });

  it.each(['success.jsonl', 'tool-use.jsonl', 'recovered.jsonl'])('does not look for a usage limit in a successful run (%s)', (name) => {
    expect(codex.parse(fixture(name), 0, NOW).usageLimit).toBeUndefined();
    expect(detectUsageLimit).not.toHaveBeenCalled();
  });

  it('defaults the clock to now', () => {
    expect(codex.parse(fixture('success.jsonl'), 0).isError).toBe(false);
  });

  // None of these has an agent message, so every one is a failed run.
  const garbage = [
    '',
    '\n\n',
    'null',
    '{',
    '}',
    '[]',
    '{"type":"item.completed"',
    '{"type":"item.completed","item":[]}',
    '\u0000\uffff\ud800',
    'b'.repeat(100_000),
    '{"type":"error","message":{"nested":true}}',
  ];
  it.each(garbage.map((g) => [JSON.stringify(g).slice(0, 40), g]))('never throws: %s', (_label, input) => {
    for (const exitCode of [0, 1, null]) {
      const parsed = codex.parse(input, exitCode, NOW);
      expect(typeof parsed.text).toBe('string');
      expect(parsed.isError).toBe(true);
    }
  });

  it('never throws on any prefix of a recorded stream', () => {
    const full = fixture('tool-use.jsonl');
    for (let cut = 0; cut <= full.length; cut += 41) {
      const parsed = codex.parse(full.slice(0, cut), 0, NOW);
      expect(typeof parsed.isError).toBe('boolean');
    }
  });

  it('never throws on random bytes', () => {
    let seed = 777;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const alphabet = '{}[]":,\\ \nabtypeitmsgrorlu0123456789-.';
    for (let run = 0; run < 200; run++) {
      let text = '';
      const length = next() % 400;
      for (let i = 0; i < length; i++) text += alphabet[next() % alphabet.length];
      expect(() => codex.parse(text, next() % 2, NOW)).not.toThrow();
      expect(() => codex.renderLine(text)).not.toThrow();
    }
  });
});

/** A fixture recorded from the real binary: its stdout, and the clock and zone it was recorded with (its first line). */
function recorded(name: string): { stdout: string; now: Date; tz: string } {
  const stdout = fixture(name);
  const header = JSON.parse(stdout.split('\n')[0]!) as { fixture: string; recorded_at: string; tz: string };
  expect(header.fixture).toBe('codex-cli 0.171.0');
  return { stdout, now: new Date(header.recorded_at), tz: header.tz };
}

describe('codex: parse what codex-cli 0.171.0 printed (recorded by test/agents/codex-real.test.ts)', () => {
  const METADATA = 'Model metadata for `gpt-5-codex` not found. Defaulting to fallback metadata; this can degrade performance and cause issues.';
  const LIMIT =
    'You’ve hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro), visit https://chatgpt.com/settings/usage to purchase more credits or try again at';

  it.each<[string, number | null, Partial<ParsedOutput>]>([
    [
      'real-tool-use.jsonl',
      0,
      {
        text: 'Wrote made.txt.\n\nFINDINGS: made.txt written by the shell tool',
        isError: false,
        // Both model turns, as Codex sums them; cache writes too (cache_write_input_tokens).
        tokens: { input: 2000, output: 400, cache_read: 600, cache_write: 80, reasoning: 128 },
        sessionId: '01a24ef0-7a8d-75d2-a3c9-162af6f0f422',
        details: { turns: 1, warnings: [METADATA] },
      },
    ],
    // "try again at 2:23 PM" said in Tokyo at 14:18:33 there: 05:23 UTC, not 14:23 UTC.
    [
      'real-usage-limit-today.jsonl',
      1,
      {
        isError: true,
        usageLimit: { message: `${LIMIT} 2:23 PM.`, resetsAt: '2026-12-07T05:23:00.000Z' },
      },
    ],
    // "Dec 8th, 2026 8:18 PM" in Tokyo.
    [
      'real-usage-limit-date.jsonl',
      1,
      {
        isError: true,
        usageLimit: { message: `${LIMIT} Dec 8th, 2026 8:18 PM.`, resetsAt: '2026-12-08T11:18:00.000Z' },
      },
    ],
    [
      'real-auth.jsonl',
      1,
      {
        isError: true,
        error: expect.stringMatching(
          /^unexpected status 401 Unauthorized: Incorrect API key provided: sk-ralph\*\*\*\., url: http:\/\/127\.0\.0\.1:\d+\/v1\/responses$/,
        ),
      },
    ],
    // The provider's env_key is not set: nothing was sent.
    ['real-missing-key.jsonl', 1, { isError: true, error: 'Missing environment variable: `RALPH_TEST_CODEX_KEY`.', cause: { label: 'auth failure' } }],
    // An HTTP 500 from the API: codex says it in its own words, whatever the body said.
    ['real-server-error.jsonl', 1, { isError: true, error: 'We’re currently experiencing high demand, which may cause temporary errors.' }],
    // Killed while it waited for the network: the last retry says why.
    ['real-unreachable-killed.jsonl', null, { isError: true, error: 'Reconnecting... waiting for network (Connection failed: error sending request)' }],
  ])('%s', (name, exitCode, expected) => {
    const { stdout, now, tz } = recorded(name);
    const parsed = codex.parse(stdout, exitCode, now, tz);
    expect(parsed).toMatchObject(expected);
    if (!('usageLimit' in expected)) expect(parsed.usageLimit).toBeUndefined();
  });

  it('reads a clock time in the local time zone (TZ) by default: the one the agent ran with', () => {
    const { stdout, now } = recorded('real-usage-limit-today.jsonl');
    const saved = process.env.TZ;
    try {
      process.env.TZ = 'Asia/Tokyo';
      expect(codex.parse(stdout, 1, now).usageLimit?.resetsAt).toBe('2026-12-07T05:23:00.000Z');
      process.env.TZ = 'UTC';
      expect(codex.parse(stdout, 1, now).usageLimit?.resetsAt).toBe('2026-12-07T14:23:00.000Z');
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });
});

describe('codex: renderLine', () => {
  const line = (value: unknown): string => JSON.stringify(value);
  const item = (value: Record<string, unknown>): string => line({ type: 'item.completed', item: { id: 'item_1', ...value } });

  it.each<[string, string, string | undefined]>([
    ['thread.started', line({ type: 'thread.started', thread_id: 'abc' }), 'thread abc started'],
    ['turn.started (left out)', line({ type: 'turn.started' }), ''],
    ['an agent message', item({ type: 'agent_message', text: 'Done.\n\nFINDINGS: ok' }), 'assistant: Done. ⏎ FINDINGS: ok'],
    ['an old assistant message', item({ item_type: 'assistant_message', text: 'Hi' }), 'assistant: Hi'],
    ['a long agent message (cut at 500)', item({ type: 'agent_message', text: 'x'.repeat(501) }), `assistant: ${'x'.repeat(499)}…`],
    ['an agent message without text', item({ type: 'agent_message' }), undefined],
    ['reasoning (cut at 200)', item({ type: 'reasoning', text: 'r'.repeat(250) }), `thinking: ${'r'.repeat(199)}…`],
    ['a command', item({ type: 'command_execution', command: 'bash -lc ls', exit_code: 0, status: 'completed' }), 'command: bash -lc ls → exit 0'],
    ['a failed command', item({ type: 'command_execution', command: 'npm test', exit_code: 1, status: 'failed' }), 'command: npm test → exit 1'],
    [
      'a declined command (no exit code)',
      item({ type: 'command_execution', command: 'rm -rf /', exit_code: null, status: 'declined' }),
      'command: rm -rf / → declined',
    ],
    ['a command as an argv array', item({ type: 'command_execution', command: ['bash', '-lc', 'ls'], exit_code: 0 }), 'command: bash -lc ls → exit 0'],
    [
      'a command starting',
      line({ type: 'item.started', item: { type: 'command_execution', command: 'make', status: 'in_progress' } }),
      'command started: make',
    ],
    ['another item starting (left out)', line({ type: 'item.started', item: { type: 'todo_list', items: [] } }), ''],
    ['an item update (left out)', line({ type: 'item.updated', item: { type: 'todo_list', items: [] } }), ''],
    [
      'a file change',
      item({
        type: 'file_change',
        changes: [
          { path: 'a.ts', kind: 'update' },
          { path: 'b.ts', kind: 'add' },
        ],
        status: 'completed',
      }),
      'files changed: update a.ts, add b.ts',
    ],
    ['an MCP tool call', item({ type: 'mcp_tool_call', server: 'docs', tool: 'search', status: 'failed' }), 'tool docs.search: failed'],
    ['a web search', item({ type: 'web_search', query: 'vitest each' }), 'web search: vitest each'],
    [
      'a todo list',
      item({
        type: 'todo_list',
        items: [
          { text: 'a', completed: true },
          { text: 'b', completed: false },
        ],
      }),
      'todo: 1/2 done',
    ],
    ['an error item', item({ type: 'error', message: 'feature flag warning' }), 'warning: feature flag warning'],
    ['an unknown item', item({ type: 'collab_tool_call' }), undefined],
    [
      'turn.completed',
      line({ type: 'turn.completed', usage: { input_tokens: 1200, cached_input_tokens: 200, output_tokens: 345 } }),
      'turn completed (in 1200, out 345 tokens)',
    ],
    ['turn.failed', line({ type: 'turn.failed', error: { message: 'stream disconnected' } }), 'turn failed: stream disconnected'],
    ['an error', line({ type: 'error', message: 'unexpected status 401' }), 'error: unexpected status 401'],
    [
      'an error with a JSON body',
      line({ type: 'error', message: '{"error":{"type":"usage_limit_reached","message":"The usage limit has been reached"}}' }),
      'error: usage_limit_reached: The usage limit has been reached',
    ],
    ['a reconnect', line({ type: 'error', message: 'Reconnecting... 1/5 (timeout)' }), 'retrying: Reconnecting... 1/5 (timeout)'],
    ['an old msg envelope', line({ id: '0', msg: { type: 'agent_message', message: 'hi' } }), undefined],
    ['an unknown event', line({ type: 'thread.resumed' }), undefined],
    ['a half line', '{"type":"item.completed","item":{"ty', undefined],
    ['plain text', 'Reading prompt from stdin...', undefined],
    ['an empty line', '', undefined],
  ])('%s', (_what, input, expected) => {
    expect(codex.renderLine(input)).toBe(expected);
  });
});

describe('codex: spec', () => {
  it('names itself and says how to install it', () => {
    expect(codex).toMatchObject({ name: 'codex', title: 'OpenAI Codex CLI', bin: 'codex' });
    expect(codex.install).toContain('@openai/codex');
    expect(codex.formatNote).toContain('codex exec --json');
  });
});
