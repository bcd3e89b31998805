import { describe, expect, it } from 'vitest';
import { decideGenerations } from '../../src/store/generations.js';
import type { JournalStamp, SnapshotStamp } from '../../src/store/generations.js';

const names = { queue: '.ralph/work-queue.json', results: '.ralph/results.json', journal: '.ralph/journal/queue.ndjson' };
const journal: JournalStamp = { generation: 5, created_at: '2025-01-01T00:00:00.000Z', end: 300, entries: 3 };
const fold = { generation: 5, created_at: journal.created_at, end: 300 };
const at = (generation: number, folded?: Partial<typeof fold>): SnapshotStamp => (folded ? { generation, folded: { ...fold, ...folded } } : { generation });

describe('decideGenerations', () => {
  // [what, queue, results, journal, applyTasks, applyResults]
  const accepted: [string, SnapshotStamp, SnapshotStamp, JournalStamp | undefined, boolean, boolean][] = [
    ['settled: both at the journal', at(5), at(5), journal, true, true],
    ['cut off after the queue', at(6, {}), at(5), journal, false, true],
    ['cut off after the queue, several times over (each try wrote the queue once more)', at(9, {}), at(5), journal, false, true],
    ['cut off after both snapshots', at(6, {}), at(6, {}), journal, false, false],
    ['cut off after both, then after the queue again', at(7, {}), at(6, {}), journal, false, false],
    ['no journal yet (new, or the shell layout): the snapshots as they are', at(3), at(9), undefined, false, false],
    ['a journal without entries: nothing to apply wrongly', at(9), at(2), { ...journal, entries: 0 }, false, false],
    ['a journal without entries at their generation', at(5), at(5), { ...journal, entries: 0 }, true, true],
    ['a hand-written queue without a generation, the journal empty', at(0), at(5), { ...journal, entries: 0 }, false, true],
  ];
  it.each(accepted)('accepts %s', (_, queue, results, j, applyTasks, applyResults) => {
    expect(decideGenerations(queue, results, j, names)).toEqual({ ok: true, applyTasks, applyResults });
  });

  // [what, queue, results, the file refused, what the problem says]
  const refused: [string, SnapshotStamp, SnapshotStamp, 'queue' | 'results', RegExp][] = [
    ['a queue older than the journal (a backup restored)', at(4), at(5), 'queue', /generation 4\) is older than .*generation 5/],
    ['results older than the journal', at(5), at(3), 'results', /results\.json \(generation 3\) is older/],
    ['a queue ahead that was not made from this journal (copied)', at(6), at(5), 'queue', /generation 6\) is ahead of .*not made from that journal/],
    [
      'a queue ahead, made from another journal of the same generation',
      at(6, { created_at: '2024-12-31T00:00:00.000Z' }),
      at(5),
      'queue',
      /not made from that journal/,
    ],
    ['a queue ahead, made before the journal grew (lines it does not hold)', at(6, { end: 200 }), at(5), 'queue', /not made from that journal/],
    ['a queue ahead, made from an earlier journal', at(6, { generation: 4 }), at(5), 'queue', /not made from that journal/],
    ['results ahead of a queue at the journal (never written first)', at(5), at(6, {}), 'results', /newer than .*work-queue\.json \(generation 5\)/],
    ['results ahead of a queue that is ahead too', at(6, {}), at(7, {}), 'results', /newer than/],
    ['a queue without a generation while the journal holds changes', at(0), at(5), 'queue', /has no generation/],
    ['results without a generation while the journal holds changes', at(5), at(0), 'results', /has no generation/],
    ['results missing while the journal holds changes', at(5), { generation: 0, missing: true }, 'results', /is missing/],
  ];
  it.each(refused)('refuses %s, naming both files and the way out', (_, queue, results, file, problem) => {
    const decision = decideGenerations(queue, results, journal, names);
    expect(decision.ok).toBe(false);
    if (decision.ok) return;
    expect(decision.file).toBe(file);
    expect(decision.problem).toMatch(problem);
    expect(decision.problem).toContain(names[file]);
    expect(`${decision.problem} ${decision.fix}`).toContain(names.journal);
    expect(decision.fix).toMatch(/move \.ralph\/journal\/queue\.ndjson aside/);
  });

  it('refuses, even with nothing in the journal, a queue older than the results beside it (a backup restored between runs)', () => {
    const decision = decideGenerations(at(3), at(5), { ...journal, entries: 0 }, names);
    expect(decision).toMatchObject({ ok: false, file: 'queue' });
    if (decision.ok) return;
    expect(decision.problem).toMatch(/work-queue\.json \(generation 3\) is older than .*results\.json \(generation 5\)/);
    expect(decision.fix).toMatch(/restore both from the same backup/);
  });
});
