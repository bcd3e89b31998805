// The price table and the cost estimate for agent CLIs that report no cost (src/agents/prices.ts).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ProcessOutput } from '../../src/agents/agent.js';
import type { Tokens } from '../../src/agents/cli-spec.js';
import { checkPrices, costOfTokens, estimateCost, modelKeys, priceOf, pricesWith, shippedPrices } from '../../src/agents/prices.js';
import type { ModelPrice, PriceList } from '../../src/agents/prices.js';
import { createAgent } from '../../src/agents/registry.js';
import { parsePrices } from '../../src/config/parsers.js';

const LIST: PriceList = {
  'gpt-5': { input: 1.25, output: 10, cache_read: 0.125 },
  'claude-sonnet-4-5': { input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 },
  'gemini-2.5-pro': { input: 1.25, output: 10, cache_read: 0.125 },
  plain: { input: 2, output: 8 },
};

describe('the shipped price table (data/prices.json)', () => {
  const table = shippedPrices();

  it('says when it was taken, and prices every model it lists', () => {
    expect(table.taken).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const [model, price] of Object.entries(table.models)) {
      expect(model, model).toBe(model.toLowerCase());
      expect(price.input, model).toBeGreaterThan(0);
      expect(price.output, model).toBeGreaterThan(price.input);
    }
  });

  it.each([
    'claude-sonnet-4-5',
    'claude-opus-4-1',
    'claude-haiku-4-5',
    'gpt-5',
    'gpt-5-codex',
    'gpt-5-mini',
    'gpt-5.1-codex',
    'gpt-5.2',
    'o3',
    'o4-mini',
    'gemini-2.5-pro',
    'gemini-2.5-flash',
    'gemini-2.5-flash-lite',
  ])('covers %s', (model) => {
    expect(priceOf(model, table.models)).toBeDefined();
  });

  it('is shipped in the package (a folder package.json names in "files")', () => {
    const pkg = JSON.parse(readFileSync(resolve(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { files: string[] };
    expect(pkg.files).toContain('data');
  });
});

describe('modelKeys and priceOf: the names a model goes by', () => {
  it.each<[string, string[]]>([
    ['gpt-5', ['gpt-5']],
    ['GPT-5 ', ['gpt-5']],
    ['openai/gpt-5', ['openai/gpt-5', 'gpt-5']],
    ['models/gemini-2.5-pro', ['models/gemini-2.5-pro', 'gemini-2.5-pro']],
    ['claude-sonnet-4-5-20250929', ['claude-sonnet-4-5-20250929', 'claude-sonnet-4-5']],
    ['gpt-4.1-2025-04-14', ['gpt-4.1-2025-04-14', 'gpt-4.1']],
    ['anthropic/claude-sonnet-4.5', ['anthropic/claude-sonnet-4.5', 'claude-sonnet-4.5', 'claude-sonnet-4-5']],
  ])('%s', (model, keys) => {
    expect(modelKeys(model)).toEqual(keys);
  });

  it.each<[string, ModelPrice | undefined]>([
    ['gpt-5', LIST['gpt-5']],
    ['openai/gpt-5', LIST['gpt-5']],
    ['claude-sonnet-4.5', LIST['claude-sonnet-4-5']],
    ['claude-sonnet-4-5-20250929', LIST['claude-sonnet-4-5']],
    // Never a price of a neighbour: gpt-5-mini is not gpt-5.
    ['gpt-5-mini', undefined],
    ['gemini-2.5-pro-exp', undefined],
    ['', undefined],
  ])('the price of %j', (model, price) => {
    expect(priceOf(model, LIST)).toEqual(price);
  });
});

describe('costOfTokens: input holds the cache reads and writes, output the reasoning', () => {
  it.each<[string, Tokens, ModelPrice, number | undefined]>([
    ['a million input tokens', { input: 1_000_000 }, LIST['gpt-5']!, 1.25],
    ['a million output tokens (reasoning among them, not billed twice)', { output: 1_000_000, reasoning: 400_000 }, LIST['gpt-5']!, 10],
    [
      'cache reads at their price, the rest of the input at the input price',
      { input: 1_000_000, cache_read: 600_000 },
      LIST['gpt-5']!,
      0.4 * 1.25 + 0.6 * 0.125,
    ],
    [
      'cache writes at their price',
      { input: 1_000_000, cache_read: 200_000, cache_write: 300_000, output: 1_000 },
      LIST['claude-sonnet-4-5']!,
      0.5 * 3 + 0.2 * 0.3 + 0.3 * 3.75 + 0.001 * 15,
    ],
    ['no cache prices: cache tokens at the input price', { input: 1_000_000, cache_read: 500_000, cache_write: 100_000 }, LIST.plain!, 2],
    ['more cache than input (inconsistent counts): no negative part', { input: 10, cache_read: 20 }, LIST['gpt-5']!, (20 * 0.125) / 1e6],
    ['no input or output counts: unknown', { cache_read: 5, total: 5 }, LIST['gpt-5']!, undefined],
    ['zero tokens: free', { input: 0, output: 0 }, LIST['gpt-5']!, 0],
  ])('%s', (_what, tokens, price, usd) => {
    const cost = costOfTokens(tokens, price);
    if (usd === undefined) expect(cost).toBeUndefined();
    else expect(cost).toBeCloseTo(usd, 9);
  });
});

describe('estimateCost', () => {
  const tokens: Tokens = { input: 2_000, output: 400 };
  it.each<[string, Array<{ model: string | undefined; tokens: Tokens }>, number | undefined]>([
    ['one model', [{ model: 'gpt-5', tokens }], 0.0065],
    [
      'two models (main and router), each at its price',
      [
        { model: 'gemini-2.5-pro', tokens },
        { model: 'plain', tokens: { input: 1_000 } },
      ],
      0.0065 + 0.002,
    ],
    ['a model not in the list: unknown', [{ model: 'gpt-99', tokens }], undefined],
    ['no model named: unknown', [{ model: undefined, tokens }], undefined],
    [
      'one of two models not listed: unknown (never too low)',
      [
        { model: 'gpt-5', tokens },
        { model: 'mystery', tokens },
      ],
      undefined,
    ],
    ['nothing to price', [], undefined],
  ])('%s', (_what, parts, usd) => {
    expect(estimateCost(parts, LIST)).toBe(usd);
  });
});

describe("the user's prices (the prices setting)", () => {
  it('are checked and keyed in lower case', () => {
    expect(checkPrices({ 'My-Model': { input: 1, output: 2, cache_read: 0.1 } })).toEqual({ 'my-model': { input: 1, output: 2, cache_read: 0.1 } });
  });

  it('replace a shipped model whole and add new ones', () => {
    const list = pricesWith({ 'gpt-5': { input: 9, output: 90 }, 'local-llm': { input: 0, output: 0 } }, { taken: '2026-01-01', models: LIST });
    expect(list['gpt-5']).toEqual({ input: 9, output: 90 });
    expect(list['local-llm']).toEqual({ input: 0, output: 0 });
    expect(list.plain).toEqual(LIST.plain);
  });

  it.each<[string, string, string]>([
    ['not JSON', '{gpt-5: 1}', 'Expected JSON such as {"my-model": {"input": 3, "output": 15}} (USD per million tokens), got `{gpt-5: 1}`.'],
    ['not an object', '[1]', 'Expected an object of model prices in USD per million tokens, such as {"my-model": {"input": 3, "output": 15}}, got [1].'],
    [
      "a model's prices not an object",
      '{"m": 3}',
      '"m": expected {"input": …, "output": …} in USD per million tokens (cache_read and cache_write optional), got 3.',
    ],
    ['an output price missing', '{"m": {"input": 3}}', '"m": "output" is missing (USD per million tokens).'],
    ['a negative price', '{"m": {"input": -1, "output": 2}}', '"m": "input" must be a number of USD per million tokens, 0 or more, got -1.'],
    ['a price as text', '{"m": {"input": 1, "output": "ten"}}', '"m": "output" must be a number of USD per million tokens, 0 or more, got "ten".'],
    [
      'a misspelt field',
      '{"m": {"input": 1, "output": 2, "cache_reads": 0.1}}',
      '"m": unknown price "cache_reads" (known: input, output, cache_read, cache_write).',
    ],
    ['an empty model name', '{" ": {"input": 1, "output": 2}}', 'a model name is empty.'],
  ])('refuse %s in one line', (_what, text, message) => {
    expect(() => parsePrices(text)).toThrow(message);
  });
});

describe('CliAgent: the cost of a CLI that reports none is estimated from its tokens', () => {
  // Recorded from the real Codex CLI: two model turns, 2000 in (600 cache reads, 80 cache writes), 400 out.
  const stdout = readFileSync(resolve(import.meta.dirname, '..', 'fixtures', 'agents', 'codex', 'real-tool-use.jsonl'), 'utf8');
  const output: ProcessOutput = { stdout, combinedTail: '', exitCode: 0, signal: null, timedOut: false, interrupted: false, durationMs: 1 };
  // (2000 - 600 - 80) × 1.25 + 600 × 0.125 + 80 × 1.25 + 400 × 10 micro-dollars.
  const GPT5_CODEX = (1_320 * 1.25 + 600 * 0.125 + 80 * 1.25 + 400 * 10) / 1e6;

  it.each<[string, string | undefined, PriceList | undefined, Partial<{ costUsd: number; costEstimated: boolean }>]>([
    ['a model in the shipped table: estimated, and marked so', 'gpt-5-codex', undefined, { costUsd: GPT5_CODEX, costEstimated: true }],
    ["the user's price wins over the shipped one", 'gpt-5-codex', { 'gpt-5-codex': { input: 0, output: 1_000 } }, { costUsd: 0.4, costEstimated: true }],
    ["a model in the user's prices only", 'my-proxy-model', { 'my-proxy-model': { input: 1, output: 1 } }, { costUsd: 0.0024, costEstimated: true }],
    ['a model not in the table: unknown', 'gpt-99-turbo', undefined, {}],
    ['no model named: unknown', undefined, undefined, {}],
  ])('%s', (_what, model, prices, expected) => {
    const agent = createAgent({ agent: 'codex', ...(model ? { model } : {}) }, { env: {}, ...(prices ? { prices } : {}) });
    const result = agent.parse(output);
    expect(result.ok).toBe(true);
    expect({ costUsd: result.costUsd, costEstimated: result.costEstimated }).toEqual({ costUsd: undefined, costEstimated: undefined, ...expected });
  });

  it('never estimates over a cost the CLI reported', () => {
    const claude = createAgent({ agent: 'claude', model: 'claude-sonnet-4-5' }, { env: {} });
    const line = JSON.stringify({
      type: 'result',
      subtype: 'success',
      is_error: false,
      result: 'FINDINGS: x',
      total_cost_usd: 0.5,
      usage: { input_tokens: 10, output_tokens: 10 },
    });
    const result = claude.parse({ ...output, stdout: `${line}\n` });
    expect(result).toMatchObject({ costUsd: 0.5 });
    expect(result.costEstimated).toBeUndefined();
  });
});

describe("CliAgent: several models in one run (gemini's main model and its router), each at its own price", () => {
  const stdout = readFileSync(resolve(import.meta.dirname, '..', 'fixtures', 'agents', 'gemini', 'multi-model.json'), 'utf8');
  const output: ProcessOutput = { stdout, combinedTail: '', exitCode: 0, signal: null, timedOut: false, interrupted: false, durationMs: 1 };
  const table = shippedPrices().models;
  // gemini-2.5-pro: 8965 + 28 tool in (4000 cached), 40 + 30 thoughts out; gemini-2.5-flash-lite: 812 in, 10 + 48 out.
  const pro = table['gemini-2.5-pro']!;
  const lite = table['gemini-2.5-flash-lite']!;
  const expected = ((8_993 - 4_000) * pro.input + 4_000 * pro.cache_read! + 70 * pro.output + 812 * lite.input + 58 * lite.output) / 1e6;

  it("sums the models' estimates", () => {
    const result = createAgent({ agent: 'gemini' }, { env: {} }).parse(output);
    expect(result).toMatchObject({ model: 'gemini-2.5-pro', costEstimated: true });
    expect(result.costUsd).toBeCloseTo(expected, 9);
  });

  it('is unknown when one of them has no price (never too low)', () => {
    const withoutLite = { ...Object.fromEntries(Object.entries(table).filter(([m]) => m !== 'gemini-2.5-flash-lite')) };
    expect(
      estimateCost(
        [
          { model: 'gemini-2.5-pro', tokens: { input: 1 } },
          { model: 'gemini-2.5-flash-lite', tokens: { input: 1 } },
        ],
        withoutLite,
      ),
    ).toBeUndefined();
  });
});

describe("budgetNote: why --max-cost-usd may count nothing of an agent's runs (said when a run starts)", () => {
  it.each<[string, Parameters<typeof createAgent>[0], PriceList | undefined, string | undefined]>([
    ['claude reports its cost', { agent: 'claude' }, undefined, undefined],
    ['codex with a priced model', { agent: 'codex', model: 'gpt-5-codex' }, undefined, undefined],
    ['codex with a model priced by the user', { agent: 'codex', model: 'my-model' }, { 'my-model': { input: 1, output: 1 } }, undefined],
    [
      'codex with a model not in the table',
      { agent: 'codex', model: 'gpt-99' },
      undefined,
      'codex reports no cost, and model gpt-99 is not in the price table ("prices" in ralph.config.json adds it): the budget counts nothing of its runs',
    ],
    [
      'codex without --model',
      { agent: 'codex' },
      undefined,
      'codex reports no cost, and no --model is given: its runs count only when its output names a model in the price table',
    ],
    [
      'cursor (no cost, no tokens)',
      { agent: 'cursor', model: 'gpt-5' },
      undefined,
      'cursor reports neither cost nor tokens: the budget counts nothing of its runs',
    ],
    ['a custom command', { agentCmd: './agent.sh' }, undefined, 'an --agent-cmd reports no cost: the budget counts nothing of its runs'],
  ])('%s', (_what, choice, prices, note) => {
    expect(createAgent(choice, { env: {}, ...(prices ? { prices } : {}) }).budgetNote?.()).toBe(note);
  });
});
