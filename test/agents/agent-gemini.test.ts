import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AgentOptions, BuildContext, ParsedOutput } from '../../src/agents/cli-spec.js';

// The text recogniser runs for real; the mock only lets tests see its calls and stand in for it.
vi.mock('../../src/agents/usage-limit.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/agents/usage-limit.js')>();
  return { ...actual, detectUsageLimit: vi.fn(actual.detectUsageLimit) };
});

const { gemini, GEMINI_PROMPT_HINT } = await import('../../src/agents/adapters/gemini.js');
const { detectUsageLimit } = await import('../../src/agents/usage-limit.js');

const fixture = (name: string): string => readFileSync(join(import.meta.dirname, '../fixtures/agents/gemini', name), 'utf8');
const NOW = new Date('2026-04-10T10:00:00Z');
const UNTRUSTED =
  'Gemini CLI is not running in a trusted directory. To proceed, either use `--skip-trust`, set the `GEMINI_CLI_TRUST_WORKSPACE=true` environment variable, or trust this directory in interactive mode. For more details, see https://geminicli.com/docs/cli/trusted-folders/#headless-and-automated-environments';

afterEach(() => {
  vi.mocked(detectUsageLimit).mockClear();
});

describe('gemini: build', () => {
  const ctx = (isRoot: boolean): BuildContext => ({ promptFile: '/tmp/ralph/prompt.md', cwd: '/srv/work', isRoot });
  const hint = ['-p', GEMINI_PROMPT_HINT];

  // Unattended by default: the working directory trusted (else every run exits 55, "not running in
  // a trusted directory") and every tool approved (else headless gemini offers no shell or write tool).
  const yolo = ['--approval-mode', 'yolo'];
  it.each<[string, Partial<AgentOptions>, boolean, string[]]>([
    ['no options', {}, false, ['--output-format', 'json', ...yolo, ...hint]],
    ['no options, as root (no difference)', {}, true, ['--output-format', 'json', ...yolo, ...hint]],
    ['a model', { model: 'gemini-2.5-flash' }, false, ['--output-format', 'json', '--model', 'gemini-2.5-flash', ...yolo, ...hint]],
    ['an empty model', { model: '' }, false, ['--output-format', 'json', ...yolo, ...hint]],
    [
      'an approval mode in extra args (it wins)',
      { extraArgs: ['--approval-mode', 'auto_edit'] },
      true,
      ['--output-format', 'json', ...hint, '--approval-mode', 'auto_edit'],
    ],
    ['--approval-mode=plan in extra args', { extraArgs: ['--approval-mode=plan'] }, false, ['--output-format', 'json', ...hint, '--approval-mode=plan']],
    ['-y in extra args', { extraArgs: ['-y'] }, false, ['--output-format', 'json', ...hint, '-y']],
    [
      'other extra args (last)',
      { extraArgs: ['--include-directories', 'src'] },
      false,
      ['--output-format', 'json', ...yolo, ...hint, '--include-directories', 'src'],
    ],
    [
      'claude and codex options (ignored)',
      { own: { permissionMode: 'plan', allowedTools: 'Bash', sandbox: 'read-only' } },
      false,
      ['--output-format', 'json', ...yolo, ...hint],
    ],
    [
      'everything',
      { model: 'gemini-2.5-pro', extraArgs: ['--yolo', '--include-directories', 'src,docs'] },
      false,
      ['--output-format', 'json', '--model', 'gemini-2.5-pro', ...hint, '--yolo', '--include-directories', 'src,docs'],
    ],
  ])('%s', (_what, over, isRoot, args) => {
    const prompt = 'Fix the bug; then say "FINDINGS: …"\n$(rm -rf /) `x`';
    const built = gemini.build(prompt, { extraArgs: [], ...over }, ctx(isRoot));
    // The prompt goes to stdin (gemini puts it before the -p text); argv only points at it.
    expect(built).toEqual({ args, env: { GEMINI_CLI_TRUST_WORKSPACE: 'true' }, stdin: prompt });
    expect(built.args.some((a) => a.includes('FINDINGS'))).toBe(false);
  });
});

describe('gemini: parse', () => {
  it.each<[string, number | null, ParsedOutput]>([
    [
      'success.json',
      0,
      {
        text: 'Created hello.txt with the greeting.\n\nFINDINGS: wrote hello.txt ("hello, world").',
        isError: false,
        // The candidates and the thoughts: Ralph's output holds the reasoning.
        tokens: { input: 24939, output: 274, cache_read: 21263, reasoning: 154, total: 25213 },
        sessionId: 'c4f1e2d3-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
        model: 'gemini-2.5-pro',
        details: { tool_calls: 2 },
      },
    ],
    [
      'multi-model.json',
      0,
      {
        text: 'The build is green; nothing to change.',
        isError: false,
        // Summed over both models; the model is the one that used the most tokens.
        tokens: { input: 9805, output: 128, cache_read: 4000, reasoning: 78, total: 9933 },
        tokensByModel: {
          'gemini-2.5-flash-lite': { input: 812, output: 58, cache_read: 0, reasoning: 48, total: 870 },
          'gemini-2.5-pro': { input: 8993, output: 70, cache_read: 4000, reasoning: 30, total: 9063 },
        },
        model: 'gemini-2.5-pro',
        details: { tool_calls: 1 },
      },
    ],
    [
      'with-logs.txt',
      0,
      {
        // Log lines before and after the document; braces inside its strings.
        text: 'Answer: 42 {not a brace problem} "quoted"\n}\n{',
        isError: false,
        tokens: { input: 1000, output: 25, cache_read: 0, reasoning: 0, total: 1025 },
        model: 'gemini-2.5-flash',
        details: { tool_calls: 0 },
      },
    ],
    [
      'error.json',
      41,
      {
        text: '',
        isError: true,
        error:
          'Please set an Auth method in your /root/.gemini/settings.json or specify one of the following environment variables before running: GEMINI_API_KEY, GOOGLE_GENAI_USE_VERTEXAI, GOOGLE_GENAI_USE_GCA',
        sessionId: 'd5a2f3e4-6b7c-4d8e-9f0a-1b2c3d4e5f6a',
        details: { error_type: 'FatalAuthenticationError', error_code: 41 },
      },
    ],
    [
      'api-error.json',
      1,
      {
        text: '',
        isError: true,
        error: 'UNAVAILABLE: The model is overloaded. Please try again later.',
        details: { error_type: 'ApiError', error_code: 1 },
      },
    ],
    [
      'usage-limit.json',
      1,
      {
        text: '',
        isError: true,
        error: 'RESOURCE_EXHAUSTED: Resource has been exhausted (e.g. check quota).',
        usageLimit: { message: 'RESOURCE_EXHAUSTED: Resource has been exhausted (e.g. check quota).' },
        details: { error_type: 'Error', error_code: 429 },
      },
    ],
    [
      'usage-limit-retry.json',
      1,
      {
        text: '',
        isError: true,
        error: 'You exceeded your current quota, please check your plan and billing details. Please retry in 32.5s.',
        tokens: { input: 0, output: 0, cache_read: 0, reasoning: 0, total: 0 },
        model: 'gemini-2.5-pro',
        usageLimit: {
          message: 'You exceeded your current quota, please check your plan and billing details. Please retry in 32.5s.',
          resetsAt: '2026-04-10T10:00:32.500Z',
        },
        details: { tool_calls: 0, error_type: 'ApiError', error_code: 429 },
      },
    ],
    // Recorded from the real Gemini CLI 0.61.0 against test/helpers/mock-gemini.ts (see the fixtures' README).
    [
      'real-tool-call.txt',
      0,
      {
        text: 'Wrote rec.txt.\n\nFINDINGS: rec.txt written by run_shell_command',
        isError: false,
        // The main model's two turns and the router's one call, summed; the model is the main one.
        tokens: { input: 2050, output: 490, cache_read: 600, reasoning: 80, total: 2540 },
        tokensByModel: {
          'gemini-3.5-flash-lite': { input: 50, output: 10, cache_read: 0, reasoning: 0, total: 60 },
          'gemini-3.8-flash': { input: 2000, output: 480, cache_read: 600, reasoning: 80, total: 2480 },
        },
        sessionId: 'b1a18755-4c35-4471-86aa-3cba314a83b9',
        model: 'gemini-3.8-flash',
        details: { tool_calls: 1 },
      },
    ],
    [
      'real-quota.txt',
      173,
      {
        text: '',
        isError: true,
        error: 'You have exhausted your daily quota on this model.',
        sessionId: '2f8a6c3a-b057-48ff-8f34-eb8f3709da87',
        // A daily quota lifts at midnight Pacific time (Google's rule), not when the API's "Please retry in
        // 37.5s." (in gemini's stderr report) says: retrying then would fail all day, once a minute.
        usageLimit: { message: 'You have exhausted your daily quota on this model.', resetsAt: '2026-04-11T07:00:00.000Z' },
        details: { error_type: 'Error', error_code: 429 },
      },
    ],
    [
      'real-auth.txt',
      144,
      {
        text: '',
        isError: true,
        error: 'INVALID_ARGUMENT: API key not valid. Please pass a valid API key.',
        sessionId: 'f6dcb1e4-7e3d-4003-8d04-3718d010253c',
        details: { error_type: 'Error', error_code: 400 },
      },
    ],
    // Killed by a timeout while it retried an API nothing listens on (stderr only).
    [
      'real-unreachable-killed.txt',
      null,
      {
        text: expect.any(String) as unknown as string,
        isError: true,
        error: 'gemini was retrying the API (attempt 2: TypeError: fetch failed sending request)',
        cause: { label: 'API unreachable', detail: 'gemini was retrying the API (attempt 2: TypeError: fetch failed sending request)' },
      },
    ],
    // Not a document: the text is kept as it is (a plain-text answer may hold a finding).
    ['real-untrusted.txt', 55, { text: `\u001b[31m${UNTRUSTED}\u001b[0m`, isError: true, error: `${UNTRUSTED.slice(0, 299)}…` }],
    ['truncated.txt', null, { text: '', isError: true, error: 'the JSON document in the output is incomplete (truncated?)' }],
    ['truncated.txt', 0, { text: '', isError: true, error: 'the JSON document in the output is incomplete (truncated?)' }],
    // The last object that starts a line and looks like gemini's document; its fields are all wrong.
    ['malformed.txt', 0, { text: '', isError: true, error: 'no response in the output', model: 'n' }],
  ])('%s (exit %s)', (name, exitCode, expected) => {
    expect(gemini.parse(fixture(name), exitCode, NOW)).toEqual(expected);
  });

  const doc = (value: Record<string, unknown>): string => JSON.stringify(value, null, 2);

  it.each<[string, string, Partial<ParsedOutput>]>([
    ['a single-line document', JSON.stringify({ response: 'one line' }), { text: 'one line', isError: false }],
    ['an empty response (still a response)', doc({ response: '' }), { text: '', isError: false }],
    ['a document after a line with a stray brace', `{ not json\n${doc({ response: 'ok' })}`, { text: 'ok', isError: false }],
    ['a document not at the start of a line', `Loaded cached credentials.${JSON.stringify({ response: 'glued' })}`, { text: 'glued', isError: false }],
    ['two documents (the last wins)', `${doc({ response: 'first' })}\n${doc({ response: 'second' })}`, { text: 'second' }],
    [
      'a response next to an error',
      doc({ response: 'partial', error: { type: 'ApiError', message: 'boom' } }),
      { text: 'partial', isError: true, error: 'boom' },
    ],
    ['an error with only a type', doc({ error: { type: 'FatalTurnLimitedError' } }), { isError: true, error: 'FatalTurnLimitedError' }],
    [
      'the input field when prompt is missing',
      doc({ response: 'x', stats: { models: { m: { tokens: { input: 7, candidates: 1 } } } } }),
      { tokens: { input: 7, output: 1 }, model: 'm' },
    ],
    ['sessionId spelled in camel case', doc({ response: 'x', sessionId: 'abc' }), { sessionId: 'abc' }],
    ['a 429 code as a string', doc({ error: { message: 'slow down', code: '429' } }), { usageLimit: { message: 'slow down' } }],
    [
      'a quota message without a code',
      doc({ error: { message: 'Quota exceeded for quota metric Requests per day' } }),
      { usageLimit: { message: 'Quota exceeded for quota metric Requests per day', resetsAt: '2026-04-11T07:00:00.000Z' } },
    ],
    [
      'plain text (an --output-format override)',
      'Paris is the capital of France.\n',
      { text: 'Paris is the capital of France.', isError: true, error: 'no JSON document in the output' },
    ],
    ['nothing', '', { text: '', isError: true, error: 'no output' }],
    // What gemini 0.61.0 prints on stderr when it stops before its document (exit 55), colours and all.
    [
      'its own message on stderr, without a document',
      `Warning: 256-color support not detected. Using a terminal with at least 256-color support is recommended for a better visual experience.\n\u001b[31m${UNTRUSTED}\u001b[0m\n`,
      { isError: true, error: `${UNTRUSTED.slice(0, 299)}…` },
    ],
    // Killed by a timeout while it retried an unreachable API (0.61.0's stderr, stack traces cut).
    [
      'retries of an unreachable API',
      'Attempt 1 failed. Retrying with backoff... Error: exception TypeError: fetch failed sending request\n    at file:///x/chunk.js:1:2\nAttempt 2 failed. Retrying with backoff... Error: exception TypeError: fetch failed sending request\n    at async retryWithBackoff (file:///x/chunk.js:3:4)\n',
      { isError: true, cause: { label: 'API unreachable', detail: 'gemini was retrying the API (attempt 2: TypeError: fetch failed sending request)' } },
    ],
    ['an unknown-flag message', 'Unknown argument: skip-trus\n', { isError: true, error: 'no JSON document in the output' }],
    [
      'an error line after noise',
      'YOLO mode is enabled. All tool calls will be automatically approved.\nError: cannot read settings.json\n',
      { isError: true, error: 'Error: cannot read settings.json' },
    ],
  ])('reads %s', (_what, stdout, expected) => {
    expect(gemini.parse(stdout, 0, NOW)).toMatchObject(expected);
  });

  it('finds no usage limit in an error that is not about quota', () => {
    expect(gemini.parse(fixture('api-error.json'), 1, NOW).usageLimit).toBeUndefined();
  });

  it('asks the text recogniser when the limit lifts, with the given clock', () => {
    gemini.parse(fixture('usage-limit-retry.json'), 1, NOW);
    expect(detectUsageLimit).toHaveBeenCalledWith('You exceeded your current quota, please check your plan and billing details. Please retry in 32.5s.', NOW);
  });

  it('falls back to the recogniser for failures without a quota error', () => {
    vi.mocked(detectUsageLimit).mockReturnValueOnce({ message: 'limited', resetsAt: '2030-01-01T00:00:00.000Z' });
    expect(gemini.parse(fixture('api-error.json'), 1, NOW).usageLimit).toEqual({ message: 'limited', resetsAt: '2030-01-01T00:00:00.000Z' });
  });

  it.each(['success.json', 'multi-model.json', 'with-logs.txt'])('does not look for a usage limit in a successful run (%s)', (name) => {
    expect(gemini.parse(fixture(name), 0, NOW).usageLimit).toBeUndefined();
    expect(detectUsageLimit).not.toHaveBeenCalled();
  });

  it('defaults the clock to now', () => {
    expect(gemini.parse(fixture('success.json'), 0).isError).toBe(false);
  });

  const garbage = [
    '\n\n',
    'null',
    '{',
    '}',
    '[]',
    '{"response":',
    '"response": "x"',
    '\u0000\uffff\ud800',
    '{'.repeat(5000),
    `${'{\n'.repeat(3000)}`,
    'c'.repeat(100_000),
    '{"stats":{"models":[1,2]}}',
    '{"error":"just a string"}',
  ];
  it.each(garbage.map((g) => [JSON.stringify(g).slice(0, 40), g]))('never throws: %s', (_label, input) => {
    for (const exitCode of [0, 1, null]) {
      const parsed = gemini.parse(input, exitCode, NOW);
      expect(typeof parsed.text).toBe('string');
      expect(parsed.isError).toBe(true);
    }
  });

  it('never throws on any prefix of a recorded document, and fails every incomplete one', () => {
    const full = fixture('success.json');
    const end = full.trimEnd().length;
    for (let cut = 0; cut <= full.length; cut += 29) {
      const parsed = gemini.parse(full.slice(0, cut), 0, NOW);
      if (cut < end) expect(parsed.isError).toBe(true);
    }
    expect(gemini.parse(full, 0, NOW).isError).toBe(false);
  });

  it('never throws on random bytes', () => {
    let seed = 4242;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const alphabet = '{}[]":,\\ \nresponsttaiodlgc0123456789-.';
    for (let run = 0; run < 200; run++) {
      let text = '';
      const length = next() % 400;
      for (let i = 0; i < length; i++) text += alphabet[next() % alphabet.length];
      expect(() => gemini.parse(text, next() % 2, NOW)).not.toThrow();
    }
  });
});

describe('gemini: renderLine', () => {
  it.each(['{', '  "response": "x",', 'Loaded cached credentials.', '{"response":"x"}', ''])('logs %j as it is', (line) => {
    expect(gemini.renderLine?.(line)).toBeUndefined();
  });
});

describe('gemini: spec', () => {
  it('names itself and says how to install it', () => {
    expect(gemini).toMatchObject({ name: 'gemini', title: 'Gemini CLI', bin: 'gemini' });
    expect(gemini.install).toContain('@google/gemini-cli');
    expect(gemini.formatNote).toContain('--output-format json');
  });
});
