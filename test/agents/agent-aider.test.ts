import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { AgentOptions, ParsedOutput } from '../../src/agents/cli-spec.js';
import type { UsageLimitInfo } from '../../src/agents/usage-limit.js';

// The text recogniser is tested on its own; here it is a stub, so that these tests say what the
// adapter does with its answer (and what it hands it).
const detect = vi.hoisted(() => vi.fn<(text: string, now: Date) => UsageLimitInfo | undefined>());
vi.mock('../../src/agents/usage-limit.js', () => ({ detectUsageLimit: detect }));

import { aider } from '../../src/agents/adapters/aider.js';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/agents/aider/${name}`, import.meta.url), 'utf8');
/** The fixture without its usage lines: what the answer should be. */
const withoutUsage = (name: string): string =>
  fixture(name)
    .split('\n')
    .filter((l) => !/^(Tokens|Cost): /.test(l))
    .join('\n')
    .trim();
const lineOf = (name: string, start: string): string =>
  fixture(name)
    .split('\n')
    .find((l) => l.startsWith(start)) ?? '(missing)';
const ctx = { promptFile: '/state/prompts/worker-1.prompt.md', cwd: '/work/repo', isRoot: false };
const NOW = new Date('2026-11-21T12:00:00Z');
const SONNET = 'anthropic/claude-sonnet-4-20250514';
const FIXED = ['--message-file', '/state/prompts/worker-1.prompt.md', '--yes-always', '--no-stream', '--no-pretty', '--no-fancy-input'];

beforeEach(() => {
  detect.mockReset();
  detect.mockReturnValue(undefined);
});

describe('aider spec', () => {
  it('names the CLI', () => {
    expect(aider).toMatchObject({ name: 'aider', title: 'Aider', bin: 'aider' });
    expect(aider.install).toContain('pip install aider-chat');
    expect(aider.install).not.toContain('--agent-bin'); // the not-found message says where to point it, once
    expect(aider.formatNote).not.toBe('');
  });

  it.each<[string, AgentOptions, string[]]>([
    ['the defaults', { extraArgs: [] }, FIXED],
    ['a model', { model: 'sonnet', extraArgs: [] }, [...FIXED, '--model', 'sonnet']],
    ['a blank model', { model: '  ', extraArgs: [] }, FIXED],
    [
      'extra args, last',
      { model: 'openrouter/deepseek/deepseek-chat', extraArgs: ['--no-auto-commits', '--edit-format', 'whole'] },
      [...FIXED, '--model', 'openrouter/deepseek/deepseek-chat', '--no-auto-commits', '--edit-format', 'whole'],
    ],
    ['extra args without a model', { extraArgs: ['--no-analytics'] }, [...FIXED, '--no-analytics']],
  ])('builds argv with %s; the prompt is read from the prompt file', (_what, options, args) => {
    expect(aider.build('the prompt', options, ctx)).toEqual({ args, env: {}, stdin: '' });
  });

  it.each<[string, string, number | null, ParsedOutput]>([
    [
      'a run with an edit and a commit',
      'success.txt',
      0,
      {
        text: withoutUsage('success.txt'),
        isError: false,
        costUsd: 0.05,
        tokens: { input: 12000, output: 1200 },
        model: SONNET,
        details: { model_calls: 1, session_cost_usd: 0.05 },
      },
    ],
    [
      'two calls with cache parts (cost on its own line, then "1,234")',
      'cache-tokens.txt',
      0,
      {
        text: withoutUsage('cache-tokens.txt'),
        isError: false,
        costUsd: 0.0261,
        // "sent" (3634) holds the cache writes but not the hits: Ralph's input holds both.
        tokens: { input: 21034, output: 258, cache_read: 17400, cache_write: 1800 },
        model: SONNET,
        details: { model_calls: 2, session_cost_usd: 0.03 },
      },
    ],
    [
      'the older "request" cost and "Model:" banner',
      'old-format.txt',
      0,
      {
        text: withoutUsage('old-format.txt'),
        isError: false,
        costUsd: 0.0012,
        tokens: { input: 1234, output: 56 },
        model: 'gpt-4o',
        details: { model_calls: 1, session_cost_usd: 0.0012 },
      },
    ],
    [
      'a rate limit it gave up on (exit 0)',
      'rate-limit.txt',
      0,
      {
        text: fixture('rate-limit.txt').trim(),
        isError: true,
        error: lineOf('rate-limit.txt', 'litellm.RateLimitError'),
        model: SONNET,
        usageLimit: { message: lineOf('rate-limit.txt', 'litellm.RateLimitError') },
      },
    ],
    [
      'an authentication error (exit 0)',
      'auth-error.txt',
      0,
      {
        text: fixture('auth-error.txt').trim(),
        isError: true,
        error: lineOf('auth-error.txt', 'litellm.AuthenticationError'),
        model: 'openai/gpt-4.1',
      },
    ],
    [
      'an API error it recovered from',
      'recovered.txt',
      0,
      {
        text: withoutUsage('recovered.txt'),
        isError: false,
        costUsd: 0.03,
        tokens: { input: 9100, output: 310 },
        model: SONNET,
        details: { model_calls: 1, session_cost_usd: 0.03 },
      },
    ],
    [
      'a crash',
      'crash.txt',
      1,
      {
        text: fixture('crash.txt').trim(),
        isError: true,
        error: "FileNotFoundError: [Errno 2] No such file or directory: '/tmp/ralph/prompts/worker-1.prompt.md'",
        model: SONNET,
      },
    ],
    [
      'output cut inside the usage line (killed)',
      'truncated.txt',
      null,
      {
        text: withoutUsage('truncated.txt'),
        isError: true,
        error: 'aider exited with code null',
        tokens: { input: 12000, output: 1200 },
        model: SONNET,
        details: { model_calls: 1 },
      },
    ],
  ])('parses %s', (_what, file, exitCode, expected) => {
    expect(aider.parse(fixture(file), exitCode, NOW)).toEqual(expected);
  });

  it.each<[string, string, number | null, ParsedOutput]>([
    ['empty output', '', 0, { text: '', isError: false }],
    ['empty output and a failed exit', '', 2, { text: '', isError: true, error: 'aider exited with code 2' }],
    ['a usage line alone', 'Tokens: 999 sent, 1 received.\n', 0, { text: '', isError: false, tokens: { input: 999, output: 1 }, details: { model_calls: 1 } }],
    [
      'millions and colours',
      '\u001b[32mTokens: 1.1M sent, 2m received. Cost: $1,234.50 message, $1,300.00 session.\u001b[0m\nok\n',
      0,
      {
        text: 'ok',
        isError: false,
        costUsd: 1234.5,
        tokens: { input: 1_100_000, output: 2_000_000 },
        details: { model_calls: 1, session_cost_usd: 1300 },
      },
    ],
    [
      'CRLF line ends',
      'FINDINGS: x\r\nTokens: 10 sent, 2 received. Cost: $0.00 message, $0.00 session.\r\n',
      0,
      {
        text: 'FINDINGS: x',
        isError: false,
        costUsd: 0,
        tokens: { input: 10, output: 2 },
        details: { model_calls: 1, session_cost_usd: 0 },
      },
    ],
    ['a usage line with nothing known', 'Tokens: many sent. Cost: $? message\n', 0, { text: '', isError: false, details: { model_calls: 1 } }],
    [
      'a litellm error after a successful call',
      'Tokens: 1k sent, 20 received.\nlitellm.APIError: APIError: OpenrouterException - upstream failed\n',
      0,
      {
        text: 'litellm.APIError: APIError: OpenrouterException - upstream failed',
        isError: true,
        error: 'litellm.APIError: APIError: OpenrouterException - upstream failed',
        tokens: { input: 1000, output: 20 },
        details: { model_calls: 1 },
      },
    ],
    [
      'a litellm error quoted in the answer before the usage line',
      'The log shows litellm.Timeout once.\nTokens: 5 sent, 5 received.\n',
      0,
      {
        text: 'The log shows litellm.Timeout once.',
        isError: false,
        tokens: { input: 5, output: 5 },
        details: { model_calls: 1 },
      },
    ],
  ])('parses %s', (_what, stdout, exitCode, expected) => {
    expect(aider.parse(stdout, exitCode, NOW)).toEqual(expected);
  });

  describe('usage limits', () => {
    it('asks the text recogniser with what followed the last successful call and the given time, and takes its answer first', () => {
      const found = { message: 'rate limited', resetsAt: '2026-11-21T12:01:00.000Z' };
      detect.mockReturnValue(found);
      expect(aider.parse(fixture('rate-limit.txt'), 0, NOW).usageLimit).toEqual(found);
      expect(detect).toHaveBeenCalledTimes(1);
      const [text, at] = detect.mock.calls[0] ?? [];
      expect(text).toContain('The API provider has rate limited you.');
      expect(at).toBe(NOW);
    });

    it('does not show the recogniser the answer of a call that succeeded', () => {
      aider.parse('FINDINGS: the rate limit was exceeded in prod\nTokens: 5 sent, 5 received.\nboom\n', 1, NOW);
      expect(detect).toHaveBeenCalledWith('boom', NOW);
    });

    it('reports what the recogniser finds in a crash', () => {
      detect.mockReturnValue({ message: 'quota exceeded' });
      expect(aider.parse(fixture('crash.txt'), 1, NOW).usageLimit).toEqual({ message: 'quota exceeded' });
    });

    it.each(['success.txt', 'cache-tokens.txt', 'recovered.txt'])('does not look for one when %s succeeded', (file) => {
      detect.mockReturnValue({ message: 'would be wrong' });
      expect(aider.parse(fixture(file), 0, NOW).usageLimit).toBeUndefined();
      expect(detect).not.toHaveBeenCalled();
    });

    it('defaults the time to now', () => {
      aider.parse(fixture('crash.txt'), 1);
      const at = detect.mock.calls[0]?.[1];
      expect(at).toBeInstanceOf(Date);
      expect(Math.abs((at as Date).getTime() - Date.now())).toBeLessThan(60_000);
    });
  });

  it('logs plain text lines as they are', () => {
    for (const line of fixture('success.txt').split('\n')) expect(aider.renderLine?.(line)).toBeUndefined();
  });

  describe('never throws', () => {
    const garbage = [
      '',
      '\n',
      'Tokens:',
      'Tokens: , , ,',
      'Cost: $',
      'Cost: $. message',
      'Tokens: 1e400 sent, NaN received.',
      'litellm.',
      'litellm.Error',
      '\u0000\u0001\u00ff',
      `Tokens: ${'9'.repeat(400)} sent`,
      'x'.repeat(100_000),
      'Main model:',
      '\r\r\r',
    ];
    it.each(garbage.flatMap((g) => [0, 1, null].map((code) => [`${JSON.stringify(g.slice(0, 40))} (exit ${code})`, g, code] as const)))(
      'parses %s',
      (_label, stdout, code) => {
        const out = aider.parse(stdout, code, NOW);
        expect(typeof out.text).toBe('string');
        expect(typeof out.isError).toBe('boolean');
      },
    );

    it.each(['success.txt', 'cache-tokens.txt', 'rate-limit.txt', 'crash.txt'])('parses every prefix of %s', (file) => {
      const text = fixture(file);
      for (let cut = 0; cut <= text.length; cut += 5) expect(typeof aider.parse(text.slice(0, cut), 0, NOW).text).toBe('string');
    });
  });
});
