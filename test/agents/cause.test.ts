import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ProcessOutput } from '../../src/agents/agent.js';
import { causeOf, composeCause, excerptLines, labelOf, summarizeJson } from '../../src/agents/cause.js';
import { claude } from '../../src/agents/adapters/claude.js';
import { CliAgent } from '../../src/agents/cli-agent.js';
import { CommandAgent } from '../../src/agents/command.js';
import { agentSpec } from '../../src/agents/registry.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'agents');
const fixture = (path: string) => readFileSync(join(FIXTURES, path), 'utf8');

const output = (text: string, over: Partial<ProcessOutput> = {}): ProcessOutput => ({
  stdout: text,
  combinedTail: text,
  exitCode: 1,
  signal: null,
  timedOut: false,
  interrupted: false,
  durationMs: 1_000,
  ...over,
});
const TIMED_OUT: Partial<ProcessOutput> = { timedOut: true, exitCode: null, signal: 'SIGTERM' };

/** The first line of the error an adapter makes of one recorded output. */
function causeLine(agent: string, path: string, over: Partial<ProcessOutput> = {}): string {
  const adapter = new CliAgent(agentSpec(agent), { extraArgs: [] }, { env: {}, timeoutMs: 30_000 });
  const result = adapter.parse(output(fixture(path), over));
  expect(result.ok).toBe(false);
  return result.error!.split('\n')[0]!;
}

describe('the cause rules', () => {
  it.each<[string, string | undefined]>([
    ['Invalid API key · Please run /login', 'auth failure'],
    ['litellm.AuthenticationError: AuthenticationError: OpenAIException - Incorrect API key provided', 'auth failure'],
    ['unexpected status 401 Unauthorized: Missing bearer or basic authentication in header', 'auth failure'],
    ['Error: Not logged in. Run `amp login` or set AMP_API_KEY.', 'auth failure'],
    ['Failed to authenticate. API Error: 403 Your API key does not have permission', 'auth failure'],
    ['INVALID_ARGUMENT: API key not valid. Please pass a valid API key.', 'auth failure'], // the Gemini API, as gemini 0.61.0 reports it
    ['API Error: Connection refused — a firewall or proxy may be blocking it (ECONNREFUSED)', 'API unreachable'],
    ['curl: (7) Failed to connect to 127.0.0.1 port 9 after 0 ms: Could not connect to server', 'API unreachable'],
    ['getaddrinfo ENOTFOUND api.anthropic.com', 'API unreachable'],
    ['TypeError: fetch failed', 'API unreachable'],
    ['API Error: 529 Overloaded. This is a server-side issue', 'API overloaded'],
    ['UNAVAILABLE: The model is overloaded. Please try again later.', 'API overloaded'],
    ['We’re currently experiencing high demand, which may cause temporary errors.', 'API overloaded'],
    ['litellm.RateLimitError: rate_limit_error', 'rate limited'],
    ['Prompt is too long · the request is ~250000 tokens (limit 200000)', 'context too long'],
    ["This model's maximum context length is 128000 tokens", 'context too long'],
    ['Reached maximum number of turns (1)', 'max turns reached'],
    ['error_max_turns', 'max turns reached'],
    ["There's an issue with the selected model (claude-opus-5-5).", 'model not found'],
    ["Tool Bash was rejected: command 'make' requires approval", 'permission denied'],
    ['sh: 1: ./deploy.sh: Permission denied', 'permission denied'],
    ['--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons', 'permission denied'],
    ['sh: 1: my-agent: not found', 'command not found'],
    ["You've hit your limit · resets 1pm (Europe/Berlin)", 'usage limit'],
    // What an agent prints while it works is no cause.
    ["FileNotFoundError: [Errno 2] No such file or directory: '/tmp/x'", undefined],
    ['Refactored the authentication module and its login page', undefined],
    ['Tests: 429 passed, 0 failed', undefined],
    ['the service was unavailable for a moment, retried', undefined],
    ['boom: disk on fire', undefined],
  ])('%j → %s', (line, label) => {
    expect(labelOf(line)).toBe(label);
  });
});

describe('composeCause', () => {
  it.each<[string, [string, string?, string?], string]>([
    ['the head alone', ['agent exited with code 3'], 'agent exited with code 3'],
    ["the head and the agent's words", ['agent exited with code 3', undefined, 'boom'], 'agent exited with code 3: boom'],
    [
      'a label first',
      ['timed out after 30s (--task-timeout)', 'API unreachable', 'Claude Code was retrying'],
      'API unreachable — timed out after 30s (--task-timeout): Claude Code was retrying',
    ],
    ['a label without words', ['claude reported an error', 'max turns reached'], 'max turns reached — claude reported an error'],
    ['words over several lines, on one', ['x', undefined, 'a\n  b\r\nc'], 'x: a b c'],
  ])('%s', (_what, [head, label, detail], expected) => {
    expect(composeCause(head, label, detail)).toBe(expected);
  });

  it('clips at 300 characters', () => {
    const line = composeCause('agent exited with code 1', undefined, 'x'.repeat(1000));
    expect(line).toHaveLength(300);
    expect(line.endsWith('…')).toBe(true);
  });
});

describe('causeOf a recorded error', () => {
  it.each<[string, string | undefined, string]>([
    ['a cause-first error', 'agent exited with code 3: boom\nlast output:\nworking\nboom', 'agent exited with code 3: boom'],
    ['an error from before causes came first', 'agent exited with code 3; last output:\nworking\nboom', 'agent exited with code 3: boom'],
    [
      'an older timeout',
      'timed out after 2s (--task-timeout); its process group was killed (SIGKILL); last output:\n{"x":1}',
      'timed out after 2s (--task-timeout); its process group was killed (SIGKILL): {"x":1}',
    ],
    ['one line', 'claude reported an error: Invalid API key', 'claude reported an error: Invalid API key'],
    ['an empty error', '', 'unknown error'],
    ['no error', undefined, 'unknown error'],
  ])('%s', (_what, error, cause) => {
    expect(causeOf(error)).toBe(cause);
  });
});

describe('the log excerpt', () => {
  it('shows stream events as the log does, summarises unknown JSON, drops brackets, clips long lines', () => {
    const init = fixture('claude/real-unreachable-killed.jsonl').split('\n')[0]!;
    const tail = [
      init,
      '{"type":"stream_event","event":{}}',
      '}',
      'x'.repeat(500),
      '{"type":"assistant","message":{"content":[{"type":"text","text":"half a sent',
    ].join('\n');
    const lines = excerptLines(tail, (line) => claude.renderLine(line));
    expect(lines[0]).toMatch(/^session [0-9a-f-]{36} started \(model /);
    expect(lines[1]).toBe('stream_event event (2 fields)');
    expect(lines[2]).toHaveLength(300);
    expect(lines[3]).toBe('assistant event (cut off): half a sent');
    expect(lines).toHaveLength(4);
  });

  it.each<[string, string, number, string[]]>([
    ['the last n lines', 'a\nb\nc\nd', 2, ['c', 'd']],
    ['everything when there are fewer', 'a\nb', 5, ['a', 'b']],
    ['no blank lines', 'a\n\n  \nb\n\n', 2, ['a', 'b']],
    ['CRLF lines', 'a\r\nb\r\nc\r\n', 2, ['b', 'c']],
    ['nothing of empty output', '', 3, []],
    ['nothing when asked for none', 'a\nb', 0, []],
    ['no terminal colours', '\u001b[31mred\u001b[0m', 3, ['red']],
  ])('keeps %s', (_what, tail, max, lines) => {
    expect(excerptLines(tail, undefined, max)).toEqual(lines);
  });

  it.each<[string, string | undefined]>([
    ['{"type":"system","subtype":"hook","a":1}', 'system/hook event (3 fields)'],
    ['{"a":1}', 'JSON event (1 fields)'],
    ['not json', undefined],
    ['{ a brace in prose', undefined],
  ])('summarises %j', (line, shown) => {
    expect(summarizeJson(line)).toBe(shown);
  });
});

describe('causes from real outputs', () => {
  it.each<[string, string, Partial<ProcessOutput>, string]>([
    // The real Claude Code 2.1.330 (recorded by test/agents/claude-real.test.ts).
    [
      'claude',
      'claude/real-unreachable.jsonl',
      {},
      'API unreachable — claude reported an error (exit code 1): API Error: Connection refused — a firewall or proxy may be blocking it (ECONNREFUSED)',
    ],
    [
      'claude',
      'claude/real-unreachable-killed.jsonl',
      TIMED_OUT,
      'API unreachable — timed out after 30s (--task-timeout): Claude Code was retrying the API (attempt 3 of 10: no connection)',
    ],
    ['claude', 'claude/real-auth.jsonl', {}, 'auth failure — claude reported an error (exit code 1): Invalid API key · Fix external API key'],
    [
      'claude',
      'claude/real-api-error.jsonl',
      {},
      expect.stringMatching(/^API overloaded — claude reported an error \(exit code 1\): API Error: 529 Overloaded\. /) as unknown as string,
    ],
    [
      'claude',
      'claude/real-prompt-too-long.jsonl',
      {},
      expect.stringMatching(/^context too long — claude reported an error \(exit code 1\): Prompt is too long · /) as unknown as string,
    ],
    ['claude', 'claude/real-max-turns.jsonl', {}, 'max turns reached — claude reported an error (exit code 1): Reached maximum number of turns (1)'],
    ['claude', 'claude/real-usage-limit.jsonl', {}, expect.stringMatching(/^usage limit: You've hit your 5-hour limit · resets /) as unknown as string],
    // The other CLIs' recorded outputs.
    ['claude', 'claude/max-turns.jsonl', {}, 'max turns reached — claude reported an error (exit code 1): error_max_turns'],
    [
      'claude',
      'claude/truncated.jsonl',
      TIMED_OUT,
      "timed out after 30s (--task-timeout): last output: assistant event (cut off): There is one file, a.txt. Now I'll rea",
    ],
    [
      'codex',
      'codex/error.jsonl',
      {},
      'auth failure — codex reported an error (exit code 1): unexpected status 401 Unauthorized: Missing bearer or basic authentication in header',
    ],
    [
      'gemini',
      'gemini/error.json',
      {},
      expect.stringMatching(/^auth failure — gemini reported an error \(exit code 1\): Please set an Auth method/) as unknown as string,
    ],
    [
      'codex',
      'codex/real-server-error.jsonl',
      {},
      'API overloaded — codex reported an error (exit code 1): We’re currently experiencing high demand, which may cause temporary errors.',
    ],
    [
      'gemini',
      'gemini/api-error.json',
      {},
      'API overloaded — gemini reported an error (exit code 1): UNAVAILABLE: The model is overloaded. Please try again later.',
    ],
    [
      'opencode',
      'opencode/auth-error.jsonl',
      {},
      'auth failure — opencode reported an error (exit code 1): Anthropic API key is missing or invalid. Run opencode auth login.',
    ],
    ['aider', 'aider/auth-error.txt', {}, expect.stringMatching(/^auth failure — aider reported an error \(exit code 1\): /) as unknown as string],
    ['amp', 'amp/max-turns.jsonl', {}, 'max turns reached — amp reported an error (exit code 1): error_max_turns'],
    [
      'amp',
      'amp/error-during-execution.jsonl',
      {},
      "permission denied — amp reported an error (exit code 1): Tool Bash was rejected: command 'make' requires approval (run with --dangerously-allow-all)",
    ],
    ['amp', 'amp/plain-error.txt', {}, 'auth failure — amp reported an error (exit code 1): Error: Not logged in. Run `amp login` or set AMP_API_KEY.'],
    ['copilot', 'copilot/auth-error.txt', {}, 'auth failure — copilot reported an error (exit code 1): Error: No authentication information found.'],
  ])('%s %s', (agent, path, over, expected) => {
    expect(causeLine(agent, path, over)).toEqual(expected);
  });

  it('says a Claude Code run that timed out with nothing after its init got no answer from the API', () => {
    const init = fixture('claude/real-text.jsonl').split('\n')[0]!;
    const error = new CliAgent(claude, { extraArgs: [] }, { env: {}, timeoutMs: 30_000 }).parse(output(init, TIMED_OUT)).error!;
    expect(error.split('\n')[0]).toBe('no answer from the API — timed out after 30s (--task-timeout): nothing came after the session started');
  });

  it("never quotes the init event of a Claude Code run that timed out: its excerpt is the log's readable lines", () => {
    const adapter = new CliAgent(claude, { extraArgs: [] }, { env: {}, timeoutMs: 30_000 });
    const error = adapter.parse(output(fixture('claude/real-unreachable-killed.jsonl'), TIMED_OUT)).error!;
    expect(error).not.toContain('"subtype":"init"');
    expect(error).not.toContain('"tools"');
    expect(error.split('\n').slice(1)).toEqual([
      'its process group was killed (SIGTERM)',
      'last output:',
      expect.stringMatching(/^session [0-9a-f-]{36} started \(model /),
      expect.stringMatching(/^API request failed \(API unreachable\?\); retry 1 of 10 in \d\.\ds$/),
      expect.stringMatching(/^API request failed \(API unreachable\?\); retry 2 of 10 in \d\.\ds$/),
      expect.stringMatching(/^API request failed \(API unreachable\?\); retry 3 of 10 in \d\.\ds$/),
    ]);
  });

  it.each<[string, Partial<ProcessOutput>, string]>([
    ['an exit with output', { exitCode: 3, combinedTail: 'working\nboom: disk on fire\n' }, 'agent exited with code 3: boom: disk on fire'],
    [
      'an exit whose output names the cause before its last line',
      { exitCode: 7, combinedTail: 'curl: (7) Failed to connect to 127.0.0.1 port 9: Connection refused\ngiving up\n' },
      'API unreachable — agent exited with code 7: curl: (7) Failed to connect to 127.0.0.1 port 9: Connection refused',
    ],
    ['an exit without output', { exitCode: 3, combinedTail: '' }, 'agent exited with code 3 (no output)'],
    ['a timeout', { ...TIMED_OUT, combinedTail: 'step 1\nstill working\n' }, 'timed out after 30s (--task-timeout): last output: still working'],
    ['a kill', { exitCode: null, signal: 'SIGKILL', combinedTail: 'step 1\n' }, 'agent was killed by SIGKILL: last output: step 1'],
  ])('a command agent: %s', (_what, over, expected) => {
    const error = new CommandAgent('./agent.sh', { timeoutMs: 30_000 }).parse(output('', over)).error!;
    expect(error.split('\n')[0]).toBe(expected);
  });
});
