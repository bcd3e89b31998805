import { InvalidArgumentError } from 'commander';
import { checkPrices } from '../agents/prices.js';
import type { ModelPrice } from '../agents/prices.js';

function parseNumber(kind: string, test: (n: number) => boolean, integer: boolean) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || !test(n)) {
      throw new InvalidArgumentError(`Expected ${kind}, got \`${value}\`.`);
    }
    return n;
  };
}

export const positiveInt = parseNumber('a positive integer', (n) => n > 0, true);
export const nonNegativeInt = parseNumber('a non-negative integer', (n) => n >= 0, true);
export const portNumber = parseNumber('a port number (0 to 65535)', (n) => n >= 0 && n <= 65535, true);
export const positiveSeconds = parseNumber('a positive number of seconds', (n) => n > 0, false);
export const nonNegativeSeconds = parseNumber('a non-negative number of seconds', (n) => n >= 0, false);
export const nonNegativeNumber = parseNumber('a non-negative number', (n) => n >= 0, false);

/** `--prices` (or "prices" in the config file, as JSON text): model prices, checked (see agents/prices.ts). */
export function parsePrices(text: string): Record<string, ModelPrice> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidArgumentError(
      `Expected JSON such as {"my-model": {"input": 3, "output": 15}} (USD per million tokens), got \`${text.length > 60 ? `${text.slice(0, 57)}...` : text}\`.`,
    );
  }
  try {
    return checkPrices(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** An agent per name (the loops' roles or prompts). */
export type AgentMap = Record<string, string>;

/** `role=agent,…` (or a JSON object, as the config file gives it) → a map; a bad one throws in one line. */
export function parseAgentMap(text: string): AgentMap {
  const trimmed = text.trim();
  const pairs: Array<[string, unknown]> = trimmed.startsWith('{')
    ? Object.entries(JSON.parse(trimmed) as Record<string, unknown>)
    : trimmed
        .split(',')
        .filter((p) => p.trim() !== '')
        .map((p) => {
          const at = p.indexOf('=');
          if (at <= 0) throw new Error(`Expected name=agent pairs separated by commas, got \`${p.trim()}\`.`);
          return [p.slice(0, at).trim(), p.slice(at + 1).trim()];
        });
  const map: AgentMap = {};
  for (const [key, value] of pairs) {
    if (typeof value !== 'string' || value === '') throw new Error(`Expected an agent name for \`${key}\`, got ${JSON.stringify(value)}.`);
    map[key] = value;
  }
  return map;
}
