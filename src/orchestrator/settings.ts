/** What every worker of a run is told; the orchestrator passes it on as `ralph worker` flags. */
export interface WorkerSettings {
  agentCmd: string;
  promptTemplate?: string;
  taskTimeoutSec?: number;
  graceSec: number;
  leaseSec: number;
  maxAttempts: number;
  retries: number;
  retryBackoffSec: number;
}

export const WORKER_DEFAULTS = {
  graceSec: 5,
  leaseSec: 60,
  maxAttempts: 3,
  retries: 0,
  retryBackoffSec: 2,
} as const satisfies Partial<WorkerSettings>;

// Every setting has its flag: adding a setting without one is a type error.
const FLAGS: Record<keyof WorkerSettings, string> = {
  agentCmd: '--agent-cmd',
  promptTemplate: '--prompt-template',
  taskTimeoutSec: '--task-timeout',
  graceSec: '--grace',
  leaseSec: '--lease',
  maxAttempts: '--max-attempts',
  retries: '--retries',
  retryBackoffSec: '--retry-backoff',
};

export function workerArgv(settings: WorkerSettings): string[] {
  const argv: string[] = [];
  for (const key of Object.keys(FLAGS) as Array<keyof WorkerSettings>) {
    const value = settings[key];
    if (value !== undefined) argv.push(FLAGS[key], String(value));
  }
  return argv;
}
