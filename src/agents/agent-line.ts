import { clip } from './parse/text.js';

/**
 * One short readable line from a line of agent output as it is logged: what the agent's adapter
 * renders (`renderLine`) arrives readable already; an event it does not know arrives as raw JSON
 * and is told here by its type and a few of its facts, never as the JSON itself. Terminal control
 * sequences (colour codes, cursor moves; raw, or as logged, escaped: `\x1b[32m`) are dropped and
 * runs of white space made one. Pure.
 */
export function readableLine(text: string, max = 200): string {
  const line = text.replace(ESCAPED_ANSI, '').replace(RAW_ANSI, '').trim();
  if (line.startsWith('{') && line.endsWith('}')) {
    const event = parseObject(line);
    if (event) return clip(describeEvent(event), max);
  }
  return clip(line.replace(/\s+/g, ' '), max);
}

const RAW_ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;
const ESCAPED_ANSI = /\\x1b\[[0-9;?]*[ -/]*[@-~]/g;

/** Fields that identify rather than tell: left out of the facts. */
const NOISE = /(^|_)(id|ids|uuid|session|timestamp|ts|time|cwd|path|version|index|seq)$/i;
/** The fields that say what happened, first when present. */
const FIRST = ['subtype', 'status', 'message', 'error', 'text', 'result', 'name', 'tool'];

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** `event <type>: key value, …`: the scalar facts of an event, the telling ones first, at most six. */
function describeEvent(event: Record<string, unknown>): string {
  const type = typeof event.type === 'string' ? event.type : typeof event.event === 'string' ? event.event : undefined;
  const keys = Object.keys(event).filter((k) => k !== 'type' && k !== 'event' && !NOISE.test(k));
  const ordered = [...FIRST.filter((k) => keys.includes(k)), ...keys.filter((k) => !FIRST.includes(k))];
  const facts: string[] = [];
  for (const key of ordered) {
    const value = fact(event[key]);
    if (value === undefined) continue;
    facts.push(key === 'subtype' || key === 'message' || key === 'text' ? value : `${key.replace(/_/g, ' ')} ${value}`);
    if (facts.length >= 6) break;
  }
  const head = type === undefined ? 'event' : `${type} event`;
  return facts.length > 0 ? `${head}: ${facts.join(', ')}` : head;
}

/** A fact's text on one line: white space (tabs, newlines) made one space. */
function flat(text: string): string | undefined {
  const line = text.replace(/\s+/g, ' ').trim();
  return line === '' ? undefined : clip(line, 80);
}

function fact(value: unknown): string | undefined {
  if (typeof value === 'string') return flat(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    // A nested message or error: its own message, when it has one.
    const inner = (value as Record<string, unknown>).message ?? (value as Record<string, unknown>).text;
    return typeof inner === 'string' ? flat(inner) : undefined;
  }
  return undefined;
}
