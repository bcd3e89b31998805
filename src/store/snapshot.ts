import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { CorruptStateError, isErrno } from '../errors.js';
import { TASK_STATUSES } from '../queue/types.js';
import { jsonSafe } from '../redact/sanitize.js';
import type { Finding, Issue, QueueMeta, QueueState, Task } from '../queue/types.js';
import type { FoldMark } from './generations.js';

/** The snapshot files as they are on disk, compatible with the original shell implementation. */
export interface QueueSnapshot {
  tasks: Task[];
  meta: QueueMeta;
  generation: number;
  folded?: FoldMark;
}

export interface ResultsSnapshot {
  findings: Finding[];
  issues: Issue[];
  generation: number;
  folded?: FoldMark;
}

// One record per line inside the arrays: readable in an editor, greppable, and fast to write.
function jsonList(items: readonly unknown[], indent: string): string {
  if (items.length === 0) return '[]';
  return `[\n${items.map((item) => `${indent}  ${JSON.stringify(item)}`).join(',\n')}\n${indent}]`;
}

/** `folded`: the journal whose lines this snapshot holds (see generations.ts). */
export function serializeQueue(state: QueueState, generation: number, now: Date, folded?: FoldMark): string {
  const completed = state.tasks.reduce((n, t) => n + (t.status === 'completed' ? 1 : 0), 0);
  const tail: Record<string, unknown> = {
    active: state.meta.active,
    worker_count: state.meta.worker_count,
    completed,
    generation,
    ...(folded ? { folded } : {}),
    updated_at: now.toISOString(),
  };
  if (state.meta.run) tail.run = state.meta.run;
  for (const key of ['cost_usd', 'usage_limit', 'stop', 'paused'] as const) {
    if (state.meta[key] !== undefined && state.meta[key] !== null) tail[key] = state.meta[key];
  }
  // Written only when they say something: a run starts with them false and 0.
  if (state.meta.cost_estimated) tail.cost_estimated = true;
  if (state.meta.cost_unknown) tail.cost_unknown = state.meta.cost_unknown;
  if (state.meta.dependencies) tail.dependencies = true;
  if (state.meta.prd) tail.prd = true;
  const rest = Object.entries(tail)
    .map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`)
    .join(',\n');
  return jsonSafe(`{\n  "tasks": ${jsonList(state.tasks, '  ')},\n${rest}\n}\n`);
}

export function serializeResults(state: QueueState, generation: number, now: Date, folded?: FoldMark): string {
  return jsonSafe(
    `{\n  "findings": ${jsonList(state.findings, '  ')},\n  "issues": ${jsonList(state.issues, '  ')},\n` +
      `  "timestamp": ${JSON.stringify(now.toISOString())},\n  "generation": ${generation}${folded ? `,\n  "folded": ${JSON.stringify(folded)}` : ''}\n}\n`,
  );
}

const RESULTS_HEAD = '{\n  "findings": ';
const RESULTS_TAIL = /"generation": (\d+)(?:,\n {2}"folded": (\{[^{}\n]*\}))?\n\}\n$/;

/**
 * `results.json`'s generation (and fold mark) read from its first and last bytes, when it is laid
 * out as `serializeResults` writes it; undefined otherwise (then read it whole).
 */
export function peekResultsStamp(path: string): { generation: number; folded?: FoldMark } | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
  try {
    const size = fstatSync(fd).size;
    if (size < 64) return undefined;
    const head = Buffer.alloc(RESULTS_HEAD.length);
    const tail = Buffer.alloc(Math.min(size, 512));
    readSync(fd, head, 0, head.length, 0);
    readSync(fd, tail, 0, tail.length, size - tail.length);
    const match = RESULTS_TAIL.exec(tail.toString('utf8'));
    if (head.toString('utf8') !== RESULTS_HEAD || !match) return undefined;
    return stamp({ generation: Number(match[1]), folded: match[2] === undefined ? undefined : JSON.parse(match[2]) });
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

export function readJsonFile(path: string): unknown | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
  if (text.trim() === '') throw new CorruptStateError(path, 'the file is empty');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CorruptStateError(path, `invalid JSON: ${(error as Error).message}`, { cause: error });
  }
}

export function parseQueueSnapshot(value: unknown, path: string): QueueSnapshot {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new CorruptStateError(path, 'expected an object with `tasks`');
  const raw = value as Record<string, unknown>;
  if (!Array.isArray(raw.tasks)) throw new CorruptStateError(path, '`tasks` is missing or not an array');
  const tasks = raw.tasks.map((task, i) => checkTask(task, i, path));
  const meta: QueueMeta = {
    active: raw.active === true,
    worker_count: typeof raw.worker_count === 'number' ? raw.worker_count : 0,
  };
  if (raw.run !== null && typeof raw.run === 'object') meta.run = raw.run as QueueMeta['run'];
  if (typeof raw.cost_usd === 'number' && Number.isFinite(raw.cost_usd)) meta.cost_usd = raw.cost_usd;
  if (raw.cost_estimated === true) meta.cost_estimated = true;
  if (raw.dependencies === true) meta.dependencies = true;
  if (raw.prd === true) meta.prd = true;
  if (typeof raw.cost_unknown === 'number' && Number.isInteger(raw.cost_unknown) && raw.cost_unknown > 0) meta.cost_unknown = raw.cost_unknown;
  if (raw.usage_limit !== null && typeof raw.usage_limit === 'object') meta.usage_limit = raw.usage_limit as QueueMeta['usage_limit'];
  if (raw.stop !== null && typeof raw.stop === 'object') meta.stop = raw.stop as QueueMeta['stop'];
  if (raw.paused !== null && typeof raw.paused === 'object' && typeof (raw.paused as { at?: unknown }).at === 'string')
    meta.paused = { at: (raw.paused as { at: string }).at };
  return { tasks, meta, ...stamp(raw) };
}

export function parseResultsSnapshot(value: unknown, path: string): ResultsSnapshot {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new CorruptStateError(path, 'expected an object with `findings` and `issues`');
  const raw = value as Record<string, unknown>;
  if (raw.findings !== undefined && !Array.isArray(raw.findings)) throw new CorruptStateError(path, '`findings` is not an array');
  if (raw.issues !== undefined && !Array.isArray(raw.issues)) throw new CorruptStateError(path, '`issues` is not an array');
  return {
    findings: (raw.findings ?? []) as Finding[],
    issues: (raw.issues ?? []) as Issue[],
    ...stamp(raw),
  };
}

function stamp(raw: Record<string, unknown>): { generation: number; folded?: FoldMark } {
  const generation = typeof raw.generation === 'number' ? raw.generation : 0;
  const f = raw.folded as Partial<FoldMark> | null | undefined;
  const valid = f !== null && typeof f === 'object' && typeof f.generation === 'number' && typeof f.created_at === 'string' && typeof f.end === 'number';
  return valid ? { generation, folded: f as FoldMark } : { generation };
}

function checkTask(value: unknown, i: number, path: string): Task {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new CorruptStateError(path, `task #${i + 1} is not an object`);
  const task = value as Task;
  if (typeof task.id !== 'string') throw new CorruptStateError(path, `task #${i + 1} has no string \`id\``);
  if (typeof task.type !== 'string') throw new CorruptStateError(path, `task ${JSON.stringify(task.id)} has no string \`type\``);
  if (!TASK_STATUSES.includes(task.status))
    throw new CorruptStateError(path, `task ${JSON.stringify(task.id)} has an unknown status ${JSON.stringify(task.status)}`);
  if (typeof task.attempts !== 'number') task.attempts = 0;
  return task;
}
