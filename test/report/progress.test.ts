import { describe, expect, it } from 'vitest';
import { formatDuration } from '../../src/report/time.js';

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
