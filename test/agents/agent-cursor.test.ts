import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { AgentOptions, ParsedOutput } from '../../src/agents/cli-spec.js';
import type { UsageLimitInfo } from '../../src/agents/usage-limit.js';

// The text recogniser is tested on its own; here it is a stub, so that these tests say what the
// adapter does with its answer (and what it hands it).
const detect = vi.hoisted(() => vi.fn<(text: string, now: Date) => UsageLimitInfo | undefined>());
vi.mock('../../src/agents/usage-limit.js', () => ({ detectUsageLimit: detect }));

import { cursor } from '../../src/agents/adapters/cursor.js';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/agents/cursor/${name}`, import.meta.url), 'utf8');
const ctx = { promptFile: '/state/prompts/worker-1.prompt.md', cwd: '/work/repo', isRoot: false };
const NOW = new Date('2026-11-21T12:00:00Z');
const SESSION = 'c6b62c6f-7ead-4fd6-9922-e952131177ff';
const REQUEST = '10e11780-df2f-45dc-a1ff-4540af32e9c0';
const ANSWER = 'The retry helper swallows the last error.\n\nFINDINGS: src/retry.ts:23 rethrow the last error instead of returning undefined.';
const LIMIT = "You've hit your usage limit for premium models. Switch to Auto or upgrade to continue.";

beforeEach(() => {
  detect.mockReset();
  detect.mockReturnValue(undefined);
});

describe('cursor spec', () => {
  it('names the CLI', () => {
    expect(cursor).toMatchObject({ name: 'cursor', title: 'Cursor Agent', bin: 'cursor-agent' });
    expect(cursor.install).not.toContain('--agent-bin'); // the not-found message says where to point it, once
    expect(cursor.formatNote).not.toBe('');
  });

  it.each<[string, AgentOptions, string[]]>([
    ['the defaults', { extraArgs: [] }, ['-p', '--output-format', 'json']],
    ['a model', { model: 'sonnet-4.5', extraArgs: [] }, ['-p', '--output-format', 'json', '--model', 'sonnet-4.5']],
    ['a blank model', { model: '', extraArgs: [] }, ['-p', '--output-format', 'json']],
    [
      'extra args (before the prompt)',
      { model: 'gpt-5', extraArgs: ['--force', '--output-format', 'stream-json'] },
      ['-p', '--output-format', 'json', '--model', 'gpt-5', '--force', '--output-format', 'stream-json'],
    ],
    ['extra args without a model', { extraArgs: ['--force'] }, ['-p', '--output-format', 'json', '--force']],
  ])('builds argv with %s; the prompt is the last argument, never --force by default', (_what, options, args) => {
    const prompt = 'Review src/retry.ts; say "FINDINGS:" $HOME `x`\n';
    expect(cursor.build(prompt, options, ctx)).toEqual({ args: [...args, prompt], env: {}, stdin: '' });
  });

  it.each<[string, string, number | null, ParsedOutput]>([
    [
      'the json result',
      'success.json',
      0,
      {
        text: ANSWER,
        isError: false,
        sessionId: SESSION,
        details: { subtype: 'success', duration_ms: 18734, duration_api_ms: 18734, request_id: REQUEST },
      },
    ],
    [
      'a stream-json run',
      'stream.jsonl',
      0,
      {
        text: ANSWER,
        isError: false,
        sessionId: SESSION,
        model: 'Claude 4.5 Sonnet',
        details: { subtype: 'success', duration_ms: 18734, duration_api_ms: 18734, request_id: REQUEST, tool_calls: 2 },
      },
    ],
    [
      'an error result',
      'error-result.json',
      1,
      {
        text: LIMIT,
        isError: true,
        error: LIMIT,
        sessionId: SESSION,
        details: { subtype: 'error', duration_ms: 2210, duration_api_ms: 2210 },
      },
    ],
    [
      'a stream that ended after the answer but before its result',
      'no-result.jsonl',
      1,
      {
        text: ANSWER,
        isError: true,
        error: 'cursor-agent exited with code 1 before its result',
        sessionId: SESSION,
        model: 'Claude 4.5 Sonnet',
        details: { tool_calls: 2 },
      },
    ],
    [
      'a stream cut mid-line (killed)',
      'truncated.jsonl',
      null,
      {
        text: '',
        isError: true,
        error: 'cursor-agent exited with code null before its result',
        sessionId: SESSION,
        model: 'Claude 4.5 Sonnet',
        details: { tool_calls: 2 },
      },
    ],
    [
      'a stream cut, exit 0',
      'truncated.jsonl',
      0,
      {
        text: '',
        isError: true,
        error: 'no result event in the output (truncated?)',
        sessionId: SESSION,
        model: 'Claude 4.5 Sonnet',
        details: { tool_calls: 2 },
      },
    ],
    [
      '--output-format text output',
      'text-format.txt',
      0,
      {
        text: fixture('text-format.txt').trim(),
        isError: false,
      },
    ],
  ])('parses %s', (_what, file, exitCode, expected) => {
    expect(cursor.parse(fixture(file), exitCode, NOW)).toEqual(expected);
  });

  it.each<[string, string, number | null, ParsedOutput]>([
    ['a failure (nothing on stdout)', '', 1, { text: '', isError: true, error: 'cursor-agent exited with code 1 (its message is on stderr)' }],
    ['empty output, exit 0', '', 0, { text: '', isError: false }],
    [
      'a plain error on stdout',
      'Error: Authentication required. Run cursor-agent login.\n',
      1,
      {
        text: 'Error: Authentication required. Run cursor-agent login.',
        isError: true,
        error: 'Error: Authentication required. Run cursor-agent login.',
      },
    ],
    [
      'a result without is_error but another subtype',
      '{"type":"result","subtype":"cancelled","result":""}\n',
      1,
      {
        text: '',
        isError: true,
        error: 'cancelled',
        details: { subtype: 'cancelled' },
      },
    ],
    ['a result with is_error false', '{"type":"result","is_error":false,"result":"  FINDINGS: ok  "}\n', 0, { text: 'FINDINGS: ok', isError: false }],
    [
      "a result whose answer is missing (the stream's words instead)",
      [
        '{"type":"assistant","message":{"content":[{"type":"text","text":"FINDINGS: "}]}}',
        '{"type":"assistant","message":{"content":[{"type":"text","text":"from deltas"}]}}',
        '{"type":"result","subtype":"success","is_error":false}',
      ].join('\n'),
      0,
      { text: 'FINDINGS: from deltas', isError: false, details: { subtype: 'success' } },
    ],
  ])('parses %s', (_what, stdout, exitCode, expected) => {
    expect(cursor.parse(stdout, exitCode, NOW)).toEqual(expected);
  });

  describe('usage limits', () => {
    it('asks the text recogniser with the error result and the given time, and reports its answer', () => {
      const found = { message: "You've hit your usage limit", resetsAt: '2026-12-01T00:00:00.000Z' };
      detect.mockReturnValue(found);
      expect(cursor.parse(fixture('error-result.json'), 1, NOW).usageLimit).toEqual(found);
      expect(detect).toHaveBeenCalledWith(LIMIT, NOW);
    });

    it('reads plain lines of a failed run', () => {
      detect.mockReturnValue({ message: 'limit' });
      expect(cursor.parse('Error: rate limit exceeded, try again in 30s\n', 1, NOW).usageLimit).toEqual({ message: 'limit' });
      expect(detect).toHaveBeenCalledWith('Error: rate limit exceeded, try again in 30s', NOW);
    });

    it.each<[string, number | null]>([
      ['success.json', 0],
      ['stream.jsonl', 0],
      ['truncated.jsonl', null],
    ])('does not look for one in %s', (file, code) => {
      detect.mockReturnValue({ message: 'would be wrong' });
      expect(cursor.parse(fixture(file), code, NOW).usageLimit).toBeUndefined();
      expect(detect).not.toHaveBeenCalled();
    });

    it('defaults the time to now', () => {
      cursor.parse(fixture('error-result.json'), 1);
      const at = detect.mock.calls[0]?.[1];
      expect(at).toBeInstanceOf(Date);
      expect(Math.abs((at as Date).getTime() - Date.now())).toBeLessThan(60_000);
    });
  });

  describe('renderLine', () => {
    it.each<[string, string, string | undefined]>([
      ['the init event', `{"type":"system","subtype":"init","session_id":"${SESSION}","model":"GPT-5"}`, `session ${SESSION} started (model GPT-5)`],
      ['the prompt echoed back (left out)', '{"type":"user","message":{"content":[{"type":"text","text":"prompt"}]}}', ''],
      ['assistant text', '{"type":"assistant","message":{"content":[{"type":"text","text":"I\'ll read\\nit."}]}}', "assistant: I'll read ⏎ it."],
      ['a shell tool call', '{"type":"tool_call","subtype":"started","tool_call":{"shellToolCall":{"args":{"command":"npm test"}}}}', 'tool shell: npm test'],
      ['a read tool call', '{"type":"tool_call","subtype":"started","tool_call":{"readToolCall":{"args":{"path":"src/a.ts"}}}}', 'tool read: src/a.ts'],
      [
        'a function tool call',
        '{"type":"tool_call","subtype":"started","tool_call":{"function":{"name":"mcp_search","arguments":"{\\"q\\":1}"}}}',
        'tool mcp_search: {"q":1}',
      ],
      ['a tool call with other args', '{"type":"tool_call","subtype":"started","tool_call":{"todoToolCall":{"args":{"todos":[]}}}}', 'tool todo: {"todos":[]}'],
      ['a completed tool call (left out)', '{"type":"tool_call","subtype":"completed","tool_call":{"readToolCall":{"args":{},"result":{"success":{}}}}}', ''],
      [
        'a failed tool call',
        '{"type":"tool_call","subtype":"completed","tool_call":{"editToolCall":{"args":{},"result":{"error":{"message":"no match"}}}}}',
        'tool edit failed: {"message":"no match"}',
      ],
      ['a result', '{"type":"result","subtype":"success","is_error":false,"duration_ms":18734,"result":"FINDINGS: x"}', 'result (success, 18.7s): FINDINGS: x'],
      ['an error result', '{"type":"result","subtype":"error","is_error":true}', 'result (error, is_error)'],
      ['thinking (left out)', '{"type":"thinking","subtype":"delta","text":"hm"}', ''],
      ['an unknown event', '{"type":"connection","subtype":"reconnecting"}', undefined],
      ['a non-JSON line', 'plain text', undefined],
      ['a cut line', '{"type":"tool_call","subtype":"sta', undefined],
    ])('renders %s', (_what, line, expected) => {
      expect(cursor.renderLine(line)).toBe(expected);
    });
  });

  describe('never throws', () => {
    const garbage = [
      '',
      '\n',
      '{',
      'null',
      '[]',
      '{"type":{}}',
      '{"type":"result","result":5,"is_error":"no","duration_ms":"x"}',
      '{"type":"assistant","message":7}',
      '{"type":"tool_call","subtype":"started","tool_call":{}}',
      '{"type":"tool_call","tool_call":{"x":null}}',
      '{"type":"tool_call","subtype":"completed","tool_call":{"shellToolCall":{"result":[]}}}',
      '{"type":"system","model":[]}',
      '\u0000\u00ff',
      `{"type":"result","result":"${'y'.repeat(100_000)}"}`,
    ];
    it.each(garbage.flatMap((g) => [0, 1, null].map((code) => [`${JSON.stringify(g.slice(0, 40))} (exit ${code})`, g, code] as const)))(
      'parses %s',
      (_label, stdout, code) => {
        const out = cursor.parse(stdout, code, NOW);
        expect(typeof out.text).toBe('string');
        expect(typeof out.isError).toBe('boolean');
        expect(() => cursor.renderLine(stdout)).not.toThrow();
      },
    );

    it.each(['success.json', 'stream.jsonl', 'error-result.json'])('parses and renders every prefix of %s', (file) => {
      const text = fixture(file);
      for (let cut = 0; cut <= text.length; cut += 7) {
        expect(typeof cursor.parse(text.slice(0, cut), 0, NOW).text).toBe('string');
        for (const line of text.slice(0, cut).split('\n')) expect(() => cursor.renderLine(line)).not.toThrow();
      }
    });
  });
});
