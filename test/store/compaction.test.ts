import { describe, expect, it } from 'vitest';
import { COMPACT_BYTES_PER_SECOND, compactionDue, staleBoundMs } from '../../src/store/compaction.js';

const MiB = 1 << 20;
const CAP = 16 * MiB;

describe('compaction policy', () => {
  // [what, journalBytes, snapshotBytes, ageMs, fixedStaleMs, due]
  const cases: Array<[string, number, number, number, number | undefined, boolean]> = [
    ['an empty journal, however old', 0, 1000, 3_600_000, undefined, false],
    ['a small queue, changes 1 s old', 500, 100_000, 1_000, undefined, false],
    ['a small queue, changes older than its bound (~6 s at 100 kB)', 500, 100_000, 6_200, undefined, true],
    ['a journal as large as the snapshots, but younger than 1 s', 200_000, 100_000, 999, undefined, false],
    ['a journal as large as the snapshots', 100_000, 100_000, 1_000, undefined, true],
    ['a 10 MB queue, changes 5 minutes old', 100_000, 10_000_000, 300_000, undefined, false],
    ['a 10 MB queue, changes 11 minutes old', 100_000, 10_000_000, 660_000, undefined, true],
    ['a journal past its size cap, at once', CAP, 100 * MiB, 0, undefined, true],
    ['a fixed bound of 0: every change', 1, 10_000_000, 0, 0, true],
    ['a fixed bound: not before it', 10_000_000, 1_000, 10, 1_000_000, false],
  ];
  it.each(cases)('%s', (_what, journalBytes, snapshotBytes, ageMs, fixed, due) => {
    expect(compactionDue({ journalBytes, snapshotBytes, ageMs }, CAP, fixed)).toBe(due);
  });

  it('lets the snapshots lag 1 s at least, and as long as rewriting them at the budgeted rate takes', () => {
    expect(staleBoundMs(0)).toBe(1000);
    expect(staleBoundMs(COMPACT_BYTES_PER_SECOND * 600)).toBe(600_000);
  });
});
