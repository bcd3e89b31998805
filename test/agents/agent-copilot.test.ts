import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { AgentOptions, ParsedOutput } from '../../src/agents/cli-spec.js';
import type { UsageLimitInfo } from '../../src/agents/usage-limit.js';

// The text recogniser is tested on its own; here it is a stub, so that these tests say what the
// adapter does with its answer (and what it hands it).
const detect = vi.hoisted(() => vi.fn<(text: string, now: Date) => UsageLimitInfo | undefined>());
vi.mock('../../src/agents/usage-limit.js', () => ({ detectUsageLimit: detect }));

import { copilot } from '../../src/agents/adapters/copilot.js';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/agents/copilot/${name}`, import.meta.url), 'utf8');
/** The fixture up to its usage summary: what the answer should be. */
const beforeSummary = (name: string): string => fixture(name).split('Total usage est:')[0]?.trim() ?? '(missing)';
const ctx = { promptFile: '/state/prompts/worker-1.prompt.md', cwd: '/work/repo', isRoot: false };
const NOW = new Date('2026-11-21T12:00:00Z');
const EXCEEDED =
  'Error: You have exceeded your Copilot premium request allowance for this month. Upgrade your plan or wait until your allowance resets on Dec 1.';
const OLD_SUMMARY = { premium_requests: 1, api_duration: '5.2s', wall_duration: '7.9s', code_changes: '0 lines added, 0 lines removed' };

beforeEach(() => {
  detect.mockReset();
  detect.mockReturnValue(undefined);
});

describe('copilot spec', () => {
  it('names the CLI', () => {
    expect(copilot).toMatchObject({ name: 'copilot', title: 'GitHub Copilot CLI', bin: 'copilot' });
    expect(copilot.install).toContain('npm install -g @github/copilot');
    expect(copilot.install).not.toContain('--agent-bin'); // the not-found message says where to point it, once
    expect(copilot.formatNote).not.toBe('');
  });

  it.each<[string, AgentOptions, string[]]>([
    ['the defaults', { extraArgs: [] }, ['--allow-all-tools']],
    ['a model', { model: 'claude-sonnet-4.5', extraArgs: [] }, ['--allow-all-tools', '--model', 'claude-sonnet-4.5']],
    ['a blank model', { model: '', extraArgs: [] }, ['--allow-all-tools']],
    [
      'extra args, last',
      { model: 'gpt-5', extraArgs: ['--deny-tool', 'shell(git push)', '--log-level', 'error'] },
      ['--allow-all-tools', '--model', 'gpt-5', '--deny-tool', 'shell(git push)', '--log-level', 'error'],
    ],
    ['extra args without a model', { extraArgs: ['--allow-all-paths'] }, ['--allow-all-tools', '--allow-all-paths']],
  ])('builds argv with %s; the prompt is the -p argument', (_what, options, rest) => {
    const prompt = '-- review "src/a.ts"; $(no shell) `here`\n- and list FINDINGS:';
    expect(copilot.build(prompt, options, ctx)).toEqual({ args: ['-p', prompt, ...rest], env: {}, stdin: '' });
  });

  it.each<[string, string, number | null, ParsedOutput]>([
    [
      'a run with the "Usage by model" summary',
      'success.txt',
      0,
      {
        text: beforeSummary('success.txt'),
        isError: false,
        tokens: { input: 12300, output: 456, cache_read: 0, cache_write: 0 },
        model: 'claude-sonnet-4.5',
        details: OLD_SUMMARY,
      },
    ],
    [
      'the "Breakdown by AI model" summary with two models (no single model; m = millions)',
      'new-summary.txt',
      0,
      {
        text: beforeSummary('new-summary.txt'),
        isError: false,
        tokens: { input: 1_456_400, output: 21_200, cache_read: 1_327_200, reasoning: 9_900 },
        details: { premium_requests: 0.33, api_duration: '2m 10s', wall_duration: '2m 41s', code_changes: '+0 -0' },
      },
    ],
    [
      'a run without a summary (printed on stderr)',
      'no-summary.txt',
      0,
      {
        text: fixture('no-summary.txt').trim(),
        isError: false,
      },
    ],
    [
      'the 1.0.102 summary (on stderr, read interleaved with stdout): rounded counts, the session id',
      'real-tool-use.txt',
      0,
      {
        text: fixture('real-tool-use.stdout.txt').trim(),
        isError: false,
        tokens: { input: 2400, output: 68, cache_read: 200, reasoning: 14 },
        sessionId: '40b88e30-5fab-4254-976b-b5fe7f0e7822',
        details: { code_changes: '+0 -0', wall_duration: '2s' },
      },
    ],
    [
      'a 1.0.102 error after retries: the message without the retry notices',
      'real-auth.txt',
      1,
      {
        text: fixture('real-auth.txt')
          .split('\n\n\nChanges')[0]!
          .replace(/● Request failed.*\n/g, '')
          .trim(),
        isError: true,
        error: 'Authentication failed with provider at http://127.0.0.1:18125/v1 (HTTP 401).',
        sessionId: '74f3e459-abe1-4d17-99e5-d66f621e9362',
        details: { code_changes: '+0 -0', wall_duration: '3s' },
      },
    ],
    [
      'an exhausted premium allowance',
      'premium-exceeded.txt',
      1,
      {
        text: EXCEEDED,
        isError: true,
        error: EXCEEDED,
        usageLimit: { message: EXCEEDED },
      },
    ],
    [
      'an exhausted premium allowance with exit code 0',
      'premium-exceeded.txt',
      0,
      {
        text: EXCEEDED,
        isError: true,
        error: EXCEEDED,
        usageLimit: { message: EXCEEDED },
      },
    ],
    [
      'an authentication error followed by hints',
      'auth-error.txt',
      1,
      {
        text: fixture('auth-error.txt').trim(),
        isError: true,
        error: 'Error: No authentication information found.',
      },
    ],
    [
      'output cut inside the summary (killed)',
      'truncated.txt',
      null,
      {
        text: beforeSummary('truncated.txt'),
        isError: true,
        error: 'FINDINGS: src/store/session.ts:77 write the data file first, then the index.',
        details: OLD_SUMMARY,
      },
    ],
  ])('parses %s', (_what, file, exitCode, expected) => {
    expect(copilot.parse(fixture(file), exitCode, NOW)).toEqual(expected);
  });

  it.each<[string, string, number | null, ParsedOutput]>([
    ['empty output', '', 0, { text: '', isError: false }],
    ['empty output and a failed exit', '', 1, { text: '', isError: true, error: 'copilot exited with code 1 without output' }],
    ['a summary alone', 'Total usage est: 2 Premium requests\n', 0, { text: '', isError: false, details: { premium_requests: 2 } }],
    [
      'a model block without the total line',
      'FINDINGS: ok\nUsage by model:\n    gpt-5    1,234 input, 5 output\n',
      0,
      {
        text: 'FINDINGS: ok',
        isError: false,
        tokens: { input: 1234, output: 5 },
        model: 'gpt-5',
      },
    ],
    [
      'colours and CRLF',
      '\u001b[1mFINDINGS: ok\u001b[0m\r\n\r\nTotal usage est: 1 Premium request\r\nUsage by model:\r\n  gpt-5  10 input, 2 output (Est. 1 Premium request)\r\n',
      0,
      {
        text: 'FINDINGS: ok',
        isError: false,
        tokens: { input: 10, output: 2 },
        model: 'gpt-5',
        details: { premium_requests: 1 },
      },
    ],
    [
      'model lines that are not counts',
      'ok\nTotal usage est: 1 Premium request\nUsage by model:\n    gpt-5    lots of tokens\n    (none)\n',
      0,
      {
        text: 'ok',
        isError: false,
        details: { premium_requests: 1 },
      },
    ],
    [
      'an answer that merely mentions an error',
      'FINDINGS: Error handling is missing in src/a.ts\n',
      0,
      { text: 'FINDINGS: Error handling is missing in src/a.ts', isError: false },
    ],
    [
      'a failure that is not a limit',
      'Error: Model "gpt-9" is not available.\n',
      1,
      { text: 'Error: Model "gpt-9" is not available.', isError: true, error: 'Error: Model "gpt-9" is not available.' },
    ],
    [
      'an HTTP 429',
      'Error: Request failed with status 429\n',
      1,
      {
        text: 'Error: Request failed with status 429',
        isError: true,
        error: 'Error: Request failed with status 429',
        usageLimit: { message: 'Error: Request failed with status 429' },
      },
    ],
  ])('parses %s', (_what, stdout, exitCode, expected) => {
    expect(copilot.parse(stdout, exitCode, NOW)).toEqual(expected);
  });

  describe('usage limits', () => {
    it('asks the text recogniser with the end of the output and the given time, and takes its answer first', () => {
      const found = { message: 'premium requests exhausted', resetsAt: '2026-12-01T00:00:00.000Z' };
      detect.mockReturnValue(found);
      expect(copilot.parse(fixture('premium-exceeded.txt'), 1, NOW).usageLimit).toEqual(found);
      expect(detect).toHaveBeenCalledWith(EXCEEDED, NOW);
    });

    it('shows the recogniser the last lines only', () => {
      const stdout = ['rate limit exceeded (an old line of the answer)', ...Array.from({ length: 20 }, (_, i) => `line ${i}`), 'Error: boom'].join('\n');
      expect(copilot.parse(stdout, 1, NOW).usageLimit).toBeUndefined();
      expect(detect.mock.calls[0]?.[0]).not.toContain('rate limit');
    });

    it.each(['success.txt', 'new-summary.txt', 'no-summary.txt'])('does not look for one when %s succeeded', (file) => {
      detect.mockReturnValue({ message: 'would be wrong' });
      expect(copilot.parse(fixture(file), 0, NOW).usageLimit).toBeUndefined();
      expect(detect).not.toHaveBeenCalled();
    });

    it('defaults the time to now', () => {
      copilot.parse(fixture('auth-error.txt'), 1);
      const at = detect.mock.calls[0]?.[1];
      expect(at).toBeInstanceOf(Date);
      expect(Math.abs((at as Date).getTime() - Date.now())).toBeLessThan(60_000);
    });
  });

  it('logs plain text lines as they are', () => {
    for (const line of fixture('new-summary.txt').split('\n')) expect(copilot.renderLine?.(line)).toBeUndefined();
  });

  describe('never throws', () => {
    const garbage = [
      '',
      '\n',
      'Total usage est:',
      'Total usage est: NaN Premium requests',
      'Usage by model:',
      'Usage by model:\n  x',
      'Usage by model:\n  x 1e999 input',
      `Breakdown by AI model:\n  m ${'9'.repeat(500)}k in`,
      '\u0000\u00ff',
      'Error:',
      'x'.repeat(100_000),
      '\r\r',
    ];
    it.each(garbage.flatMap((g) => [0, 1, null].map((code) => [`${JSON.stringify(g.slice(0, 40))} (exit ${code})`, g, code] as const)))(
      'parses %s',
      (_label, stdout, code) => {
        const out = copilot.parse(stdout, code, NOW);
        expect(typeof out.text).toBe('string');
        expect(typeof out.isError).toBe('boolean');
      },
    );

    it.each(['success.txt', 'new-summary.txt', 'auth-error.txt'])('parses every prefix of %s', (file) => {
      const text = fixture(file);
      for (let cut = 0; cut <= text.length; cut += 5) expect(typeof copilot.parse(text.slice(0, cut), 1, NOW).text).toBe('string');
    });
  });
});
