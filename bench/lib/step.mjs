// What the benches' workers' steps are configured with, and the outcome of a no-op task.

/** A worker's step settings (src/worker/step.ts StepConfig) for a bench; `leaseMs` as the bench needs. */
export function stepConfig(leaseMs, workerId = 1) {
  return {
    workerId,
    leaseMs,
    maxAttempts: 3,
    retries: 0,
    retryBackoffMs: 0,
    onUsageLimit: 'wait',
    usageLimitMarginMs: 0,
    usageLimitWaitMs: 60_000,
    agent: 'command',
  };
}

/** The outcome a no-op agent reports. */
export const OK_OUTCOME = { ok: true, finding: 'ok', exitCode: 0, signal: null, durationMs: 1 };
