import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { AgentOptions, ParsedOutput } from '../../src/agents/cli-spec.js';
import type { UsageLimitInfo } from '../../src/agents/usage-limit.js';

// The text recogniser is tested on its own; here it is a stub, so that these tests say what the
// adapter does with its answer (and what it hands it).
const detect = vi.hoisted(() => vi.fn<(text: string, now: Date) => UsageLimitInfo | undefined>());
vi.mock('../../src/agents/usage-limit.js', () => ({ detectUsageLimit: detect }));

import { amp } from '../../src/agents/adapters/amp.js';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/agents/amp/${name}`, import.meta.url), 'utf8');
const ctx = { promptFile: '/state/prompts/worker-1.prompt.md', cwd: '/work/repo', isRoot: false };
const NOW = new Date('2026-11-21T12:00:00Z');
const THREAD = 'T-7d3f1a52-6c0e-4b8e-9a31-2f5c8d9e0b47';
const MODEL = 'claude-sonnet-4-5-20250929';
const ANSWER = 'The queue drops a task when claim() races with release().\n\nFINDINGS: src/queue.ts:88 release() does not re-check the lease owner.';
/** The three assistant messages' usage, summed. */
// Anthropic's input_tokens (39713) leaves the cache out: Ralph's input holds it.
const STREAM_TOKENS = { input: 79452, output: 133, cache_read: 38622, cache_write: 1117 };

beforeEach(() => {
  detect.mockReset();
  detect.mockReturnValue(undefined);
});

describe('amp spec', () => {
  it('names the CLI', () => {
    expect(amp).toMatchObject({ name: 'amp', title: 'Amp', bin: 'amp' });
    expect(amp.install).toContain('npm install -g @ampcode/cli');
    expect(amp.install).not.toContain('--agent-bin'); // the not-found message says where to point it, once
    expect(amp.formatNote).not.toBe('');
  });

  it.each<[string, AgentOptions, string[]]>([
    ['the defaults', { extraArgs: [] }, ['-x', '--stream-json']],
    ['a model (passed as the mode)', { model: 'rush', extraArgs: [] }, ['-x', '--stream-json', '--mode', 'rush']],
    ['a blank model', { model: ' ', extraArgs: [] }, ['-x', '--stream-json']],
    [
      'extra args, last',
      { model: 'smart', extraArgs: ['--dangerously-allow-all', '--log-level', 'warn'] },
      ['-x', '--stream-json', '--mode', 'smart', '--dangerously-allow-all', '--log-level', 'warn'],
    ],
    ['extra args without a model', { extraArgs: ['--dangerously-allow-all'] }, ['-x', '--stream-json', '--dangerously-allow-all']],
  ])('builds argv with %s; the prompt goes to stdin', (_what, options, args) => {
    const prompt = '- review src/queue.ts\n"quoted" and $HOME stay as they are\n';
    expect(amp.build(prompt, options, ctx)).toEqual({ args, env: {}, stdin: prompt });
  });

  it.each<[string, string, number | null, ParsedOutput]>([
    [
      'a run with tool calls',
      'success.jsonl',
      0,
      {
        text: ANSWER,
        isError: false,
        tokens: STREAM_TOKENS,
        sessionId: THREAD,
        model: MODEL,
        details: { subtype: 'success', num_turns: 3, duration_ms: 48210 },
      },
    ],
    [
      "a result with usage and a cost (they win over the messages')",
      'result-usage.jsonl',
      0,
      {
        text: 'FINDINGS: none.',
        isError: false,
        costUsd: 0.0214,
        tokens: { input: 27800, output: 420, cache_read: 12000, cache_write: 800 },
        sessionId: THREAD,
        details: { subtype: 'success', num_turns: 1, duration_ms: 2906 },
      },
    ],
    [
      'an error_during_execution result',
      'error-during-execution.jsonl',
      1,
      {
        text: 'Running the build.',
        isError: true,
        error: "Tool Bash was rejected: command 'make' requires approval (run with --dangerously-allow-all)",
        sessionId: THREAD,
        details: { subtype: 'error_during_execution', num_turns: 1, duration_ms: 61012 },
      },
    ],
    [
      'is_error with subtype success (is_error wins)',
      'error-success-subtype.jsonl',
      0,
      {
        text: 'Invalid API key · Please run amp login\nor set AMP_API_KEY.',
        isError: true,
        error: 'Invalid API key · Please run amp login',
        sessionId: THREAD,
        details: { subtype: 'success', num_turns: 0, duration_ms: 812 },
      },
    ],
    [
      'an error_max_turns result without is_error or message',
      'max-turns.jsonl',
      1,
      {
        text: 'Still investigating the scheduler.',
        isError: true,
        error: 'error_max_turns',
        sessionId: THREAD,
        details: { subtype: 'error_max_turns', num_turns: 50, duration_ms: 900000 },
      },
    ],
    [
      'a stream cut before its result (killed)',
      'truncated.jsonl',
      null,
      {
        text: ANSWER,
        isError: true,
        error: 'amp exited with code null before its result',
        tokens: STREAM_TOKENS,
        sessionId: THREAD,
        model: MODEL,
      },
    ],
    [
      'a stream cut before its result, exit 0',
      'truncated.jsonl',
      0,
      {
        text: ANSWER,
        isError: true,
        error: 'no result event in the output (truncated?)',
        tokens: STREAM_TOKENS,
        sessionId: THREAD,
        model: MODEL,
      },
    ],
    [
      'plain `amp -x` output',
      'plain.txt',
      0,
      {
        text: fixture('plain.txt').trim(),
        isError: false,
      },
    ],
    [
      'a plain error',
      'plain-error.txt',
      1,
      {
        text: 'Error: Not logged in. Run `amp login` or set AMP_API_KEY.',
        isError: true,
        error: 'Error: Not logged in. Run `amp login` or set AMP_API_KEY.',
      },
    ],
  ])('parses %s', (_what, file, exitCode, expected) => {
    expect(amp.parse(fixture(file), exitCode, NOW)).toEqual(expected);
  });

  it.each<[string, string, number | null, ParsedOutput]>([
    ['empty output', '', 0, { text: '', isError: false }],
    ['empty output and a failed exit', '', 1, { text: '', isError: true, error: 'amp exited with code 1 without output' }],
    [
      'a result whose error is in errors[]',
      '{"type":"result","subtype":"error_during_execution","is_error":true,"errors":["", "stream closed"]}\n',
      1,
      {
        text: '',
        isError: true,
        error: 'stream closed',
        details: { subtype: 'error_during_execution' },
      },
    ],
    [
      'a result with is_error false and no text',
      '{"type":"result","subtype":"success","is_error":false}\n',
      0,
      {
        text: '',
        isError: false,
        details: { subtype: 'success' },
      },
    ],
    [
      'a message seen twice (its usage counted once)',
      [
        '{"type":"assistant","message":{"id":"m1","content":[{"type":"text","text":"a"}],"usage":{"input_tokens":10,"output_tokens":1}}}',
        '{"type":"assistant","message":{"id":"m1","content":[{"type":"text","text":"b"}],"usage":{"input_tokens":10,"output_tokens":2}}}',
        '{"type":"result","subtype":"success","is_error":false,"result":"b"}',
      ].join('\n'),
      0,
      { text: 'b', isError: false, tokens: { input: 10, output: 2 }, details: { subtype: 'success' } },
    ],
    [
      'noise between events and a stray line after the result',
      [
        'amp: warning: update available',
        '{"type":"system","subtype":"init","session_id":"T-1"}',
        '{"type":"assistant","message":{"content":"not an array"}}',
        '{"type":"result","subtype":"success","is_error":false,"result":"FINDINGS: ok","session_id":"T-1","num_turns":"2"}',
        'bye',
      ].join('\n'),
      0,
      { text: 'FINDINGS: ok', isError: false, sessionId: 'T-1', details: { subtype: 'success' } },
    ],
  ])('parses %s', (_what, stdout, exitCode, expected) => {
    expect(amp.parse(stdout, exitCode, NOW)).toEqual(expected);
  });

  describe('usage limits', () => {
    it('asks the text recogniser with the error and the given time, and reports its answer', () => {
      const found = { message: "You've hit your usage limit", resetsAt: '2026-11-22T00:00:00.000Z' };
      detect.mockReturnValue(found);
      expect(amp.parse(fixture('error-success-subtype.jsonl'), 1, NOW).usageLimit).toEqual(found);
      expect(detect).toHaveBeenCalledWith(expect.stringContaining('Invalid API key'), NOW);
    });

    it("reads a plain error and a cut stream's plain lines too", () => {
      detect.mockReturnValue({ message: 'limit' });
      expect(amp.parse(fixture('plain-error.txt'), 1, NOW).usageLimit).toEqual({ message: 'limit' });
      expect(amp.parse('{"type":"system","subtype":"init"}\nError: rate limit exceeded\n', 1, NOW).usageLimit).toEqual({ message: 'limit' });
      expect(detect).toHaveBeenLastCalledWith('Error: rate limit exceeded', NOW);
    });

    it.each<[string, number]>([
      ['success.jsonl', 0],
      ['plain.txt', 0],
      ['max-turns.jsonl', 1],
    ])('does not look for one in %s', (file, code) => {
      detect.mockReturnValue({ message: 'would be wrong' });
      expect(amp.parse(fixture(file), code, NOW).usageLimit).toBeUndefined();
      expect(detect).not.toHaveBeenCalled();
    });

    it('defaults the time to now', () => {
      amp.parse(fixture('plain-error.txt'), 1);
      const at = detect.mock.calls[0]?.[1];
      expect(at).toBeInstanceOf(Date);
      expect(Math.abs((at as Date).getTime() - Date.now())).toBeLessThan(60_000);
    });
  });

  describe('renderLine', () => {
    it.each<[string, string, string | undefined]>([
      ['the init event', `{"type":"system","subtype":"init","cwd":"/w","session_id":"${THREAD}","tools":[]}`, `session ${THREAD} started`],
      [
        'assistant text and a tool call',
        '{"type":"assistant","message":{"content":[{"type":"text","text":"Reading.\\nNow."},{"type":"tool_use","name":"Read","input":{"path":"/w/src/queue.ts"}}]}}',
        'assistant: Reading. ⏎ Now. | tool Read: /w/src/queue.ts',
      ],
      ['a shell tool call', '{"type":"assistant","message":{"content":[{"type":"tool_use","name":"Bash","input":{"cmd":"npm test"}}]}}', 'tool Bash: npm test'],
      [
        'a tool call with other input',
        '{"type":"assistant","message":{"content":[{"type":"tool_use","name":"oracle","input":{"task":"review"}}]}}',
        'tool oracle: {"task":"review"}',
      ],
      ['thinking', '{"type":"assistant","message":{"content":[{"type":"thinking","thinking":"hmm"}]}}', 'thinking: hmm'],
      ['an empty assistant message', '{"type":"assistant","message":{"content":[]}}', ''],
      ['the prompt echoed back (left out)', '{"type":"user","message":{"content":[{"type":"text","text":"a long prompt"}]}}', ''],
      [
        'a tool result',
        '{"type":"user","message":{"content":[{"type":"tool_result","content":[{"type":"text","text":"14 passed"}],"is_error":false}]}}',
        'tool result: 14 passed',
      ],
      [
        'a failed tool result',
        '{"type":"user","message":{"content":[{"type":"tool_result","content":"no such file","is_error":true}]}}',
        'tool result (error): no such file',
      ],
      [
        'a result',
        '{"type":"result","subtype":"success","is_error":false,"num_turns":3,"duration_ms":48210,"result":"FINDINGS: x"}',
        'result (success, 3 turns, 48.2s): FINDINGS: x',
      ],
      [
        'an error result',
        '{"type":"result","subtype":"error_during_execution","is_error":true,"num_turns":1,"error":"rejected"}',
        'result (error_during_execution, is_error, 1 turn): rejected',
      ],
      ['another system event', '{"type":"system","subtype":"compact"}', undefined],
      ['an unknown event', '{"type":"progress"}', undefined],
      ['a non-JSON line', 'The final answer.', undefined],
      ['a cut line', '{"type":"assistant","message":{"con', undefined],
    ])('renders %s', (_what, line, expected) => {
      expect(amp.renderLine(line)).toBe(expected);
    });
  });

  describe('never throws', () => {
    const garbage = [
      '',
      '\n',
      '{',
      'null',
      '[]',
      '{"type":5}',
      '{"type":"assistant"}',
      '{"type":"assistant","message":null}',
      '{"type":"assistant","message":{"content":[null,1,"x",{"type":"text"}],"usage":[]}}',
      '{"type":"user","message":{"content":[{"type":"tool_result","content":{"a":1}}]}}',
      '{"type":"result"}',
      '{"type":"result","is_error":"yes","subtype":7,"result":{},"errors":"x","usage":"none"}',
      '{"type":"result","total_cost_usd":1e999}',
      '\u0000\u00ff',
      '{"type":"system","subtype":"init","session_id":{}}',
    ];
    it.each(garbage.flatMap((g) => [0, 1, null].map((code) => [`${JSON.stringify(g.slice(0, 40))} (exit ${code})`, g, code] as const)))(
      'parses %s',
      (_label, stdout, code) => {
        const out = amp.parse(stdout, code, NOW);
        expect(typeof out.text).toBe('string');
        expect(typeof out.isError).toBe('boolean');
        expect(() => amp.renderLine(stdout)).not.toThrow();
      },
    );

    it.each(['success.jsonl', 'result-usage.jsonl', 'error-during-execution.jsonl', 'max-turns.jsonl'])('parses and renders every prefix of %s', (file) => {
      const text = fixture(file);
      for (let cut = 0; cut <= text.length; cut += 7) {
        expect(typeof amp.parse(text.slice(0, cut), 0, NOW).text).toBe('string');
        for (const line of text.slice(0, cut).split('\n')) expect(() => amp.renderLine(line)).not.toThrow();
      }
    });
  });
});
