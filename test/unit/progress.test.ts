import { describe, expect, it } from 'vitest';
import { formatDuration, formatProgress } from '../../src/orchestrator/progress.js';
import type { StatusCounts } from '../../src/queue/types.js';

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [1, '1ms'],
    [250.4, '250ms'],
    [999, '999ms'],
    [1_000, '1s'],
    [1_499, '1s'],
    [1_500, '2s'],
    [59_000, '59s'],
    [59_499, '59s'],
    [59_500, '1m00s'],
    [60_000, '1m00s'],
    [61_000, '1m01s'],
    [605_000, '10m05s'],
    [3_599_000, '59m59s'],
    [3_599_500, '1h00m'],
    [3_600_000, '1h00m'],
    [3_660_000, '1h01m'],
    [7_325_000, '2h02m'],
    [90_000_000, '25h00m'],
  ])('formats %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each([
    ['a negative duration', -1],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
  ])('formats %s as ?', (_what, ms) => {
    expect(formatDuration(ms)).toBe('?');
  });

  // Math.round(999.6) is 1000, which is printed as milliseconds instead of moving to seconds.
  it('formats 999.6 ms as 1s, not 1000ms', () => {
    expect(formatDuration(999.6)).toBe('1s');
  });
});

describe('formatProgress', () => {
  const counts = (pending: number, claimed: number, completed: number, failed: number): StatusCounts => ({ pending, claimed, completed, failed });

  it.each<[string, StatusCounts, number, number, string]>([
    ['the start of a run has no rate and no ETA', counts(10, 0, 0, 0), 0, 0,
      'pending 10 · claimed 0 · completed 0 · failed 0 · 0.0 tasks/s · 0ms elapsed'],
    ['a run with progress shows rate and ETA', counts(6, 2, 2, 0), 2_000, 2,
      'pending 6 · claimed 2 · completed 2 · failed 0 · 1.0 tasks/s · 2s elapsed · ETA 8s'],
    ['failures count as finished', counts(1, 0, 1, 3), 4_000, 4,
      'pending 1 · claimed 0 · completed 1 · failed 3 · 1.0 tasks/s · 4s elapsed · ETA 1s'],
    ['a finished run has no ETA', counts(0, 0, 5, 0), 10_000, 5,
      'pending 0 · claimed 0 · completed 5 · failed 0 · 0.5 tasks/s · 10s elapsed'],
    ['nothing finished yet means no ETA', counts(3, 3, 0, 0), 30_000, 0,
      'pending 3 · claimed 3 · completed 0 · failed 0 · 0.0 tasks/s · 30s elapsed'],
    ['a slow run shows the ETA in hours', counts(100, 0, 1, 0), 60_000, 1,
      'pending 100 · claimed 0 · completed 1 · failed 0 · 0.0 tasks/s · 1m00s elapsed · ETA 1h40m'],
    ['the rate has one decimal', counts(0, 1, 2, 0), 3_000, 2,
      'pending 0 · claimed 1 · completed 2 · failed 0 · 0.7 tasks/s · 3s elapsed · ETA 2s'],
  ])('%s', (_what, c, elapsedMs, finished, line) => {
    expect(formatProgress({ counts: c, elapsedMs, finished })).toBe(line);
  });
});
