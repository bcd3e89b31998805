import { compact } from './json.js';

/** Small text helpers shared by the agent adapters' parsers and log renderers. Pure. */

const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g;

/** Removes terminal colour and control sequences. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** One line for the log: newlines shown as ⏎, cut at `max` characters (UTF-16 units; never between the halves of one). */
export function clip(text: string, max: number): string {
  const flat = text.trim().replace(/\s*\r?\n\s*/g, ' ⏎ ');
  if (flat.length <= max) return flat;
  const cut = max - 1;
  const high = flat.charCodeAt(cut - 1);
  return `${flat.slice(0, high >= 0xd800 && high <= 0xdbff ? cut - 1 : cut)}…`;
}

/** The first non-empty line, clipped to 300 characters. */
export function firstLine(text: string): string | undefined {
  const line = text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '');
  return line === undefined ? undefined : clip(line, 300);
}

/** The last non-empty line, clipped to 300 characters. */
export function lastLine(text: string): string | undefined {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const last = lines[lines.length - 1];
  return last === undefined ? undefined : clip(last, 300);
}

/** The last lines of a text (where a failure is told), so that an answer's prose is not read as one. */
export function tail(text: string, lines = 15): string {
  return text.split('\n').slice(-lines).join('\n');
}

/** The lines of stdout that are not JSON objects: a CLI's plain messages among its events. */
export function nonJsonText(stdout: string): string {
  return stripAnsi(stdout)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('{') && !l.endsWith('}'))
    .join('\n');
}

/** Drops undefined fields; nothing at all when none is left. */
export function nonEmpty(value: Record<string, unknown>): Record<string, unknown> | undefined {
  const kept = compact(value);
  return Object.keys(kept).length > 0 ? kept : undefined;
}
