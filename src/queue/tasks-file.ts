import { createRequire } from 'node:module';
import type { ParseError } from 'jsonc-parser';
import { InputError } from '../errors.js';
import type { TaskInput } from './types.js';

// Only a broken file needs jsonc-parser (to say where it is broken): loaded then, not at every start.
const jsonc = () => createRequire(import.meta.url)('jsonc-parser') as typeof import('jsonc-parser');

/**
 * What is wrong with a task's `id` or `type`, if anything. Two required non-empty strings: checked
 * by hand, since a schema library costs every `ralph run` ~50 ms of loading before any worker starts.
 */
function fieldProblem(task: Record<string, unknown>, field: 'id' | 'type'): string | undefined {
  const value = task[field];
  if (value === undefined) return `missing \`${field}\``;
  if (typeof value !== 'string') return `\`${field}\` must be a string, got ${JSON.stringify(value)}`;
  if (value === '') return `\`${field}\` must not be empty`;
  return undefined;
}

interface Located {
  value: unknown;
  where: string;
}

/**
 * Reads a tasks file: `{"tasks":[…]}`, a bare JSON array, or JSON Lines (one task per line).
 * Errors name the file and the place (line and column, or the task's position) and what is wrong.
 */
export function parseTasksFile(text: string, file: string): TaskInput[] {
  const located = locateTasks(text.replace(/^\uFEFF/, ''), file);
  const tasks: TaskInput[] = [];
  const seen = new Map<string, string>();
  for (const { value, where } of located) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new InputError(`${file}: ${where} must be an object with \`id\` and \`type\`, got ${describe(value)}.`);
    }
    const task = value as Record<string, unknown>;
    const problem = fieldProblem(task, 'id') ?? fieldProblem(task, 'type');
    if (problem) throw new InputError(`${file}: ${where}: ${problem}.`);
    const { id, type, data } = task as { id: string; type: string; data?: unknown };
    const earlier = seen.get(id);
    if (earlier !== undefined) throw new InputError(`${file}: ${where}: duplicate task id ${JSON.stringify(id)} (first at ${earlier}).`);
    seen.set(id, where);
    const deps = dependsOn(task.depends_on, id, `${file}: ${where}`);
    tasks.push({ id, type, ...(data === undefined ? {} : { data }), ...(deps ? { depends_on: deps } : {}) });
  }
  return tasks;
}

/** A task's `depends_on`: absent, or a list of other tasks' ids (each once). */
function dependsOn(value: unknown, id: string, where: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((d) => typeof d !== 'string' || d === ''))
    throw new InputError(`${where}: \`depends_on\` must be a list of task ids, got ${describe(value)}.`);
  if (value.includes(id)) throw new InputError(`${where}: task ${JSON.stringify(id)} depends on itself.`);
  return value.length === 0 ? undefined : [...new Set(value as string[])];
}

function locateTasks(text: string, file: string): Located[] {
  const trimmed = text.trim();
  if (trimmed === '') throw new InputError(`${file} is empty; expected {"tasks":[…]}, a JSON array, or JSON Lines.`);
  const whole = tryParse(text);
  if (whole.ok) {
    const value = whole.value;
    if (Array.isArray(value)) return value.map((v, i) => ({ value: v, where: `task #${i + 1}` }));
    if (value !== null && typeof value === 'object' && 'tasks' in value) {
      const list = (value as { tasks: unknown }).tasks;
      if (!Array.isArray(list)) throw new InputError(`${file}: \`tasks\` must be an array, got ${describe(list)}.`);
      return list.map((v, i) => ({ value: v, where: `task #${i + 1}` }));
    }
    if (value !== null && typeof value === 'object') return [{ value, where: 'line 1' }];
    throw new InputError(`${file}: expected {"tasks":[…]}, a JSON array, or JSON Lines, got ${describe(value)}.`);
  }
  // Not one JSON document: JSON Lines, or a broken JSON document.
  const lines = text.split('\n');
  const nonEmpty = lines.filter((l) => l.trim() !== '');
  const looksLikeJsonLines = nonEmpty.length > 1 && nonEmpty.every((l) => l.trim().startsWith('{'));
  if (!looksLikeJsonLines) throw new InputError(`${file}: invalid JSON${where(text, whole.offset, true)}: ${whole.message}.`);
  const located: Located[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const parsed = tryParse(line);
    if (!parsed.ok) throw new InputError(`${file}: invalid JSON on line ${i + 1}${where(line, parsed.offset, false)}: ${parsed.message}.`);
    located.push({ value: parsed.value, where: `line ${i + 1}` });
  });
  return located;
}

export type ParseResult = { ok: true; value: unknown } | { ok: false; message: string; offset: number | undefined };

const PROBLEMS: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'expected a property name in double quotes',
  ValueExpected: 'expected a value',
  ColonExpected: 'expected a colon',
  CommaExpected: 'expected a comma',
  CloseBraceExpected: 'expected a closing brace',
  CloseBracketExpected: 'expected a closing bracket',
  EndOfFileExpected: 'unexpected text after the end of the JSON value',
  InvalidCommentToken: 'comments are not allowed in JSON',
  UnexpectedEndOfComment: 'comments are not allowed in JSON',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'unterminated number',
  InvalidUnicode: 'invalid \\u escape',
  InvalidEscapeCharacter: 'invalid escape character',
  InvalidCharacter: 'invalid character in a string',
};

// JSON.parse decides; jsonc-parser only says where and what, since V8's messages on Node 20 often
// carry no position.
export function tryParse(text: string): ParseResult {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    const { parse, printParseErrorCode } = jsonc();
    const errors: ParseError[] = [];
    parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    const first = errors[0];
    if (first) {
      const code = printParseErrorCode(first.error);
      return { ok: false, message: PROBLEMS[code] ?? code, offset: first.offset };
    }
    return { ok: false, message: (error as Error).message.split('\n')[0] ?? 'invalid JSON', offset: undefined };
  }
}

export function where(text: string, offset: number | undefined, withLine: boolean): string {
  if (offset === undefined) return '';
  const at = lineColumn(text, offset);
  return withLine ? ` at ${at}` : ` ${at.replace(/^line \d+, /, '')}`;
}

export function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}

/** A JSON value as an error message names it: `an array`, `string "4"`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}
