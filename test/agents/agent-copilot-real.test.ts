// What Ralph makes of the output of the REAL Copilot CLI 1.0.102 (fixtures recorded from it, see
// test/fixtures/agents/copilot/README.md), through the whole adapter: the spec and CliAgent, with the
// real usage-limit recogniser. test/agents/copilot-real.test.ts runs the binary itself under ralph.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ProcessOutput } from '../../src/agents/agent.js';
import { CliAgent } from '../../src/agents/cli-agent.js';
import { copilot } from '../../src/agents/adapters/copilot.js';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/agents/copilot/${name}`, import.meta.url), 'utf8');

/** A run as the runner reports it: stdout alone, and both streams interleaved (the combined tail). */
function recorded(name: string, over: Partial<ProcessOutput> = {}): ProcessOutput {
  return {
    stdout: fixture(`real-${name}.stdout.txt`),
    combinedTail: fixture(`real-${name}.txt`),
    exitCode: 1,
    signal: null,
    timedOut: false,
    interrupted: false,
    durationMs: 2000,
    ...over,
  };
}

const agent = new CliAgent(copilot, { extraArgs: [] }, { timeoutMs: 7000 });
const firstLine = (error: string | undefined) => error?.split('\n')[0];

describe('copilot adapter on the real 1.0.102 output', () => {
  it('a run with a shell tool call: the finding from stdout, tokens and the session id from the summary on stderr', () => {
    const result = agent.parse(recorded('tool-use', { exitCode: 0 }));
    expect(result).toMatchObject({
      ok: true,
      finding: 'it works',
      agent: 'copilot',
      sessionId: '40b88e30-5fab-4254-976b-b5fe7f0e7822',
      // "Tokens ↑ 2.4k (200 cached) • ↓ 68 (14 reasoning)": two model calls of 1200 in / 34 out each.
      tokens: { input: 2400, output: 68, cache_read: 200, reasoning: 14 },
    });
    // The answer is what the agent said, not the summary.
    expect(result.text).toContain('Done. FINDINGS: it works');
    expect(result.text).not.toMatch(/Resume|Tokens/);
  });

  it('a 429 after Copilot\'s retries: a usage limit, with the reset the API named ("try again in 20s")', () => {
    const before = Date.now();
    const result = agent.parse(recorded('rate-limit'));
    expect(result).toMatchObject({ ok: false, reason: 'usage-limit', sessionId: 'e828e8b9-5208-4add-8df0-09ff351ad29e' });
    expect(result.usageLimit?.message).toMatch(/^Failed to get response from the AI model; retried 5 times .*Last error: 429 Rate limit reached for requests/);
    const resets = Date.parse(result.usageLimit?.resetsAt ?? '');
    expect(resets).toBeGreaterThanOrEqual(before + 20_000 - 1000);
    expect(resets).toBeLessThanOrEqual(Date.now() + 20_000 + 1000);
  });

  it.each([
    ['auth', 'auth failure — copilot reported an error (exit code 1): Authentication failed with provider at http://127.0.0.1:18125/v1 (HTTP 401).'],
    ['no-auth', 'auth failure — copilot reported an error (exit code 1): Error: No authentication information found.'],
    ['unreachable', 'API unreachable — copilot reported an error (exit code 1): Could not connect to local model provider at http://127.0.0.1:1/v1.'],
  ])('%s: an agent error whose first line is the cause', (name, cause) => {
    const result = agent.parse(recorded(name));
    expect(result).toMatchObject({ ok: false, reason: 'agent-error' });
    expect(firstLine(result.error)).toBe(cause);
  });

  it('an unreachable API until the task timeout: the timeout, with what Copilot was doing', () => {
    // Stopped with SIGTERM, Copilot says "Exiting…", prints its summary and exits 0.
    const result = agent.parse(recorded('unreachable-killed', { exitCode: 0, timedOut: true }));
    expect(result).toMatchObject({ ok: false, reason: 'timeout' });
    expect(firstLine(result.error)).toBe(
      'no answer from the API — timed out after 7s (--task-timeout): Copilot was retrying: Response was interrupted due to a server error. Retrying...',
    );
  });

  it('stopped before its first retry, Copilot says its session was disposed of (seen under ralph): no answer either', () => {
    const tail = 'Error executing prompt: Error: Cannot invoke native session after disposal has started\n';
    const result = agent.parse({ stdout: '', combinedTail: tail, exitCode: 1, signal: null, timedOut: true, interrupted: false, durationMs: 7000 });
    expect(firstLine(result.error)).toBe('no answer from the API — timed out after 7s (--task-timeout): Copilot printed nothing before it was stopped');
  });

  it('the same when Copilot, stopped, cancels its operation and says its session was disposed of (seen under ralph)', () => {
    const tail = [
      '● Response was interrupted due to a server error. Retrying...',
      '',
      'Exiting…',
      '● Response was interrupted due to a server error. Retrying...',
      '● Operation cancelled by user',
      'Error executing prompt: Error: Cannot invoke native session after disposal has started',
      '',
    ].join('\n');
    const result = agent.parse({ stdout: tail, combinedTail: tail, exitCode: 1, signal: null, timedOut: true, interrupted: false, durationMs: 7000 });
    expect(firstLine(result.error)).toBe(
      'no answer from the API — timed out after 7s (--task-timeout): Copilot was retrying: Response was interrupted due to a server error. Retrying...',
    );
  });
});
