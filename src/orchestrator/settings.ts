import type { OwnFlagKey } from '../agents/own-flags.js';
import { WORKER_SETTINGS, fieldOf, longFlag } from '../config/table.js';
import type { DefaultsByField, SettingsByField } from '../config/settings-types.js';
import type { WorkerOptions } from '../worker/worker.js';

/**
 * What every worker of a run is told; the orchestrator passes it on as `ralph worker` flags. The
 * type follows from the settings table (src/config/table.ts): each row that `ralph worker` takes is
 * a field, named `field` (or `key`), of the type its parser, choices or kind give, and optional (a
 * setting not given has its default, WORKER_DEFAULTS). The chosen CLI's own flags come with them.
 */
export type WorkerSettings = SettingsByField<'worker'> & { [K in OwnFlagKey]?: string };

/** The defaults of the settings that have one, by their WorkerSettings name (from the settings table). */
export const WORKER_DEFAULTS = Object.fromEntries(
  WORKER_SETTINGS.filter((s) => s.default !== undefined && s.kind !== 'list').map((s) => [fieldOf(s), s.default]),
) as Omit<DefaultsByField<'worker'>, 'redact'>;

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
 * the config file and the run's record give them) become the worker's milliseconds, with the
 * table's default for a setting not given. A task or idle timeout of 0 is no limit.
 */
export function workerTimings(s: WorkerSettings): WorkerTimings {
  const ms = (sec: number) => (sec <= 0 ? undefined : sec * 1000);
  const taskTimeoutMs = ms(s.taskTimeoutSec ?? WORKER_DEFAULTS.taskTimeoutSec);
  const idleTimeoutMs = ms(s.idleTimeoutSec ?? WORKER_DEFAULTS.idleTimeoutSec);
  return {
    graceMs: (s.graceSec ?? WORKER_DEFAULTS.graceSec) * 1000,
    leaseMs: (s.leaseSec ?? WORKER_DEFAULTS.leaseSec) * 1000,
    maxAttempts: s.maxAttempts ?? WORKER_DEFAULTS.maxAttempts,
    retries: s.retries ?? WORKER_DEFAULTS.retries,
    retryBackoffMs: (s.retryBackoffSec ?? WORKER_DEFAULTS.retryBackoffSec) * 1000,
    onUsageLimit: s.onUsageLimit ?? WORKER_DEFAULTS.onUsageLimit,
    usageLimitMarginMs: (s.usageLimitMarginSec ?? WORKER_DEFAULTS.usageLimitMarginSec) * 1000,
    usageLimitWaitMs: (s.usageLimitWaitSec ?? WORKER_DEFAULTS.usageLimitWaitSec) * 1000,
    ...(s.maxCostUsd === undefined ? {} : { maxCostUsd: s.maxCostUsd }),
    ...(taskTimeoutMs === undefined ? {} : { taskTimeoutMs }),
    ...(idleTimeoutMs === undefined ? {} : { idleTimeoutMs }),
  };
}
