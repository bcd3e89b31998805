import type { RunInfo } from '../queue/types.js';
import { SETTINGS, fieldOf } from './table.js';
import type { Kind } from './table.js';

const REMEMBERED = SETTINGS.filter((s) => s.remember);

/** What `meta.run` recorded before it had `settings`: the agent, the budget, the isolation. */
const LEGACY: Record<string, keyof RunInfo> = {
  agentCmd: 'agent_cmd',
  agent: 'agent',
  model: 'model',
  maxCostUsd: 'max_cost_usd',
  workers: 'workers',
  isolate: 'isolate',
  base: 'base',
  merge: 'merge',
  onConflict: 'on_conflict',
};

const fits: Record<Kind, (v: unknown) => boolean> = {
  number: (v) => typeof v === 'number' && Number.isFinite(v),
  string: (v) => typeof v === 'string',
  boolean: (v) => typeof v === 'boolean',
  list: (v) => Array.isArray(v) && v.every((i) => typeof i === 'string'),
  object: (v) => v !== null && typeof v === 'object' && !Array.isArray(v),
};

/**
 * The settings a run recorded (`meta.run.settings`, by setting key), for the next run of the queue;
 * from a queue recorded before those were, what its `meta.run` says of the agent. Values of the wrong
 * type (a hand-edited file) are left out. Pure.
 */
export function lastRunValues(run: RunInfo | undefined): Record<string, unknown> {
  if (!run) return {};
  const recorded = run.settings ?? Object.fromEntries(Object.entries(LEGACY).map(([key, field]) => [key, run[field]]));
  const values: Record<string, unknown> = {};
  for (const setting of REMEMBERED) {
    const value = recorded[setting.key];
    if (value !== undefined && fits[setting.kind](value)) values[setting.key] = value;
  }
  return values;
}

/**
 * What a run records of its settings for the next run: each remembered setting that is not its
 * default, by key, strings passed through `redact` (a value with a secret in it is recorded redacted,
 * and then not run again: see precedence.ts). `options` are the run's, by WorkerSettings name. Pure.
 */
export function settingsToRecord(options: Readonly<Record<string, unknown>>, redact: (text: string) => string): Record<string, unknown> {
  const recorded: Record<string, unknown> = {};
  for (const setting of REMEMBERED) {
    const value = options[fieldOf(setting)];
    if (value === undefined || value === setting.default || (Array.isArray(value) && value.length === 0)) continue;
    recorded[setting.key] = typeof value === 'string' ? redact(value) : value;
  }
  return recorded;
}
