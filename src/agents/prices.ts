import { readFileSync } from 'node:fs';
import type { Tokens } from './cli-spec.js';

/**
 * What a model's tokens cost, for the agent CLIs that report no cost (Codex, Gemini CLI, Copilot…):
 * the price table shipped with Ralph (data/prices.json, with the date it was taken), the user's
 * prices over it ("prices" in ralph.config.json), and the estimate from a run's tokens. Pure, but
 * for reading the shipped file once.
 */

/** List prices of one model in USD per million tokens; cache prices default to the input price. */
export interface ModelPrice {
  input: number;
  output: number;
  /** Prompt tokens read from the provider's cache. */
  cache_read?: number;
  /** Prompt tokens written to the provider's cache. */
  cache_write?: number;
}

/** Prices by model name. */
export type PriceList = Readonly<Record<string, ModelPrice>>;

export interface PriceTable {
  /** The day the prices were taken (YYYY-MM-DD). */
  taken: string;
  models: PriceList;
}

const FIELDS = ['input', 'output', 'cache_read', 'cache_write'] as const;

const SHIPPED = new URL('../../data/prices.json', import.meta.url);
let shipped: PriceTable | undefined;

/**
 * The table shipped with Ralph, read on first use. The sources and the worker bundle sit at the same
 * depth under dist/, so the same relative path holds for both. A table that cannot be read prices
 * nothing: every estimate is then unknown, and the report says the model is not in the table.
 */
export function shippedPrices(): PriceTable {
  if (!shipped) {
    try {
      const doc = JSON.parse(readFileSync(SHIPPED, 'utf8')) as { taken?: unknown; models?: unknown };
      shipped = { taken: String(doc.taken ?? ''), models: checkPrices(doc.models) };
    } catch {
      shipped = { taken: '', models: {} };
    }
  }
  return shipped;
}

/**
 * A price list as given by the user (the `prices` setting), checked: model names to
 * `{"input", "output", "cache_read"?, "cache_write"?}` in USD per million tokens, none negative.
 * Throws the first problem in one line. Model names are matched without regard to case.
 */
export function checkPrices(value: unknown): Record<string, ModelPrice> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`Expected an object of model prices in USD per million tokens, such as {"my-model": {"input": 3, "output": 15}}, got ${shown(value)}.`);
  }
  const out: Record<string, ModelPrice> = {};
  for (const [model, price] of Object.entries(value)) {
    const name = JSON.stringify(model);
    if (model.trim() === '') throw new Error('a model name is empty.');
    if (price === null || typeof price !== 'object' || Array.isArray(price)) {
      throw new Error(`${name}: expected {"input": …, "output": …} in USD per million tokens (cache_read and cache_write optional), got ${shown(price)}.`);
    }
    const fields = price as Record<string, unknown>;
    const unknown = Object.keys(fields).find((k) => !(FIELDS as readonly string[]).includes(k));
    if (unknown !== undefined) throw new Error(`${name}: unknown price "${unknown}" (known: ${FIELDS.join(', ')}).`);
    const checked: Record<string, number> = {};
    for (const field of FIELDS) {
      const n = fields[field];
      if (n === undefined && (field === 'cache_read' || field === 'cache_write')) continue;
      if (n === undefined) throw new Error(`${name}: "${field}" is missing (USD per million tokens).`);
      if (typeof n !== 'number' || !Number.isFinite(n) || n < 0)
        throw new Error(`${name}: "${field}" must be a number of USD per million tokens, 0 or more, got ${shown(n)}.`);
      checked[field] = n;
    }
    out[model.trim().toLowerCase()] = checked as unknown as ModelPrice;
  }
  return out;
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The shipped prices with the user's over them (a model given replaces the shipped entry whole). */
export function pricesWith(overrides: PriceList | undefined, table: PriceTable = shippedPrices()): PriceList {
  if (!overrides || Object.keys(overrides).length === 0) return table.models;
  return { ...table.models, ...checkPrices(overrides) };
}

/**
 * The names a model may be listed under, most exact first: as given; without a provider prefix
 * ("openai/gpt-5", "models/gemini-2.5-pro"); without a date suffix ("claude-sonnet-4-5-20250929",
 * "gpt-4.1-2025-04-14"); Claude's dotted versions as dashes ("claude-sonnet-4.5", as Copilot says).
 */
export function modelKeys(model: string): string[] {
  const keys: string[] = [];
  const add = (key: string) => {
    if (key !== '' && !keys.includes(key)) keys.push(key);
  };
  const name = model.trim().toLowerCase();
  add(name);
  const bare = name.slice(name.lastIndexOf('/') + 1);
  add(bare);
  const undated = bare.replace(/-(\d{8}|\d{4}-\d{2}-\d{2})$/, '');
  add(undated);
  if (undated.startsWith('claude-')) add(undated.replace(/(\d)\.(\d)/g, '$1-$2'));
  return keys;
}

/** A model's prices in the list, under any of its names; undefined when it is not listed. */
export function priceOf(model: string, list: PriceList): ModelPrice | undefined {
  for (const key of modelKeys(model)) {
    const price = list[key];
    if (price) return price;
  }
  return undefined;
}

/**
 * What `tokens` cost at `price`, in USD, from Ralph's meaning of the counts (see Tokens): `input` is
 * every prompt token, cache reads and writes among them, each billed at its own price; `output` every
 * generated token, reasoning among them. Undefined when there are no input or output counts.
 */
export function costOfTokens(tokens: Tokens, price: ModelPrice): number | undefined {
  if (tokens.input === undefined && tokens.output === undefined) return undefined;
  const read = tokens.cache_read ?? 0;
  const written = tokens.cache_write ?? 0;
  const fresh = Math.max(0, (tokens.input ?? 0) - read - written);
  const microUsd =
    fresh * price.input + read * (price.cache_read ?? price.input) + written * (price.cache_write ?? price.input) + (tokens.output ?? 0) * price.output;
  return nanoRound(microUsd / 1e6);
}

/**
 * The estimated cost of one run: each model's tokens at its price. Undefined (unknown) when a model
 * is not known or not in the list, or nothing was counted: a part left out would make it too low.
 */
export function estimateCost(parts: ReadonlyArray<{ model: string | undefined; tokens: Tokens }>, list: PriceList): number | undefined {
  if (parts.length === 0) return undefined;
  let sum = 0;
  for (const part of parts) {
    const price = part.model === undefined ? undefined : priceOf(part.model, list);
    const cost = price ? costOfTokens(part.tokens, price) : undefined;
    if (cost === undefined) return undefined;
    sum += cost;
  }
  return nanoRound(sum);
}

/** To a billionth of a dollar: no float noise in the sums. */
function nanoRound(usd: number): number {
  return Math.round(usd * 1e9) / 1e9;
}
