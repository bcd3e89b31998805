import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AgentOptions, BuildContext, ParsedOutput } from '../../src/agents/cli-spec.js';

// The text recogniser runs for real; the mock only lets tests see its calls and stand in for it.
vi.mock('../../src/agents/usage-limit.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/agents/usage-limit.js')>();
  return { ...actual, detectUsageLimit: vi.fn(actual.detectUsageLimit) };
});

const { claude } = await import('../../src/agents/adapters/claude.js');
const { detectUsageLimit } = await import('../../src/agents/usage-limit.js');

const fixture = (name: string): string => readFileSync(join(import.meta.dirname, '../fixtures/agents/claude', name), 'utf8');
const NOW = new Date('2026-04-10T10:00:00Z');

afterEach(() => {
  vi.mocked(detectUsageLimit).mockClear();
});

describe('claude: build', () => {
  const ctx = (isRoot: boolean): BuildContext => ({ promptFile: '/tmp/ralph/prompt.md', cwd: '/srv/work', isRoot });
  const base = ['-p', '--output-format', 'stream-json', '--verbose'];

  it.each<[string, Partial<AgentOptions>, boolean, string[]]>([
    ['no options, not root', {}, false, [...base, '--permission-mode', 'bypassPermissions']],
    [
      'no options, as root (acceptEdits refuses most commands alone: Bash allowed)',
      {},
      true,
      [...base, '--permission-mode', 'acceptEdits', '--allowedTools', 'Bash'],
    ],
    ['tools chosen, as root', { own: { allowedTools: 'Edit' } }, true, [...base, '--permission-mode', 'acceptEdits', '--allowedTools', 'Edit']],
    ['a model', { model: 'claude-opus-4-1' }, false, [...base, '--model', 'claude-opus-4-1', '--permission-mode', 'bypassPermissions']],
    ['an empty model', { model: '' }, false, [...base, '--permission-mode', 'bypassPermissions']],
    ['a permission mode, not root', { own: { permissionMode: 'plan' } }, false, [...base, '--permission-mode', 'plan']],
    ['a permission mode, as root', { own: { permissionMode: 'default' } }, true, [...base, '--permission-mode', 'default']],
    [
      'bypassPermissions asked for as root (passed; claude decides)',
      { own: { permissionMode: 'bypassPermissions' } },
      true,
      [...base, '--permission-mode', 'bypassPermissions'],
    ],
    [
      'allowed tools (one argument)',
      { own: { allowedTools: 'Bash(git:*) Edit,Read' } },
      false,
      [...base, '--permission-mode', 'bypassPermissions', '--allowedTools', 'Bash(git:*) Edit,Read'],
    ],
    [
      'extra args (last)',
      { extraArgs: ['--max-turns', '5', '--add-dir', '/data'] },
      false,
      [...base, '--permission-mode', 'bypassPermissions', '--max-turns', '5', '--add-dir', '/data'],
    ],
    [
      'everything, as root',
      { model: 'sonnet', extraArgs: ['--debug'], own: { permissionMode: 'acceptEdits', allowedTools: 'Read' } },
      true,
      [...base, '--model', 'sonnet', '--permission-mode', 'acceptEdits', '--allowedTools', 'Read', '--debug'],
    ],
  ])('%s', (_what, over, isRoot, args) => {
    const prompt = 'Fix the bug; then say "FINDINGS: …"\n$(rm -rf /) `x` \'quoted\'';
    const built = claude.build(prompt, { extraArgs: [], ...over }, ctx(isRoot));
    expect(built).toEqual({ args, env: {}, stdin: prompt });
    expect(built.args.some((a) => a.includes('FINDINGS'))).toBe(false);
  });
});

describe('claude: parse', () => {
  it.each<[string, number | null, ParsedOutput]>([
    [
      'success.jsonl',
      0,
      {
        text: 'Created hello.txt containing the greeting.\n\nFINDINGS: wrote hello.txt ("hello, world"); no other files changed.',
        isError: false,
        costUsd: 0.0412345,
        // input_tokens 11 + the cache reads and writes: Ralph's input holds them.
        tokens: { input: 37085, output: 151, cache_read: 31744, cache_write: 5330 },
        sessionId: '3f6c2a1e-8b4d-4c7a-9e21-5d0b7a9c4e11',
        model: 'claude-sonnet-4-5-20250929',
        details: { num_turns: 3, subtype: 'success', duration_ms: 9876 },
      },
    ],
    [
      'tool-use.jsonl',
      0,
      {
        text: 'The parser now returns undefined for malformed input and the test passes.',
        isError: false,
        costUsd: 0.3175,
        tokens: { input: 33546, output: 297, cache_read: 24850, cache_write: 8670 },
        sessionId: '9c0d7e55-2a41-4f3b-b6a8-71e2f4c8d903',
        model: 'claude-opus-4-1-20250805',
        details: { num_turns: 7, subtype: 'success', duration_ms: 31250 },
      },
    ],
    [
      'error.jsonl',
      1,
      {
        text: 'Invalid API key · Please run /login',
        isError: true,
        error: 'Invalid API key · Please run /login',
        costUsd: 0,
        tokens: { input: 0, output: 0, cache_read: 0, cache_write: 0 },
        sessionId: '5e7a1b2c-3d4e-4f5a-8b6c-7d8e9f0a1b2c',
        model: 'claude-sonnet-4-5-20250929',
        details: { num_turns: 1, subtype: 'success', duration_ms: 412 },
      },
    ],
    [
      'api-error.jsonl',
      1,
      {
        text: 'API Error: 529 {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":null}',
        isError: true,
        error: 'API Error: 529 {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":null}',
        costUsd: 0,
        tokens: { input: 0, output: 0, cache_read: 0, cache_write: 0 },
        sessionId: '6f8b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d',
        model: 'claude-sonnet-4-5-20250929',
        details: { num_turns: 1, subtype: 'success', duration_ms: 61234 },
      },
    ],
    [
      'usage-limit.jsonl',
      1,
      {
        text: 'Claude AI usage limit reached|1776000000',
        isError: true,
        error: 'Claude AI usage limit reached|1776000000',
        costUsd: 0,
        tokens: { input: 0, output: 0, cache_read: 0, cache_write: 0 },
        sessionId: '7a9c3d4e-5f6a-4b7c-8d8e-9f0a1b2c3d4e',
        model: 'claude-sonnet-4-5-20250929',
        usageLimit: { message: 'Claude AI usage limit reached|1776000000', resetsAt: '2026-04-12T13:20:00.000Z' },
        details: { num_turns: 1, subtype: 'success', duration_ms: 733 },
      },
    ],
    [
      'usage-limit-resets.jsonl',
      0,
      {
        text: "You've hit your limit · resets 1pm (Europe/Berlin)",
        isError: true,
        error: "You've hit your limit · resets 1pm (Europe/Berlin)",
        costUsd: 0.0213,
        tokens: { input: 4004, output: 9, cache_read: 0, cache_write: 4000 },
        sessionId: '8b0d4e5f-6a7b-4c8d-9e9f-0a1b2c3d4e5f',
        model: 'claude-opus-4-1-20250805',
        // 1pm in Berlin (CEST, UTC+2) on the day of NOW.
        usageLimit: { message: "You've hit your limit · resets 1pm (Europe/Berlin)", resetsAt: '2026-04-10T11:00:00.000Z' },
        details: { num_turns: 2, subtype: 'success', duration_ms: 5120 },
      },
    ],
    [
      'max-turns.jsonl',
      0,
      {
        // error_max_turns carries no `result`: the assistant's words so far stand in for it.
        text: 'Still investigating the flaky test.',
        isError: true,
        error: 'error_max_turns',
        costUsd: 0.8841,
        tokens: { input: 162080, output: 2400, cache_read: 150000, cache_write: 12000 },
        sessionId: '9c1e5f6a-7b8c-4d9e-8f0a-1b2c3d4e5f6a',
        model: 'claude-sonnet-4-5-20250929',
        details: { num_turns: 11, subtype: 'error_max_turns', duration_ms: 120500 },
        cause: { label: 'max turns reached' },
      },
    ],
    [
      'truncated.jsonl',
      null,
      {
        text: "First I'll list the files.",
        isError: true,
        error: 'no result event in the output (truncated?)',
        sessionId: 'ad2f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b',
        model: 'claude-sonnet-4-5-20250929',
      },
    ],
    [
      'truncated.jsonl',
      0,
      {
        text: "First I'll list the files.",
        isError: true,
        error: 'no result event in the output (truncated?)',
        sessionId: 'ad2f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b',
        model: 'claude-sonnet-4-5-20250929',
      },
    ],
    ['malformed.txt', 1, { text: '', isError: true, error: 'no result event in the output (truncated?)' }],
  ])('%s (exit %s)', (name, exitCode, expected) => {
    expect(claude.parse(fixture(name), exitCode, NOW)).toEqual(expected);
  });

  it('takes the last result event and checks is_error before the subtype', () => {
    const first = JSON.stringify({ type: 'result', subtype: 'success', is_error: false, result: 'first answer', session_id: 's1' });
    const last = JSON.stringify({ type: 'result', subtype: 'success', is_error: true, result: 'Credit balance is too low\nsecond line', session_id: 's2' });
    expect(claude.parse(`${first}\n${last}\n`, 0, NOW)).toMatchObject({
      text: 'Credit balance is too low\nsecond line',
      isError: true,
      error: 'Credit balance is too low',
      sessionId: 's2',
    });
  });

  it.each<[string, Record<string, unknown>, Partial<ParsedOutput>]>([
    ['cost_usd when total_cost_usd is missing', { cost_usd: 0.5 }, { costUsd: 0.5 }],
    ['no cost when none is reported', {}, { costUsd: undefined }],
    ['no tokens without usage', {}, { tokens: undefined }],
    [
      'only the known token fields',
      { usage: { input_tokens: 1, service_tier: 'standard', server_tool_use: { web_search_requests: 2 } } },
      { tokens: { input: 1 } },
    ],
    [
      'an error subtype without is_error',
      { subtype: 'error_during_execution', is_error: false, result: undefined },
      { isError: true, error: 'error_during_execution' },
    ],
    [
      'the errors array when there is no result text',
      { subtype: 'error_during_execution', is_error: true, result: undefined, errors: ['Tool permission stream closed'] },
      { isError: true, error: 'Tool permission stream closed' },
    ],
    ['the assistant model when there is no init event', {}, { model: 'claude-haiku-4-5' }],
  ])('reads %s', (_what, fields, expected) => {
    const assistant = JSON.stringify({ type: 'assistant', message: { model: 'claude-haiku-4-5', content: [{ type: 'text', text: 'hi' }] } });
    const result = JSON.stringify({ type: 'result', subtype: 'success', is_error: false, result: 'ok', ...fields });
    const parsed = claude.parse(`${assistant}\n${result}\n`, 0, NOW);
    for (const [key, value] of Object.entries(expected)) {
      if (value === undefined) expect(parsed).not.toHaveProperty(key);
      else expect(parsed).toHaveProperty(key, value);
    }
  });

  it('does not take "<synthetic>" for the model when the init event is missing', () => {
    const withoutInit = fixture('usage-limit.jsonl').split('\n').slice(1).join('\n');
    expect(claude.parse(withoutInit, 1, NOW)).not.toHaveProperty('model');
  });

  it('runs the text recogniser on the result text of a failed run, with the given clock', () => {
    claude.parse(fixture('usage-limit.jsonl'), 1, NOW);
    expect(detectUsageLimit).toHaveBeenCalledWith('Claude AI usage limit reached|1776000000', NOW);
  });

  it('passes on what the recogniser finds', () => {
    vi.mocked(detectUsageLimit).mockReturnValueOnce({ message: 'limited', resetsAt: '2030-01-01T00:00:00.000Z' });
    expect(claude.parse(fixture('error.jsonl'), 1, NOW).usageLimit).toEqual({ message: 'limited', resetsAt: '2030-01-01T00:00:00.000Z' });
  });

  it.each(['success.jsonl', 'tool-use.jsonl'])('does not look for a usage limit in a successful run (%s)', (name) => {
    expect(claude.parse(fixture(name), 0, NOW).usageLimit).toBeUndefined();
    expect(detectUsageLimit).not.toHaveBeenCalled();
  });

  it('looks for a limit in plain lines of a stream without a result', () => {
    const out = `${fixture('truncated.jsonl').split('\n')[0]}\nClaude AI usage limit reached|1776000000\n`;
    expect(claude.parse(out, 1, NOW).usageLimit).toEqual({ message: 'Claude AI usage limit reached|1776000000', resetsAt: '2026-04-12T13:20:00.000Z' });
  });

  it('defaults the clock to now', () => {
    expect(claude.parse(fixture('success.jsonl'), 0).isError).toBe(false);
  });

  // None of these has a result event, so every one is a failed run.
  const garbage = [
    '',
    '\n\n',
    'null',
    '{',
    '}',
    '[]',
    '{"type":"result"',
    '"type":"result"}',
    '\u0000\uffff\ud800',
    'a'.repeat(100_000),
    '{"type":"assistant","message":{"content":[{"type":"text","text":null}]}}',
  ];
  it.each(garbage.map((g) => [JSON.stringify(g).slice(0, 40), g]))('never throws: %s', (_label, input) => {
    for (const exitCode of [0, 1, null]) {
      const parsed = claude.parse(input, exitCode, NOW);
      expect(typeof parsed.text).toBe('string');
      expect(parsed.isError).toBe(true);
    }
  });

  it('reads a result event with fields of the wrong types without throwing', () => {
    const parsed = claude.parse('{"type":"result","result":{"x":1},"usage":[],"is_error":"yes","total_cost_usd":"1","num_turns":null}', 0, NOW);
    expect(parsed).toEqual({ text: '', isError: false });
  });

  it('never throws on any prefix of a recorded stream, and fails every prefix without the result', () => {
    const full = fixture('tool-use.jsonl');
    const resultAt = full.lastIndexOf('{"type":"result"');
    for (let cut = 0; cut <= full.length; cut += 53) {
      const parsed = claude.parse(full.slice(0, cut), 0, NOW);
      if (cut < resultAt + 20) expect(parsed.isError).toBe(true);
    }
    expect(claude.parse(full, 0, NOW).isError).toBe(false);
  });

  it('never throws on random bytes', () => {
    let seed = 12345;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const alphabet = '{}[]":,\\ \nabtrueflsnul0123456789-.e';
    for (let run = 0; run < 200; run++) {
      let text = '';
      const length = next() % 400;
      for (let i = 0; i < length; i++) text += alphabet[next() % alphabet.length];
      expect(() => claude.parse(text, next() % 2, NOW)).not.toThrow();
      expect(() => claude.renderLine(text)).not.toThrow();
    }
  });
});

describe('claude: renderLine', () => {
  const line = (value: unknown): string => JSON.stringify(value);
  const assistant = (...content: unknown[]): string => line({ type: 'assistant', message: { role: 'assistant', content } });

  it.each<[string, string, string | undefined]>([
    [
      'the init event',
      line({ type: 'system', subtype: 'init', session_id: 'abc', model: 'claude-sonnet-4-5', tools: ['Bash'] }),
      'session abc started (model claude-sonnet-4-5)',
    ],
    ['an init event without a model', line({ type: 'system', subtype: 'init', session_id: 'abc' }), 'session abc started'],
    ['another system event', line({ type: 'system', subtype: 'compact_boundary' }), undefined],
    // As Claude Code 2.1.330 prints them while it retries (seen against the mock: 529s, and a closed port).
    [
      'an API retry',
      line({
        type: 'system',
        subtype: 'api_retry',
        attempt: 1,
        max_retries: 3,
        retry_delay_ms: 623,
        error_status: 529,
        error: 'overloaded',
        session_id: 's',
        uuid: 'u',
      }),
      'API error 529 (overloaded); retry 1 of 3 in 0.6s',
    ],
    [
      'an API retry, unreachable',
      line({ type: 'system', subtype: 'api_retry', attempt: 2, max_retries: 10, retry_delay_ms: 1116, error_status: null, error: 'unknown' }),
      'API request failed (API unreachable?); retry 2 of 10 in 1.1s',
    ],
    ['an API retry with little said', line({ type: 'system', subtype: 'api_retry' }), 'API request failed (API unreachable?); retry ?'],
    ['assistant text', assistant({ type: 'text', text: 'Looking at it.\nThen fixing it.' }), 'assistant: Looking at it. ⏎ Then fixing it.'],
    ['long assistant text (cut at 500)', assistant({ type: 'text', text: 'x'.repeat(600) }), `assistant: ${'x'.repeat(499)}…`],
    ['a tool call', assistant({ type: 'tool_use', id: 't1', name: 'Bash', input: { command: 'ls -la' } }), 'tool Bash: {"command":"ls -la"}'],
    [
      'a long tool call (cut at 300)',
      assistant({ type: 'tool_use', name: 'Write', input: { content: 'y'.repeat(400) } }),
      `tool Write: ${`{"content":"${'y'.repeat(400)}"}`.slice(0, 299)}…`,
    ],
    ['thinking', assistant({ type: 'thinking', thinking: 'Hmm.' }), 'thinking: Hmm.'],
    [
      'text and a tool call in one message',
      assistant({ type: 'text', text: 'Listing.' }, { type: 'tool_use', name: 'Bash', input: { command: 'ls' } }),
      'assistant: Listing. | tool Bash: {"command":"ls"}',
    ],
    ['an assistant event with no content', line({ type: 'assistant', message: { content: [] } }), undefined],
    [
      'a tool result',
      line({ type: 'user', message: { content: [{ type: 'tool_result', tool_use_id: 't1', content: 'total 0', is_error: false }] } }),
      'tool result: total 0',
    ],
    [
      'a failed tool result',
      line({ type: 'user', message: { content: [{ type: 'tool_result', content: 'boom', is_error: true }] } }),
      'tool result (error): boom',
    ],
    [
      'a tool result of text blocks',
      line({
        type: 'user',
        message: { content: [{ type: 'tool_result', content: [{ type: 'text', text: 'a' }, { type: 'image' }, { type: 'text', text: 'b' }] }] },
      }),
      'tool result: a [image] b',
    ],
    [
      'a long tool result (cut at 200)',
      line({ type: 'user', message: { content: [{ type: 'tool_result', content: 'z'.repeat(300) }] } }),
      `tool result: ${'z'.repeat(199)}…`,
    ],
    ['a user text message', line({ type: 'user', message: { content: 'hello' } }), undefined],
    [
      'the result',
      line({ type: 'result', subtype: 'success', is_error: false, total_cost_usd: 0.0412345, num_turns: 3, result: 'Done.\nFINDINGS: ok' }),
      'result (success, is_error=false, $0.0412, 3 turns): Done. ⏎ FINDINGS: ok',
    ],
    [
      'a failed result without cost or text',
      line({ type: 'result', subtype: 'error_max_turns', is_error: true, num_turns: 1 }),
      'result (error_max_turns, is_error=true, 1 turn)',
    ],
    ['an unknown event', line({ type: 'stream_event', event: {} }), undefined],
    ['JSON that is not an object', '[1,2]', undefined],
    ['a half line', '{"type":"assistant","message":{"content":[{"type":"te', undefined],
    ['plain text', 'Error: not logged in', undefined],
    ['an empty line', '', undefined],
  ])('%s', (_what, input, expected) => {
    expect(claude.renderLine(input)).toBe(expected);
  });

  it('renders every line of the recorded streams', () => {
    const rendered = fixture('success.jsonl')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => claude.renderLine(l));
    expect(rendered).toEqual([
      'session 3f6c2a1e-8b4d-4c7a-9e21-5d0b7a9c4e11 started (model claude-sonnet-4-5-20250929)',
      "assistant: I'll create the file with the requested greeting.",
      'tool Bash: {"command":"printf \'hello, world\\\\n\' > hello.txt && cat hello.txt","description":"Write hello.txt and show it"}',
      'tool result: hello, world',
      'assistant: Created hello.txt containing the greeting. ⏎ FINDINGS: wrote hello.txt ("hello, world"); no other files changed.',
      'result (success, is_error=false, $0.0412, 3 turns): Created hello.txt containing the greeting. ⏎ FINDINGS: wrote hello.txt ("hello, world"); no other files changed.',
    ]);
  });
});

describe('claude: spec', () => {
  it('names itself and says how to install it', () => {
    expect(claude).toMatchObject({ name: 'claude', title: 'Claude Code', bin: 'claude' });
    expect(claude.install).toContain('@anthropic-ai/claude-code');
    expect(claude.formatNote).toContain('stream-json');
  });
});

// Output of the real Claude Code binary (2.1.330) against the mock Messages API, recorded by
// test/agents/claude-real.test.ts (RALPH_UPDATE_CLAUDE_FIXTURES=1).
describe('claude: parse, output recorded from the real binary', () => {
  it.each<[string, number, Partial<ParsedOutput>]>([
    ['real-text.jsonl', 0, { text: 'Hello from the mock.', isError: false, costUsd: 0.0014454 }],
    ['real-tool-use.jsonl', 0, { text: 'Wrote out.txt.', isError: false, costUsd: 0.00029600000000000004 }],
    ['real-api-error.jsonl', 1, { isError: true, error: expect.stringMatching(/^API Error: 529 Overloaded/) as unknown as string }],
    [
      'real-usage-limit.jsonl',
      1,
      {
        isError: true,
        // The rate_limit_event's exact epoch wins over the text's "resets 8pm (UTC)".
        usageLimit: { message: "You've hit your 5-hour limit · resets 8pm (UTC)", resetsAt: new Date(1795291200 * 1000).toISOString() },
      },
    ],
  ])('%s', (name, exitCode, expected) => {
    const parsed = claude.parse(fixture(name), exitCode, NOW);
    expect(parsed).toMatchObject(expected);
    expect(parsed.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    if (!parsed.isError) expect(parsed.tokens?.input).toBeGreaterThan(0);
    if (name === 'real-api-error.jsonl') expect(parsed.usageLimit).toBeUndefined();
  });
});
