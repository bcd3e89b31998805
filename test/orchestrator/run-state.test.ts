import { describe, expect, it } from 'vitest';
import { archivesToPrune, toArchive } from '../../src/orchestrator/archive.js';
import type { LeftBehind } from '../../src/orchestrator/archive.js';
import { workersWanted } from '../../src/orchestrator/slots.js';

const left: LeftBehind = {
  logs: [
    { id: 1, name: 'worker-1.log', bytes: 100 },
    { id: 2, name: 'worker-2.log', bytes: 9_000 },
    { id: 3, name: 'worker-3.log', bytes: 50 },
  ],
  others: [
    { id: 1, name: 'sessions/worker-1.session' },
    { id: 3, name: 'sessions/worker-3.session' },
    { id: 3, name: 'prompts/worker-3.prompt.md' },
  ],
};

describe('what a starting run archives', () => {
  it.each<[string, boolean, number[], string[]]>([
    [
      '--reset: every log, session and prompt',
      true,
      [],
      ['worker-1.log', 'worker-2.log', 'worker-3.log', 'sessions/worker-1.session', 'sessions/worker-3.session', 'prompts/worker-3.prompt.md'],
    ],
    ['--reset: but not those of a worker still alive', true, [3], ['worker-1.log', 'worker-2.log', 'sessions/worker-1.session']],
    ['a resume: only the logs grown past the limit', false, [], ['worker-2.log']],
    ['a resume: not even that when its worker is alive', false, [2], []],
  ])('%s', (_what, reset, live, expected) => {
    expect(toArchive(left, new Set(live), reset, 1_000)).toEqual(expected);
  });

  it.each<[string[], string[]]>([
    [[], []],
    [['b', 'a', 'c'], []],
    [['2003', '2001', '2004', '2002'], ['2001']],
    [
      ['5', '1', '4', '2', '3'],
      ['1', '2'],
    ],
  ])('of archives %j, deletes %j (three are kept, the newest)', (names, deleted) => {
    expect(archivesToPrune(names)).toEqual(deleted);
  });
});

describe('how many workers a run wants', () => {
  it.each<[number, { pending: number; claimed: number }, number, number]>([
    [100, { pending: 3, claimed: 0 }, 0, 3],
    [3, { pending: 500, claimed: 0 }, 0, 3],
    [8, { pending: 0, claimed: 0 }, 0, 0],
    [8, { pending: 0, claimed: 2 }, 0, 2],
    [8, { pending: 1, claimed: 1 }, 3, 5],
    [4, { pending: 0, claimed: 0 }, 10, 4],
  ])('--workers %i with %j and %i tasks being added: %i', (max, counts, adding, wanted) => {
    expect(workersWanted(max, counts, adding)).toBe(wanted);
  });
});
