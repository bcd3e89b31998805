// Tokens mean the same for every agent CLI (see Tokens in src/agents/cli-spec.ts): `input` is every
// prompt token, cache reads and writes among them; `output` every generated token, reasoning among
// them. Each adapter converts what its CLI prints; read here from the recorded fixtures.
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AGENTS, agentSpec } from '../../src/agents/registry.js';
import type { Tokens } from '../../src/agents/cli-spec.js';

const FIXTURES = resolve(import.meta.dirname, '..', 'fixtures', 'agents');
const fixture = (agent: string, name: string) => readFileSync(join(FIXTURES, agent, name), 'utf8');
const tokensOf = (agent: string, name: string, exitCode = 0) => agentSpec(agent).parse(fixture(agent, name), exitCode).tokens;

describe("each CLI's counts in Ralph's meaning", () => {
  it.each<[string, string, string, Tokens]>([
    // Anthropic's input_tokens leaves the cache out: 123 + 67 read + 8 written (the real claude binary).
    ['claude', 'real-text.jsonl', 'input_tokens 123, cache reads 67, cache writes 8', { input: 198, output: 45, cache_read: 67, cache_write: 8 }],
    [
      'claude',
      'tool-use.jsonl',
      'input_tokens 26, cache reads 24850, cache writes 8670',
      { input: 33_546, output: 297, cache_read: 24_850, cache_write: 8_670 },
    ],
    // OpenAI's input_tokens holds the cached ones, output_tokens the reasoning (the real codex binary).
    ['codex', 'real-tool-use.jsonl', 'as printed', { input: 2_000, output: 400, cache_read: 600, cache_write: 80, reasoning: 128 }],
    // Gemini's prompt holds the cached tokens; its candidates leave the thoughts out (the real gemini binary:
    // the router's 50 + 10 and the main model's 2000 (600 cached) + 400 + 80 thoughts).
    [
      'gemini',
      'real-tool-call.txt',
      'prompt + tool, candidates + thoughts, over both models',
      { input: 2_050, output: 490, cache_read: 600, reasoning: 80, total: 2_540 },
    ],
    ['gemini', 'multi-model.json', 'with tool-use prompt tokens', { input: 9_805, output: 128, cache_read: 4_000, reasoning: 78, total: 9_933 }],
    // opencode's input leaves the cache reads and writes out, its output the reasoning.
    [
      'opencode',
      'success.jsonl',
      'input + cache read + cache write, output + reasoning',
      { input: 11_573 + 10_400 + 10_400 + 10_912, output: 179 + 12, cache_read: 21_312, cache_write: 10_400, reasoning: 12 },
    ],
    // Copilot's ↑ holds the cached tokens, ↓ the reasoning (the real copilot binary).
    ['copilot', 'real-tool-use.txt', 'as printed', { input: 2_400, output: 68, cache_read: 200, reasoning: 14 }],
    // Amp's usage is Anthropic's: the cache left out of input_tokens.
    ['amp', 'result-usage.jsonl', 'input_tokens + cache reads + cache writes', { input: 27_800, output: 420, cache_read: 12_000, cache_write: 800 }],
    // aider's "sent" holds the cache writes but not the cache hits (its documented example: 2.4k sent, 7.5k hit).
    ['aider', 'cache-tokens.txt', 'sent + cache hit', { input: 2_400 + 7_500 + 1_234 + 9_900, output: 258, cache_read: 17_400, cache_write: 1_800 }],
  ])('%s %s (%s)', (agent, name, _how, tokens) => {
    expect(tokensOf(agent, name)).toEqual(tokens);
  });
});

describe('every recorded fixture: cache tokens are part of input, reasoning part of output', () => {
  const cases = AGENTS.flatMap((spec) =>
    readdirSync(join(FIXTURES, spec.name))
      .filter((n) => !n.endsWith('.md'))
      .map((name) => [spec.name, name] as const),
  );
  it.each(cases)('%s %s', (agent, name) => {
    const t = tokensOf(agent, name, 1);
    if (!t) return;
    if (t.input !== undefined) expect((t.cache_read ?? 0) + (t.cache_write ?? 0)).toBeLessThanOrEqual(t.input);
    else expect(t.cache_read ?? t.cache_write).toBeUndefined();
    if (t.reasoning !== undefined) expect(t.reasoning).toBeLessThanOrEqual(t.output ?? 0);
    if (t.total !== undefined && t.input !== undefined && t.output !== undefined) expect(t.input + t.output).toBe(t.total);
  });
});
