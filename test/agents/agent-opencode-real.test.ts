// What Ralph makes of the output of the REAL opencode 1.18.33 (fixtures recorded from it, see
// test/fixtures/agents/opencode/README.md), through the whole adapter: the spec and CliAgent, with the
// real usage-limit recogniser. test/agents/opencode-real.test.ts runs the binary itself under ralph.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ProcessOutput } from '../../src/agents/agent.js';
import { CliAgent } from '../../src/agents/cli-agent.js';
import { opencode, renderLogLine } from '../../src/agents/adapters/opencode.js';

const path = (name: string) => new URL(`../fixtures/agents/opencode/${name}`, import.meta.url);
const fixture = (name: string): string => readFileSync(path(name), 'utf8');

/** A run as the runner reports it: stdout alone, and both streams interleaved (the combined tail; stdout when nothing came on stderr). */
function recorded(name: string, over: Partial<ProcessOutput> = {}): ProcessOutput {
  const stdout = fixture(`real-${name}.stdout.jsonl`);
  const combinedTail = existsSync(path(`real-${name}.txt`)) ? fixture(`real-${name}.txt`) : stdout;
  return { stdout, combinedTail, exitCode: 1, signal: null, timedOut: false, interrupted: false, durationMs: 2000, ...over };
}

const agent = new CliAgent(opencode, { extraArgs: [] }, { timeoutMs: 12_000 });
const firstLine = (error: string | undefined) => error?.split('\n')[0];

describe('opencode adapter on the real 1.18.33 output', () => {
  it("a run with a shell tool call: the finding, the cost opencode reported, tokens in Ralph's meaning and the session id", () => {
    const result = agent.parse(recorded('tool-use', { exitCode: 0 }));
    expect(result).toEqual({
      ok: true,
      explicit: true,
      agent: 'opencode',
      text: 'Done.\n\nFINDINGS: it works',
      finding: 'it works',
      sessionId: 'ses_daf6ff304ffe3xEIc2d509x8Px',
      // Two steps, each 1100 in + 100 cache read, 27 out + 7 reasoning: (1100×3 + 100×0.3 + 34×15) / 1e6 = $0.00384.
      costUsd: 0.00768,
      tokens: { input: 2400, output: 68, reasoning: 14, cache_read: 200, cache_write: 0, total: 2468 },
    });
  });

  it('a model opencode has no prices for ("cost": 0 with tokens spent): the cost estimated from Ralph\'s price table, or unknown', () => {
    const output = recorded('unpriced', { exitCode: 0 });
    // One step of 1200 in (100 cached) and 34 out at gpt-4.1's list price ($2 / $0.50 cached / $8 per million).
    expect(new CliAgent(opencode, { model: 'mock/gpt-4.1', extraArgs: [] }).parse(output)).toMatchObject({
      ok: true,
      finding: 'ok',
      model: 'mock/gpt-4.1',
      costUsd: 0.002522,
      costEstimated: true,
      tokens: { input: 1200, output: 34 },
    });
    expect(agent.parse(output)).not.toHaveProperty('costUsd'); // no model named: unknown, not $0
  });

  it("a 429 after opencode's retries: a usage limit lifting when its retry-after-ms header says", () => {
    const before = Date.now();
    const result = agent.parse(recorded('rate-limit'));
    expect(result).toMatchObject({ ok: false, reason: 'usage-limit', sessionId: 'ses_daf6feec1ffejRQ7gWICGPgKEs' });
    expect(result.usageLimit?.message).toBe('Rate limit reached for requests. Please try again in 20s.');
    const resets = Date.parse(result.usageLimit?.resetsAt ?? '');
    expect(resets).toBeGreaterThanOrEqual(before + 1000);
    expect(resets).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it('a 401: an auth failure in one line', () => {
    const result = agent.parse(recorded('auth'));
    expect(result).toMatchObject({ ok: false, reason: 'agent-error' });
    expect(firstLine(result.error)).toBe('auth failure — opencode reported an error (exit code 1): Incorrect API key provided.');
  });

  it('an unreachable API until the task timeout: the timeout, with what opencode logged', () => {
    const result = agent.parse(recorded('unreachable-killed', { exitCode: null, signal: 'SIGTERM', timedOut: true }));
    expect(result).toMatchObject({ ok: false, reason: 'timeout' });
    expect(firstLine(result.error)).toBe(
      'API unreachable — timed out after 12s (--task-timeout): opencode: stream error: Cannot connect to API: Unable to connect. Is the computer able to access the url?',
    );
  });

  it.each([
    [
      'timestamp=2026-12-07T12:52:33.881Z level=ERROR run=0460552f message="stream error" providerID=mock error.error="AI_APICallError: Incorrect API key provided."',
      'opencode: stream error: Incorrect API key provided.',
    ],
    [
      'timestamp=2026-12-07T12:52:33.890Z level=ERROR run=0460552f message=process session.id=s error="Rate \\"limit\\"" stack="x"',
      'opencode: process: Rate "limit"',
    ],
    [
      'timestamp=2026-12-07T12:52:34.422Z level=ERROR run=f257c24e message="stream error" small=true agent=title error.error="AI_RetryError: Failed after 3 attempts. Last error: Rate limit reached."',
      'opencode: stream error: Failed after 3 attempts. Last error: Rate limit reached.',
    ],
    ['timestamp=2026-12-07T12:52:33.890Z level=WARN run=1', 'opencode: warn'],
    ['timestamp=2026-12-07T12:52:33.890Z level=INFO run=1 message=init', undefined],
    ['plain text', undefined],
  ])('a log line as a worker-log line: %s', (line, shown) => {
    expect(renderLogLine(line)).toBe(shown);
  });
});
