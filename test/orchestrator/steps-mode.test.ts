import { describe, expect, it } from 'vitest';
import { stepsMode } from '../../src/orchestrator/coordinator.js';

describe("stepsMode: who applies the workers' steps", () => {
  it.each([
    [1, 2, undefined, 'worker'],
    [2, 2, undefined, 'worker'],
    [5, 2, undefined, 'worker'],
    [6, 2, undefined, 'run'],
    [8, 2, undefined, 'run'],
    [8, 4, undefined, 'worker'],
    [12, 4, undefined, 'run'],
    [3, 0, undefined, 'run'], // no core count known: counted as one
    [2, 0, undefined, 'worker'],
    [1, 8, 'run', 'run'],
    [64, 2, 'worker', 'worker'],
    [8, 2, '', 'run'],
  ] as const)('%i workers on %i cores, RALPH_STEPS=%s: %s', (workers, cores, override, expected) => {
    expect(stepsMode(workers, cores, override)).toBe(expected);
  });

  it('refuses any other RALPH_STEPS, saying what it may be', () => {
    expect(() => stepsMode(8, 2, 'both')).toThrow(/RALPH_STEPS must be "run" or "worker".*not "both"/);
  });
});
