import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { AgentOptions, ParsedOutput } from '../../src/agents/cli-spec.js';
import type { UsageLimitInfo } from '../../src/agents/usage-limit.js';

// The text recogniser is tested on its own; here it is a stub, so that these tests say what the
// adapter does with its answer (and what it hands it).
const detect = vi.hoisted(() => vi.fn<(text: string, now: Date) => UsageLimitInfo | undefined>());
vi.mock('../../src/agents/usage-limit.js', () => ({ detectUsageLimit: detect }));

import { opencode } from '../../src/agents/adapters/opencode.js';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/agents/opencode/${name}`, import.meta.url), 'utf8');
const ctx = { promptFile: '/state/prompts/worker-1.prompt.md', cwd: '/work/repo', isRoot: false };
const SESSION = 'ses_4f2a9c1e7ffeQb3kR8mZt1xYwN';
const NOW = new Date('2026-11-21T12:00:00Z');

beforeEach(() => {
  detect.mockReset();
  detect.mockReturnValue(undefined);
});

describe('opencode spec', () => {
  it('names the CLI', () => {
    expect(opencode).toMatchObject({ name: 'opencode', title: 'OpenCode', bin: 'opencode' });
    expect(opencode.install).toContain('npm install -g opencode-ai');
    expect(opencode.install).not.toContain('--agent-bin'); // the not-found message says where to point it, once
    expect(opencode.formatNote).not.toBe('');
  });

  it.each<[string, AgentOptions, string[]]>([
    // Its error log lines on stderr (the cause of a run it could not finish), unless the extra args ask for logs.
    ['the defaults', { extraArgs: [] }, ['run', '--format', 'json', '--print-logs', '--log-level', 'ERROR']],
    [
      'a model',
      { model: 'anthropic/claude-sonnet-4-5', extraArgs: [] },
      ['run', '--format', 'json', '--model', 'anthropic/claude-sonnet-4-5', '--print-logs', '--log-level', 'ERROR'],
    ],
    ['an empty model', { model: '', extraArgs: [] }, ['run', '--format', 'json', '--print-logs', '--log-level', 'ERROR']],
    [
      'extra args, last',
      { model: 'openai/gpt-5', extraArgs: ['--agent', 'build', '--print-logs'] },
      ['run', '--format', 'json', '--model', 'openai/gpt-5', '--agent', 'build', '--print-logs'],
    ],
    ['a log level of its own', { extraArgs: ['--log-level=DEBUG'] }, ['run', '--format', 'json', '--log-level=DEBUG']],
    [
      'extra args without a model',
      { extraArgs: ['--variant', 'high'] },
      ['run', '--format', 'json', '--print-logs', '--log-level', 'ERROR', '--variant', 'high'],
    ],
  ])('builds argv with %s; the prompt goes to stdin', (_what, options, args) => {
    const prompt = 'Review "src/a.ts" — and say FINDINGS:\n- one\n';
    expect(opencode.build(prompt, options, ctx)).toEqual({ args, env: {}, stdin: prompt });
  });

  it.each<[string, string, number | null, ParsedOutput]>([
    [
      'a run with tool steps',
      'success.jsonl',
      0,
      {
        text: 'The parser splits on every comma, including commas inside quotes.\n\nFINDINGS: src/parser.ts:2 splits quoted fields; use a CSV-aware split.',
        isError: false,
        costUsd: 0.02,
        // opencode's input leaves the cache out, its output the reasoning: Ralph's hold them.
        tokens: { input: 43285, output: 191, reasoning: 12, cache_read: 21312, cache_write: 10400 },
        sessionId: SESSION,
        details: { steps: 3, tool_calls: 2 },
      },
    ],
    [
      'a last step without text (the answer is the step before; its parts joined)',
      'answer-before-last-step.jsonl',
      0,
      {
        text: 'Checked both call sites.\n\nFINDINGS: none, the lock is always released.',
        isError: false,
        costUsd: 0.003,
        tokens: { input: 1850, output: 35, cache_read: 0, cache_write: 0 },
        sessionId: SESSION,
        details: { steps: 2, tool_calls: 1 },
      },
    ],
    [
      'an error event',
      'auth-error.jsonl',
      1,
      {
        text: '',
        isError: true,
        error: 'Anthropic API key is missing or invalid. Run opencode auth login.',
        sessionId: SESSION,
        cause: { label: 'auth failure', detail: 'Anthropic API key is missing or invalid. Run opencode auth login.' }, // ProviderAuthError
        details: { steps: 0, tool_calls: 0, errors: 1 },
      },
    ],
    [
      'an error event with exit code 0',
      'auth-error.jsonl',
      0,
      {
        text: '',
        isError: true,
        error: 'Anthropic API key is missing or invalid. Run opencode auth login.',
        sessionId: SESSION,
        cause: { label: 'auth failure', detail: 'Anthropic API key is missing or invalid. Run opencode auth login.' }, // ProviderAuthError
        details: { steps: 0, tool_calls: 0, errors: 1 },
      },
    ],
    [
      'an API error with status 429',
      'rate-limit.jsonl',
      1,
      {
        text: '',
        isError: true,
        error: "This request would exceed your organization's rate limit of 50,000 input tokens per minute.",
        sessionId: SESSION,
        usageLimit: {
          message: "This request would exceed your organization's rate limit of 50,000 input tokens per minute.",
          resetsAt: '2026-11-21T12:00:31.000Z',
        },
        details: { steps: 0, tool_calls: 0, errors: 1 },
      },
    ],
    [
      'a stream cut mid-line (killed)',
      'truncated.jsonl',
      null,
      {
        text: "I'll look at the parser first.",
        isError: false,
        costUsd: 0.0123,
        tokens: { input: 20821, output: 87, reasoning: 0, cache_read: 0, cache_write: 10400 },
        sessionId: SESSION,
        details: { steps: 1, tool_calls: 1 },
      },
    ],
    [
      'malformed lines and fields among the events',
      'malformed.jsonl',
      0,
      {
        text: 'FINDINGS: still readable.',
        isError: false,
        tokens: { output: 7 },
        sessionId: SESSION,
        details: { steps: 1, tool_calls: 0 },
      },
    ],
  ])('parses %s', (_what, file, exitCode, expected) => {
    expect(opencode.parse(fixture(file), exitCode, NOW)).toEqual(expected);
  });

  it.each<[string, string, number | null, ParsedOutput]>([
    ['empty output', '', 0, { text: '', isError: false }],
    ['empty output and a failed exit', '', 1, { text: '', isError: true, error: 'opencode exited with code 1 without output' }],
    [
      'a plain error message',
      '\u001b[91mError: \u001b[0mModel not found: foo/bar\n',
      1,
      { text: 'Error: Model not found: foo/bar', isError: true, error: 'Error: Model not found: foo/bar' },
    ],
    ['plain text from a run without --format json', 'FINDINGS: none\n', 0, { text: 'FINDINGS: none', isError: false }],
    [
      'events without an answer and a failed exit',
      '{"type":"step_start","sessionID":"s1","part":{}}\nkilled\n',
      2,
      {
        text: '',
        isError: true,
        error: 'killed',
        sessionId: 's1',
        details: { steps: 0, tool_calls: 0 },
      },
    ],
    [
      'events without an answer and no message',
      '{"type":"step_start","sessionID":"s1","part":{}}\n',
      3,
      {
        text: '',
        isError: true,
        error: 'opencode exited with code 3 without an answer',
        sessionId: 's1',
        details: { steps: 0, tool_calls: 0 },
      },
    ],
    [
      'a text part sent twice (counted once, the last version)',
      [
        '{"type":"step_start","part":{}}',
        '{"type":"text","part":{"id":"p1","text":"FINDINGS: dra"}}',
        '{"type":"text","part":{"id":"p2","text":"second part"}}',
        '{"type":"text","part":{"id":"p1","text":"FINDINGS: draft done"}}',
      ].join('\n'),
      0,
      { text: 'FINDINGS: draft done\n\nsecond part', isError: false, details: { steps: 0, tool_calls: 0 } },
    ],
    // A model opencode has no prices for: "cost": 0 with tokens spent is not a known cost (Ralph estimates it).
    [
      'a zero cost with tokens spent',
      '{"type":"text","part":{"text":"FINDINGS: x"}}\n{"type":"step_finish","part":{"cost":0,"tokens":{"input":10,"output":2}}}\n',
      0,
      {
        text: 'FINDINGS: x',
        isError: false,
        tokens: { input: 10, output: 2 },
        details: { steps: 1, tool_calls: 0 },
      },
    ],
    [
      'a zero cost with no tokens (nothing spent)',
      '{"type":"text","part":{"text":"FINDINGS: x"}}\n{"type":"step_finish","part":{"cost":0,"tokens":{"input":0,"output":0}}}\n',
      0,
      {
        text: 'FINDINGS: x',
        isError: false,
        costUsd: 0,
        tokens: { input: 0, output: 0 },
        details: { steps: 1, tool_calls: 0 },
      },
    ],
    [
      'an error event that is only a string',
      '{"type":"error","error":"boom"}\n',
      1,
      {
        text: '',
        isError: true,
        error: 'boom',
        details: { steps: 0, tool_calls: 0, errors: 1 },
      },
    ],
  ])('parses %s', (_what, stdout, exitCode, expected) => {
    expect(opencode.parse(stdout, exitCode, NOW)).toEqual(expected);
  });

  describe('usage limits', () => {
    it('asks the text recogniser with the error messages and the given time', () => {
      opencode.parse(fixture('rate-limit.jsonl'), 1, NOW);
      expect(detect).toHaveBeenCalledWith(expect.stringContaining('50,000 input tokens per minute'), NOW);
    });

    const apiError = (status: number, headers?: Record<string, unknown>): string =>
      JSON.stringify({
        type: 'error',
        error: { name: 'APIError', data: { message: 'Too many requests', statusCode: status, ...(headers ? { responseHeaders: headers } : {}) } },
      });

    it.each<[string, Record<string, unknown> | undefined, UsageLimitInfo | undefined, UsageLimitInfo]>([
      [
        'retry-after seconds, over the recogniser',
        { 'retry-after': '31' },
        { message: 'x', resetsAt: '2026-11-21T13:00:00.000Z' },
        { message: 'Too many requests', resetsAt: '2026-11-21T12:00:31.000Z' },
      ],
      [
        'retry-after-ms, over retry-after',
        { 'Retry-After-Ms': '1500', 'retry-after': '2' },
        undefined,
        { message: 'Too many requests', resetsAt: '2026-11-21T12:00:01.500Z' },
      ],
      [
        'no header: when the recogniser says',
        undefined,
        { message: 'x', resetsAt: '2026-11-21T12:05:00.000Z' },
        { message: 'Too many requests', resetsAt: '2026-11-21T12:05:00.000Z' },
      ],
      ['an HTTP date header (left to the recogniser)', { 'retry-after': 'Fri, 21 Nov 2026 12:10:00 GMT' }, undefined, { message: 'Too many requests' }],
      ['a header out of range', { 'retry-after': '99999999999999999999' }, undefined, { message: 'Too many requests' }],
    ])('reads a 429 with %s', (_what, headers, recognised, expected) => {
      detect.mockReturnValue(recognised);
      expect(opencode.parse(apiError(429, headers), 1, NOW).usageLimit).toEqual(expected);
    });

    it('does not take another API error for a limit by itself', () => {
      expect(opencode.parse(apiError(500), 1, NOW).usageLimit).toBeUndefined();
    });

    it('reports what the recogniser finds in a non-429 error', () => {
      detect.mockReturnValue({ message: 'quota exceeded' });
      expect(opencode.parse(fixture('auth-error.jsonl'), 1, NOW).usageLimit).toEqual({ message: 'quota exceeded' });
    });

    it.each(['success.jsonl', 'answer-before-last-step.jsonl', 'truncated.jsonl'])('does not look for one when %s succeeded', (file) => {
      detect.mockReturnValue({ message: 'would be wrong' });
      expect(opencode.parse(fixture(file), 0, NOW).usageLimit).toBeUndefined();
      expect(detect).not.toHaveBeenCalled();
    });

    it('defaults the time to now', () => {
      opencode.parse(fixture('auth-error.jsonl'), 1);
      const at = detect.mock.calls[0]?.[1];
      expect(at).toBeInstanceOf(Date);
      expect(Math.abs((at as Date).getTime() - Date.now())).toBeLessThan(60_000);
    });
  });

  describe('renderLine', () => {
    it.each<[string, string, string | undefined]>([
      ['a step start (left out)', '{"type":"step_start","sessionID":"s","part":{"type":"step-start"}}', ''],
      ['text', '{"type":"text","part":{"type":"text","text":"Looking at\\nthe parser."}}', 'assistant: Looking at ⏎ the parser.'],
      [
        'a tool call',
        '{"type":"tool_use","part":{"tool":"bash","state":{"status":"completed","input":{"command":"npm test","description":"run"},"output":"ok"}}}',
        'tool bash: npm test',
      ],
      [
        'a file tool call',
        '{"type":"tool_use","part":{"tool":"read","state":{"status":"completed","input":{"filePath":"/w/src/a.ts"}}}}',
        'tool read: /w/src/a.ts',
      ],
      [
        'another tool call',
        '{"type":"tool_use","part":{"tool":"todowrite","state":{"status":"completed","input":{"todos":[]}}}}',
        'tool todowrite: {"todos":[]}',
      ],
      [
        'a failed tool call',
        '{"type":"tool_use","part":{"tool":"edit","state":{"status":"error","input":{"filePath":"a.ts"},"error":"oldString not found"}}}',
        'tool edit failed: a.ts → oldString not found',
      ],
      [
        'a step finish',
        '{"type":"step_finish","part":{"reason":"stop","cost":0.0036,"tokens":{"input":640,"output":52}}}',
        'step finished (stop, $0.0036, 640 in, 52 out)',
      ],
      ['a bare step finish', '{"type":"step_finish","part":{}}', 'step finished'],
      ['an error', '{"type":"error","error":{"name":"APIError","data":{"message":"overloaded"}}}', 'error: overloaded'],
      ['reasoning', '{"type":"reasoning","part":{"text":"hmm"}}', 'thinking: hmm'],
      ['an unknown event (logged as it is)', '{"type":"session.idle"}', undefined],
      ['a non-JSON line', 'opencode v1.0.150', undefined],
      ['a cut line', '{"type":"text","part":{"te', undefined],
    ])('renders %s', (_what, line, expected) => {
      expect(opencode.renderLine(line)).toBe(expected);
    });
  });

  describe('never throws', () => {
    const garbage = [
      '',
      '\n\n',
      '{',
      '}',
      'null',
      '[]',
      '"text"',
      '{"type":null}',
      '{"type":"text"}',
      '{"type":"text","part":"x"}',
      '{"type":"step_finish","part":{"tokens":[1,2],"cost":{}}}',
      '{"type":"tool_use","part":{"state":null}}',
      '{"type":"error","error":{"data":null}}',
      '{"type":"error"}',
      '\u0000\u0001\u00ff',
      `{"type":"text","part":{"text":"${'x'.repeat(100_000)}"}}`,
      '{"__proto__":{"type":"text"}}',
      '{"type":"step_finish","sessionID":7,"part":{"cost":1e309}}',
    ];
    it.each(garbage.flatMap((g) => [0, 1, null].map((code) => [`${JSON.stringify(g.slice(0, 40))} (exit ${code})`, g, code] as const)))(
      'parses %s',
      (_label, stdout, code) => {
        const out = opencode.parse(stdout, code, NOW);
        expect(typeof out.text).toBe('string');
        expect(typeof out.isError).toBe('boolean');
      },
    );

    it.each(['success.jsonl', 'answer-before-last-step.jsonl', 'auth-error.jsonl', 'rate-limit.jsonl', 'malformed.jsonl'])(
      'parses and renders every prefix of %s',
      (file) => {
        const text = fixture(file);
        for (let cut = 0; cut <= text.length; cut += 7) {
          const out = opencode.parse(text.slice(0, cut), 0, NOW);
          expect(typeof out.text).toBe('string');
          for (const line of text.slice(0, cut).split('\n')) expect(() => opencode.renderLine(line)).not.toThrow();
        }
      },
    );
  });
});
