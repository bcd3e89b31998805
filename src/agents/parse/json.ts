/** Reading the JSON that agent CLIs print: tolerant, never throwing. Pure. */

/** JSON.parse that returns undefined instead of throwing (for line-by-line stream parsing). */
export function tryJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The JSON objects among the lines of `text` (NDJSON), skipping anything that is not one. */
export function jsonLines(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed.startsWith('{')) continue;
    const value = tryJson(trimmed);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) out.push(value as Record<string, unknown>);
  }
  return out;
}

/** The sum of the counts given; undefined when none is (for Ralph's `input` and `output`, see Tokens). */
export function sumOf(...counts: Array<number | undefined>): number | undefined {
  const given = counts.filter((n): n is number => n !== undefined);
  return given.length === 0 ? undefined : given.reduce((a, b) => a + b, 0);
}

/** A finite number or undefined. */
export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** A non-empty string or undefined. */
export function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The object at `value[key]`, or undefined. */
export function obj(value: unknown, key?: string): Record<string, unknown> | undefined {
  const v = key === undefined ? value : (value as Record<string, unknown> | undefined)?.[key];
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** Drops undefined fields (so that results.json carries only what is known). */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
