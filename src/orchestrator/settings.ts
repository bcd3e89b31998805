import type { PriceList } from '../agents/prices.js';
import type { OwnApiKey } from '../agents/own-flags.js';
import type { AgentChoice } from '../agents/registry.js';
import { WORKER_SETTINGS, fieldOf, longFlag } from '../config/table.js';
import type { ConflictPolicy, IsolateMode, MergeMode } from '../queue/isolation.js';
import type { WorkerOptions } from '../worker/worker.js';

/**
 * What every worker of a run is told; the orchestrator passes it on as `ralph worker` flags. Each
 * field is a row of the settings table (src/config/table.ts) that `ralph worker` takes; its name
 * there is `field` (or `key`).
 */
export interface WorkerSettings extends Omit<AgentChoice, OwnApiKey> {
  maxCostUsd?: number;
  /** `prices`: model prices over the shipped table (USD per million tokens). */
  prices?: PriceList;
  onUsageLimit?: 'wait' | 'stop' | 'fail';
  usageLimitMarginSec?: number;
  usageLimitWaitSec?: number;
  promptTemplate?: string;
  taskTimeoutSec?: number;
  /** `--idle-timeout`: an agent silent this long is taken for hung (0: never). */
  idleTimeoutSec?: number;
  graceSec: number;
  leaseSec: number;
  maxAttempts: number;
  retries: number;
  retryBackoffSec: number;
  /** `--isolate worktree`: a git worktree per worker and a branch per task. */
  isolate?: IsolateMode;
  /** The branch task branches start from and are merged into (default: the one checked out). */
  base?: string;
  merge?: MergeMode;
  onConflict?: ConflictPolicy;
  /** `--redact NAME`: more variables whose values are redacted (one flag each). */
  redact?: string[];
}

/** The defaults of the settings that have one, by their WorkerSettings name (from the settings table). */
export const WORKER_DEFAULTS = Object.fromEntries(
  WORKER_SETTINGS.filter((s) => s.default !== undefined && s.kind !== 'list').map((s) => [fieldOf(s), s.default]),
) as Required<
  Pick<
    WorkerSettings,
    | 'taskTimeoutSec'
    | 'idleTimeoutSec'
    | 'graceSec'
    | 'leaseSec'
    | 'maxAttempts'
    | 'retries'
    | 'retryBackoffSec'
    | 'onUsageLimit'
    | 'usageLimitMarginSec'
    | 'usageLimitWaitSec'
    | 'isolate'
    | 'merge'
    | 'onConflict'
  >
>;

/** The `ralph worker` flags that give a worker these settings, in the order of the settings table. */
export function workerArgv(settings: WorkerSettings): string[] {
  const argv: string[] = [];
  const values = settings as unknown as Record<string, unknown>;
  for (const setting of WORKER_SETTINGS) {
    const value = values[fieldOf(setting)];
    const flag = longFlag(setting);
    if (Array.isArray(value)) for (const item of value) argv.push(flag, String(item));
    else if (typeof value === 'boolean') {
      if (value !== flag.startsWith('--no-')) argv.push(flag);
    } else if (typeof value === 'object' && value !== null) argv.push(flag, JSON.stringify(value));
    else if (value !== undefined) argv.push(flag, String(value));
  }
  return argv;
}

/** What of WorkerOptions the settings give: timings in milliseconds, limits, the usage-limit policy. */
export type WorkerTimings = Pick<
  WorkerOptions,
  | 'graceMs'
  | 'leaseMs'
  | 'maxAttempts'
  | 'retries'
  | 'retryBackoffMs'
  | 'onUsageLimit'
  | 'usageLimitMarginMs'
  | 'usageLimitWaitMs'
  | 'maxCostUsd'
  | 'taskTimeoutMs'
  | 'idleTimeoutMs'
>;

/**
 * A worker's options from its settings: the one place where the settings' seconds (as the flags,
 * the config file and the run's record give them) become the worker's milliseconds. A task or idle
 * timeout of 0 is no limit.
 */
export function workerTimings(s: WorkerSettings): WorkerTimings {
  const ms = (sec: number | undefined) => (sec === undefined || sec <= 0 ? undefined : sec * 1000);
  const taskTimeoutMs = ms(s.taskTimeoutSec);
  const idleTimeoutMs = ms(s.idleTimeoutSec);
  return {
    graceMs: s.graceSec * 1000,
    leaseMs: s.leaseSec * 1000,
    maxAttempts: s.maxAttempts,
    retries: s.retries,
    retryBackoffMs: s.retryBackoffSec * 1000,
    onUsageLimit: s.onUsageLimit ?? WORKER_DEFAULTS.onUsageLimit,
    usageLimitMarginMs: (s.usageLimitMarginSec ?? WORKER_DEFAULTS.usageLimitMarginSec) * 1000,
    usageLimitWaitMs: (s.usageLimitWaitSec ?? WORKER_DEFAULTS.usageLimitWaitSec) * 1000,
    ...(s.maxCostUsd === undefined ? {} : { maxCostUsd: s.maxCostUsd }),
    ...(taskTimeoutMs === undefined ? {} : { taskTimeoutMs }),
    ...(idleTimeoutMs === undefined ? {} : { idleTimeoutMs }),
  };
}
