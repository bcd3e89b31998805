import { describe, expect, it } from 'vitest';
import { decideTurn } from '../../src/loops/turn-holder.js';
import type { Actor, Holder, Self, SyncState } from '../../src/loops/sync-state.js';
import { describeHolder, judgeHolder, leaseLapsed } from '../../src/loops/turn-holder.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs).toISOString();
const SINCE = at(-600_000);

/** ralph's running turn of iteration 5, held by `holder`, its lease ending at `lease`. */
const running = (holder: Holder | null, lease: string | null, actor: Actor = 'ralph'): SyncState => ({
  iteration: 5,
  expected_actor: actor,
  status: `running-${actor}`,
  last_update: SINCE,
  lease_expires_at: lease,
  galph_commit: null,
  ralph_commit: null,
  holder,
});
const holder = (host: string, pid: number, token = 'their-token'): Holder => ({ host, pid, token, since: SINCE });
/** Me: pid 100 on host h1; `alive` lists the other pids of h1 that are running. */
const me = (alive: number[] = [], actor: Actor = 'ralph'): Self => ({ actor, host: 'h1', pid: 100, token: 'my-token', isAlive: (pid) => alive.includes(pid) });

type Outcome = 'resume' | 'take over' | 'held';
const outcome = (d: ReturnType<typeof judgeHolder>): Outcome | 'other' => {
  if (d.kind === 'held') return 'held';
  if (d.kind === 'run' && d.resume) return d.note?.startsWith('taking over') ? 'take over' : 'resume';
  return 'other';
};

describe('judgeHolder: who may run a running-<me> turn', () => {
  it.each<[string, Holder | null, string | null, number[], Outcome]>([
    ['no holder (a file of an older Ralph): resumed as before', null, at(60_000), [], 'resume'],
    ['my own token', holder('h1', 100, 'my-token'), at(60_000), [], 'resume'],
    ['my own token, lease lapsed', holder('h1', 100, 'my-token'), at(-60_000), [], 'resume'],
    ['this host, its pid gone (a restart after a crash)', holder('h1', 4242), at(60_000), [], 'resume'],
    ['this host, its pid gone, lease lapsed', holder('h1', 4242), at(-60_000), [], 'resume'],
    ['this host, its pid is mine now (reused after a restart)', holder('h1', 100), at(60_000), [100], 'resume'],
    ['this host, its pid alive (another clone or the same one)', holder('h1', 4242), at(60_000), [4242], 'held'],
    ['this host, its pid alive, lease lapsed (paused or hung: never taken from a live process)', holder('h1', 4242), at(-60_000), [4242], 'held'],
    ['another host, live lease', holder('h2', 4242), at(60_000), [], 'held'],
    ['another host, lease ending exactly now', holder('h2', 4242), at(0), [], 'held'],
    ['another host, no lease', holder('h2', 4242), null, [], 'held'],
    ['another host, the same pid as mine, live lease', holder('h2', 100), at(60_000), [], 'held'],
    ['another host, lease lapsed: taken over', holder('h2', 4242), at(-1), [], 'take over'],
    ['another host whose pid is alive here (means nothing here), lease lapsed', holder('h2', 4242), at(-1), [4242], 'take over'],
  ])('%s', (_what, h, lease, alive, expected) => {
    const state = running(h, lease);
    expect(outcome(judgeHolder(state, me(alive), NOW))).toBe(expected);
    // decideTurn gives the same answer for a running-<me> state.
    expect(outcome(decideTurn(state, me(alive), NOW))).toBe(expected);
  });

  it('a live holder on this host is named with its pid, host, since when, and what to do', () => {
    const d = judgeHolder(running(holder('h1', 4242), at(60_000)), me([4242]), NOW);
    expect(d).toEqual({
      kind: 'held',
      why:
        `ralph's turn (iteration 5) is held by another \`ralph loop\`: pid 4242 on host h1 (this host), since ${SINCE}. ` +
        'Two engineers on one branch would run two agents on one turn, so this one does not start. ' +
        'Wait for it to hand off, or stop it (kill 4242) and rerun: its turn is resumed. ' +
        'If pid 4242 is no Ralph (a reboot reused it), give the turn up with `ralph stamp-handoff ralph fail` and rerun.',
    });
  });

  it('a holder on another host is named with its lease, and when a rerun would take it over', () => {
    const d = judgeHolder(running(holder('h2', 4242), at(60_000), 'galph'), me([], 'galph'), NOW);
    expect(d).toEqual({
      kind: 'held',
      why:
        `galph's turn (iteration 5) is held by another \`ralph supervisor\`: pid 4242 on host h2, since ${SINCE}; its lease runs until ${at(60_000)}. ` +
        'Two supervisors on one branch would run two agents on one turn, so this one does not start. ' +
        `Wait for it to hand off, or stop it on h2; a turn whose lease has lapsed is taken over, so rerun after ${at(60_000)}. ` +
        'To give the turn up now: `ralph stamp-handoff galph fail`.',
    });
  });

  it.each<[string, Holder | null, number[], string]>([
    ['no holder', null, [], 'resuming my own turn of iteration 5 (status running-ralph from an earlier run that stopped)'],
    [
      'a dead pid of this host',
      holder('h1', 4242),
      [],
      'resuming my own turn of iteration 5 (status running-ralph from an earlier run, pid 4242, that stopped)',
    ],
    ['another host, lapsed', holder('h2', 4242), [], `taking over ralph's turn of iteration 5 from pid 4242 on host h2, whose lease expired at ${at(-1)}`],
  ])('says what it does: %s', (_what, h, alive, note) => {
    expect(judgeHolder(running(h, at(-1)), me(alive), NOW)).toEqual({ kind: 'run', resume: true, note });
  });

  it('asks about liveness only for a pid of this host', () => {
    const asked: number[] = [];
    const self: Self = {
      ...me(),
      isAlive: (pid) => {
        asked.push(pid);
        return true;
      },
    };
    judgeHolder(running(holder('h2', 7), at(60_000)), self, NOW);
    judgeHolder(running(holder('h1', 100), at(60_000)), self, NOW);
    expect(asked).toEqual([]);
    judgeHolder(running(holder('h1', 8), at(60_000)), self, NOW);
    expect(asked).toEqual([8]);
  });
});

describe('leaseLapsed and describeHolder', () => {
  it.each<[string | null, boolean]>([
    [at(-1), true],
    [at(0), false],
    [at(1), false],
    [null, false],
  ])('lease %s lapsed: %s', (lease, lapsed) => {
    expect(leaseLapsed(running(null, lease), NOW)).toBe(lapsed);
  });

  it('names this host as such', () => {
    expect(describeHolder(holder('h1', 9), 'h1')).toBe(`pid 9 on host h1 (this host), since ${SINCE}`);
    expect(describeHolder(holder('h2', 9), 'h1')).toBe(`pid 9 on host h2, since ${SINCE}`);
  });
});
