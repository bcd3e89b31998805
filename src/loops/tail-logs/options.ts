import { InputError } from '../../errors.js';

/** `ralph tail-logs`' options: their defaults, checked. Pure. */

export const ROLES = ['galph', 'ralph'] as const;
export type Role = (typeof ROLES)[number];
export const SOURCES = ['logs', 'summaries'] as const;
export type Source = (typeof SOURCES)[number];

export const TAIL_LOGS_DEFAULTS = {
  count: 3,
  source: 'logs' as Source,
  roles: ['galph', 'ralph'] as readonly Role[],
  ls: true,
  lsPaths: ['docs', 'plans', 'reports'] as readonly string[],
  logdir: 'logs',
};

/** Options of {@link tailLogs}; every field but `prefix` defaults to the CLI's default. */
export interface TailLogsOptions {
  /** The branch name with '/' replaced by '-': the directory under `logdir`. */
  prefix: string;
  /** How many of the last matching iterations to print; 0 prints all. Default 3. */
  count?: number;
  minIter?: number;
  maxIter?: number;
  source?: Source;
  /** Which roles to print, in this order within an iteration. */
  roles?: readonly Role[];
  /** Whether to list `lsPaths` at each log's handoff commit. */
  ls?: boolean;
  lsPaths?: readonly string[];
  logdir?: string;
  /** The git repository to run in; default `process.cwd()`. */
  cwd?: string;
}

export type Resolved = Required<Omit<TailLogsOptions, 'minIter' | 'maxIter'>> & { minIter?: number; maxIter?: number };

/** Defaults filled in and every value checked; throws InputError (exit 2) on bad input. */
export function resolveTailLogsOptions(options: TailLogsOptions): Resolved {
  const o = { ...TAIL_LOGS_DEFAULTS, cwd: process.cwd(), ...stripUndefined(options) };
  if (o.prefix === '' || o.prefix === '.' || o.prefix === '..' || o.prefix.includes('/')) {
    throw new InputError(
      `Expected PREFIX to be a branch name with '/' replaced by '-' (e.g. \`${o.prefix.replaceAll('/', '-') || 'feature-x'}\`), got \`${o.prefix}\`.`,
    );
  }
  for (const [flag, value] of [
    ['--count', o.count],
    ['--min-iter', o.minIter],
    ['--max-iter', o.maxIter],
  ] as const) {
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0))
      throw new InputError(`Expected ${flag} to be a non-negative integer, got \`${value}\`.`);
  }
  if (o.minIter !== undefined && o.maxIter !== undefined && o.minIter > o.maxIter) {
    throw new InputError(`Expected --min-iter (${o.minIter}) to be at most --max-iter (${o.maxIter}).`);
  }
  if (!SOURCES.includes(o.source)) throw new InputError(`Expected --source to be logs or summaries, got \`${o.source}\`.`);
  return { ...o, roles: parseRoles(o.roles.join(',')), lsPaths: o.lsPaths.filter((p) => p !== '') };
}

/** "ralph,galph" → ['ralph', 'galph']; unknown or no roles are an InputError. Repeats are dropped. */
export function parseRoles(text: string): Role[] {
  const names = parseList(text);
  const bad = names.find((n) => !(ROLES as readonly string[]).includes(n));
  if (names.length === 0 || bad !== undefined) throw new InputError(`Expected --roles to be a comma-separated list of galph and ralph, got \`${text}\`.`);
  return [...new Set(names as Role[])];
}

export function parseList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
