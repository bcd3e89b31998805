import { describe, expect, it } from 'vitest';
import {
  formatSyncState,
  handoffSubject,
  initialState,
  isHandoffSubject,
  markRunning,
  notMyTurn,
  other,
  parseSyncState,
  renewLease,
  runningSubject,
  stampHandoff,
} from '../../src/loops/sync-state.js';
import { decideTurn } from '../../src/loops/turn-holder.js';
import type { Actor, Self, SyncState, SyncStatus } from '../../src/loops/sync-state.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs).toISOString();

const state = (over: Partial<SyncState> = {}): SyncState => ({
  iteration: 3,
  expected_actor: 'galph',
  status: 'idle',
  last_update: '2026-03-01T11:00:00.000Z',
  lease_expires_at: null,
  galph_commit: null,
  ralph_commit: null,
  holder: null,
  ...over,
});
/** The actor deciding: on host h1 as pid 100, with no other live process. */
const self = (actor: Actor): Self => ({ actor, host: 'h1', pid: 100, token: `token-${actor}`, isAlive: () => false });

const json = (value: unknown) => JSON.stringify(value);

describe('parseSyncState', () => {
  it.each<[string, string, SyncState]>([
    [
      'the required fields only: the optional ones become null',
      json({ iteration: 1, expected_actor: 'galph', status: 'idle' }),
      {
        iteration: 1,
        expected_actor: 'galph',
        status: 'idle',
        last_update: null,
        lease_expires_at: null,
        galph_commit: null,
        ralph_commit: null,
        holder: null,
      },
    ],
    [
      'every field',
      json({
        iteration: 7,
        expected_actor: 'ralph',
        status: 'running-ralph',
        last_update: 'a',
        lease_expires_at: 'b',
        galph_commit: 'abc1234',
        ralph_commit: 'def5678',
      }),
      {
        iteration: 7,
        expected_actor: 'ralph',
        status: 'running-ralph',
        last_update: 'a',
        lease_expires_at: 'b',
        galph_commit: 'abc1234',
        ralph_commit: 'def5678',
        holder: null,
      },
    ],
    [
      'explicit nulls',
      json({
        iteration: 0,
        expected_actor: 'ralph',
        status: 'failed',
        last_update: null,
        lease_expires_at: null,
        galph_commit: null,
        ralph_commit: null,
        holder: null,
      }),
      {
        iteration: 0,
        expected_actor: 'ralph',
        status: 'failed',
        last_update: null,
        lease_expires_at: null,
        galph_commit: null,
        ralph_commit: null,
        holder: null,
      },
    ],
    [
      'unknown extra fields are accepted and dropped',
      json({ iteration: 2, expected_actor: 'galph', status: 'complete', note: 'hi', extra: { a: 1 } }),
      {
        iteration: 2,
        expected_actor: 'galph',
        status: 'complete',
        last_update: null,
        lease_expires_at: null,
        galph_commit: null,
        ralph_commit: null,
        holder: null,
      },
    ],
    [
      'a holder',
      json({ iteration: 2, expected_actor: 'ralph', status: 'running-ralph', holder: { host: 'h', pid: 7, token: 't', since: 's' } }),
      {
        iteration: 2,
        expected_actor: 'ralph',
        status: 'running-ralph',
        last_update: null,
        lease_expires_at: null,
        galph_commit: null,
        ralph_commit: null,
        holder: { host: 'h', pid: 7, token: 't', since: 's' },
      },
    ],
    [
      'what formatSyncState writes',
      formatSyncState(state({ status: 'waiting-ralph', expected_actor: 'ralph', galph_commit: 'abc' })),
      state({ status: 'waiting-ralph', expected_actor: 'ralph', galph_commit: 'abc' }),
    ],
  ])('accepts %s', (_what, text, expected) => {
    expect(parseSyncState(text)).toEqual(expected);
  });

  it.each(['idle', 'running-galph', 'waiting-ralph', 'running-ralph', 'complete', 'failed'] as SyncStatus[])('accepts the status %s', (status) => {
    expect(parseSyncState(json({ iteration: 1, expected_actor: 'galph', status }))).toMatchObject({ status });
  });

  it.each<[string, string, RegExp]>([
    ['a missing iteration', json({ expected_actor: 'galph', status: 'idle' }), /^iteration: /],
    ['a missing expected_actor', json({ iteration: 1, status: 'idle' }), /^expected_actor: /],
    ['a missing status', json({ iteration: 1, expected_actor: 'galph' }), /^status: /],
    ['an unknown status', json({ iteration: 1, expected_actor: 'galph', status: 'running' }), /^status: /],
    ['an unknown actor', json({ iteration: 1, expected_actor: 'bob', status: 'idle' }), /^expected_actor: /],
    ['a status in the wrong case', json({ iteration: 1, expected_actor: 'galph', status: 'IDLE' }), /^status: /],
    ['an iteration that is a string', json({ iteration: '1', expected_actor: 'galph', status: 'idle' }), /^iteration: /],
    ['a negative iteration', json({ iteration: -1, expected_actor: 'galph', status: 'idle' }), /^iteration: /],
    ['a fractional iteration', json({ iteration: 1.5, expected_actor: 'galph', status: 'idle' }), /^iteration: /],
    ['a commit that is a number', json({ iteration: 1, expected_actor: 'galph', status: 'idle', galph_commit: 5 }), /^galph_commit: /],
    [
      'a holder without a token',
      json({ iteration: 1, expected_actor: 'galph', status: 'running-galph', holder: { host: 'h', pid: 7, since: 's' } }),
      /^holder\.token: /,
    ],
    [
      'a holder with pid 0',
      json({ iteration: 1, expected_actor: 'galph', status: 'running-galph', holder: { host: 'h', pid: 0, token: 't', since: 's' } }),
      /^holder\.pid: /,
    ],
    ['a holder that is a string', json({ iteration: 1, expected_actor: 'galph', status: 'running-galph', holder: 'me' }), /^holder: /],
    ['JSON null', 'null', /^the file: /],
    ['a JSON array', '[]', /^the file: /],
    ['a JSON string', '"idle"', /^the file: /],
    ['text that is not JSON', 'iteration: 1', /^not JSON \(/],
    ['an empty file', '', /^not JSON \(/],
    ['truncated JSON', '{"iteration": 1, "expected_actor": "ga', /^not JSON \(/],
  ])('reports %s as a problem', (_what, text, problem) => {
    const parsed = parseSyncState(text);
    expect(parsed).toEqual({ problem: expect.stringMatching(problem) });
  });
});

describe('decideTurn', () => {
  const run = (resume: boolean) => ({ kind: 'run', resume }) as const;
  const wait = { kind: 'wait' } as const;
  // [status, expected_actor, me, decision]: every status seen by each actor.
  it.each<[SyncStatus, Actor, Actor, { kind: 'run'; resume: boolean } | typeof wait]>([
    ['idle', 'galph', 'galph', run(false)],
    ['idle', 'galph', 'ralph', wait],
    ['idle', 'ralph', 'ralph', run(false)],
    ['idle', 'ralph', 'galph', wait],
    ['running-galph', 'galph', 'galph', run(true)],
    ['running-galph', 'galph', 'ralph', wait],
    ['waiting-ralph', 'ralph', 'ralph', run(false)],
    ['waiting-ralph', 'ralph', 'galph', wait],
    ['running-ralph', 'ralph', 'ralph', run(true)],
    ['running-ralph', 'ralph', 'galph', wait],
    ['complete', 'galph', 'galph', run(false)],
    ['complete', 'galph', 'ralph', wait],
    ['failed', 'galph', 'galph', run(false)],
    ['failed', 'galph', 'ralph', wait],
    ['failed', 'ralph', 'ralph', run(false)],
    ['failed', 'ralph', 'galph', wait],
    // Inconsistent files: running-<me> is always my own turn to resume; running-<them> is never mine.
    ['running-galph', 'ralph', 'galph', run(true)],
    ['running-galph', 'ralph', 'ralph', wait],
    ['running-ralph', 'galph', 'ralph', run(true)],
    ['running-ralph', 'galph', 'galph', wait],
  ])('status %s, expected %s, seen by %s', (status, expected, me, decision) => {
    const got = decideTurn(state({ status, expected_actor: expected }), self(me), NOW);
    if (decision.kind === 'run') expect(got).toMatchObject(decision);
    else {
      expect(got.kind).toBe('wait');
      if (got.kind !== 'wait') return;
      expect(got.why).toBe(`waiting for ${other(me)} (iteration 3, status ${status}, since 2026-03-01T11:00:00.000Z)`);
      expect(got.expiredLease).toBeUndefined(); // no lease in these states
    }
  });

  it('says "since unknown" without a last_update', () => {
    const got = decideTurn(state({ status: 'waiting-ralph', expected_actor: 'ralph', last_update: null }), self('galph'), NOW);
    expect(got).toEqual({ kind: 'wait', why: 'waiting for ralph (iteration 3, status waiting-ralph, since unknown)' });
  });

  it.each<[string, Partial<SyncState>, Actor, boolean]>([
    ['the other actor running with a lease in the past', { status: 'running-ralph', expected_actor: 'ralph', lease_expires_at: at(-1) }, 'galph', true],
    [
      'the other actor (galph) running with a lease in the past',
      { status: 'running-galph', expected_actor: 'galph', lease_expires_at: at(-60_000) },
      'ralph',
      true,
    ],
    ['the other actor running with a lease in the future', { status: 'running-ralph', expected_actor: 'ralph', lease_expires_at: at(1) }, 'galph', false],
    ['the other actor running with a lease ending exactly now', { status: 'running-ralph', expected_actor: 'ralph', lease_expires_at: at(0) }, 'galph', false],
    ['the other actor running without a lease', { status: 'running-ralph', expected_actor: 'ralph', lease_expires_at: null }, 'galph', false],
    ['a past lease on a waiting state', { status: 'waiting-ralph', expected_actor: 'ralph', lease_expires_at: at(-60_000) }, 'galph', false],
    ['a past lease on a complete state', { status: 'complete', expected_actor: 'galph', lease_expires_at: at(-60_000) }, 'ralph', false],
    ['a past lease on a failed state', { status: 'failed', expected_actor: 'ralph', lease_expires_at: at(-60_000) }, 'galph', false],
    ['a past lease on an idle state', { status: 'idle', expected_actor: 'ralph', lease_expires_at: at(-60_000) }, 'galph', false],
  ])('reports an expired lease only for %s', (_what, over, me, expired) => {
    const got = decideTurn(state(over), self(me), NOW);
    expect(got.kind).toBe('wait');
    expect(got.kind === 'wait' && got.expiredLease !== undefined).toBe(expired);
  });

  it.each<[Actor, Actor, string]>([
    ['galph', 'ralph', '`ralph loop`'],
    ['ralph', 'galph', '`ralph supervisor`'],
  ])('an expired lease seen by %s names %s, since when, and what to do', (me, them, command) => {
    const lease = at(-5_000);
    const got = decideTurn(state({ iteration: 9, status: `running-${them}`, expected_actor: them, lease_expires_at: lease }), self(me), NOW);
    expect(got.kind).toBe('wait');
    if (got.kind !== 'wait') return;
    expect(got.why).toBe(`waiting for ${them} (iteration 9, status running-${them}, since 2026-03-01T11:00:00.000Z)`);
    expect(got.expiredLease).toBe(
      `${them}'s turn (iteration 9) started at 2026-03-01T11:00:00.000Z and its lease expired at ${lease}: ` +
        `${them} stopped renewing it (crashed, killed or disconnected). Restart ${command} on ${them}'s machine ` +
        `with the same flags; it resumes its turn. To give up that turn instead: \`ralph stamp-handoff ${them} fail\`.`,
    );
  });

  it('an expired lease of a turn whose start is unknown says so', () => {
    const got = decideTurn(state({ status: 'running-ralph', expected_actor: 'ralph', last_update: null, lease_expires_at: at(-1) }), self('galph'), NOW);
    expect(got.kind === 'wait' && got.expiredLease).toMatch(/^ralph's turn \(iteration 3\) started at an unknown time and its lease expired at /);
  });

  it('my own running turn is resumed even when its lease expired long ago', () => {
    expect(decideTurn(state({ status: 'running-galph', lease_expires_at: at(-3_600_000) }), self('galph'), NOW)).toMatchObject({ kind: 'run', resume: true });
  });

  it('an expired lease with a holder names where it ran', () => {
    const holder = { host: 'h2', pid: 42, token: 't', since: at(-60_000) };
    const got = decideTurn(state({ status: 'running-ralph', expected_actor: 'ralph', lease_expires_at: at(-1), holder }), self('galph'), NOW);
    expect(got.kind === 'wait' && got.expiredLease).toContain(
      `Restart \`ralph loop\` on ralph's machine (it ran as pid 42 on host h2, since ${at(-60_000)}) with the same flags`,
    );
  });
});

describe('markRunning and renewLease', () => {
  it.each<[Actor, SyncState]>([
    ['galph', state({ status: 'complete', expected_actor: 'galph' })],
    ['galph', state({ status: 'failed', expected_actor: 'galph', lease_expires_at: at(-1) })],
    ['ralph', state({ status: 'waiting-ralph', expected_actor: 'ralph', galph_commit: 'abc1234' })],
    ['ralph', state({ status: 'running-ralph', expected_actor: 'ralph', lease_expires_at: at(-10) })],
  ])('%s marks a state running with a lease from now', (me, before) => {
    const copy = structuredClone(before);
    const running = markRunning(before, self(me), NOW, 90_000);
    expect(running).toEqual({
      ...before,
      status: `running-${me}`,
      expected_actor: me,
      last_update: NOW.toISOString(),
      lease_expires_at: at(90_000),
      holder: { host: 'h1', pid: 100, token: `token-${me}`, since: NOW.toISOString() },
    });
    expect(before).toEqual(copy); // pure
  });

  it('renewLease moves only the lease (the holder stays)', () => {
    const running = markRunning(state({ status: 'waiting-ralph', expected_actor: 'ralph' }), self('ralph'), NOW, 1000);
    const copy = structuredClone(running);
    const later = new Date(NOW.getTime() + 30_000);
    expect(renewLease(running, later, 5000)).toEqual({ ...running, lease_expires_at: at(35_000) });
    expect(running).toEqual(copy);
  });
});

describe('stampHandoff', () => {
  const running = (me: Actor) =>
    markRunning(state({ iteration: 4, galph_commit: 'g0', ralph_commit: 'r0' }), self(me), new Date(NOW.getTime() - 60_000), 300_000);
  it.each<[Actor, boolean, Partial<SyncState>]>([
    ['galph', true, { expected_actor: 'ralph', status: 'waiting-ralph', iteration: 4, galph_commit: 'abc1234', ralph_commit: 'r0' }],
    ['ralph', true, { expected_actor: 'galph', status: 'complete', iteration: 5, galph_commit: 'g0', ralph_commit: 'abc1234' }],
    ['galph', false, { expected_actor: 'galph', status: 'failed', iteration: 4, galph_commit: 'abc1234', ralph_commit: 'r0' }],
    ['ralph', false, { expected_actor: 'ralph', status: 'failed', iteration: 4, galph_commit: 'g0', ralph_commit: 'abc1234' }],
  ])('%s ok=%s', (me, ok, expected) => {
    const before = running(me);
    const copy = structuredClone(before);
    const stamped = stampHandoff(before, me, ok, 'abc1234', NOW);
    expect(stamped).toEqual({ ...expected, last_update: NOW.toISOString(), lease_expires_at: NOW.toISOString(), holder: null });
    expect(before).toEqual(copy);
  });

  it('a failure keeps the expected actor even when the file said otherwise', () => {
    expect(stampHandoff(state({ expected_actor: 'galph', status: 'running-ralph' }), 'ralph', false, 'x', NOW)).toMatchObject({
      expected_actor: 'ralph',
      status: 'failed',
      iteration: 3,
    });
  });

  it('a full round from the initial state', () => {
    let s = initialState('galph', NOW);
    s = stampHandoff(markRunning(s, self('galph'), NOW, 1000), 'galph', true, 'g1', NOW);
    expect(s).toMatchObject({ iteration: 1, expected_actor: 'ralph', status: 'waiting-ralph' });
    s = stampHandoff(markRunning(s, self('ralph'), NOW, 1000), 'ralph', true, 'r1', NOW);
    expect(s).toMatchObject({ iteration: 2, expected_actor: 'galph', status: 'complete', galph_commit: 'g1', ralph_commit: 'r1' });
    expect(s.holder).toBe(null);
    expect(decideTurn(s, self('galph'), NOW)).toEqual({ kind: 'run', resume: false });
    expect(decideTurn(s, self('ralph'), NOW).kind).toBe('wait');
  });
});

describe('handoffSubject and runningSubject', () => {
  const base = state({ iteration: 1, status: 'running-galph' });
  it.each<[string, Actor, boolean, string, string]>([
    ['galph ok', 'galph', true, 'abc1234', '[SYNC i=1] actor=galph → next=ralph status=ok abc1234'],
    ['ralph ok (the iteration moves on)', 'ralph', true, 'def5678', '[SYNC i=2] actor=ralph → next=galph status=ok def5678'],
    ['galph fail', 'galph', false, 'abc1234', '[SYNC i=1] actor=galph → next=galph status=fail abc1234'],
    ['ralph fail', 'ralph', false, 'def5678', '[SYNC i=1] actor=ralph → next=ralph status=fail def5678'],
    ['no work commit: no trailing space', 'galph', true, '', '[SYNC i=1] actor=galph → next=ralph status=ok'],
  ])('%s', (_what, me, ok, commit, expected) => {
    const stamped = stampHandoff(base, me, ok, commit, NOW);
    expect(handoffSubject(stamped, me, ok, commit)).toBe(expected);
  });

  it('runningSubject names the lease', () => {
    const running = markRunning(state({ iteration: 12 }), self('ralph'), NOW, 60_000);
    expect(runningSubject(running, 'ralph')).toBe(`[SYNC i=12] actor=ralph status=running lease=${at(60_000)}`);
  });
});

describe('isHandoffSubject', () => {
  it.each<[string, boolean]>([
    ['[SYNC i=1] actor=galph → next=ralph status=ok abc1234', true],
    ['[SYNC i=2] actor=ralph → next=galph status=ok def5678', true],
    ['[SYNC i=10] actor=ralph → next=ralph status=fail def5678', true],
    ['[SYNC i=3] actor=ralph status=running lease=2026-03-01T12:00:00.000Z', true],
    ['[SYNC i=1] actor=galph → next=ralph status=ok', true],
    ['ralph: step 1', false],
    ['ralph galph: auto-commit docs (pre-pull)', false],
    ['Merge branch main', false],
    ['[SYNC i=x] actor=galph → next=ralph status=ok', false],
    ['[SYNC i=1] actor=bob → next=ralph status=ok', false],
    ['[SYNC i=1] actor=galph next=ralph status=ok', false],
    [' [SYNC i=1] actor=galph → next=ralph status=ok', false],
    ['fixup! [SYNC i=1] actor=galph → next=ralph status=ok', false],
    ['', false],
  ])('%j → %s', (subject, expected) => {
    expect(isHandoffSubject(subject)).toBe(expected);
  });

  it.each<[Actor, boolean]>([
    ['galph', true],
    ['galph', false],
    ['ralph', true],
    ['ralph', false],
  ])('recognises every subject handoffSubject makes (%s ok=%s)', (me, ok) => {
    const stamped = stampHandoff(state(), me, ok, 'abc', NOW);
    expect(isHandoffSubject(handoffSubject(stamped, me, ok, 'abc'))).toBe(true);
    expect(isHandoffSubject(runningSubject(markRunning(state(), self(me), NOW, 1), me))).toBe(true);
  });
});

describe('notMyTurn', () => {
  it.each<[string, Partial<SyncState>, Actor, string | undefined]>([
    ['my turn, idle', {}, 'galph', undefined],
    ['my failed turn', { status: 'failed' }, 'galph', undefined],
    ['my own running turn', { status: 'running-galph' }, 'galph', undefined],
    [
      "the other actor's turn",
      { expected_actor: 'ralph', status: 'waiting-ralph' },
      'galph',
      "it was ralph's turn (iteration 3, status waiting-ralph), not galph's",
    ],
    [
      "the other actor's running turn",
      { expected_actor: 'ralph', status: 'running-ralph' },
      'galph',
      "it was ralph's turn (iteration 3, status running-ralph), not galph's",
    ],
    ["ralph stamping galph's turn", {}, 'ralph', "it was galph's turn (iteration 3, status idle), not ralph's"],
  ])('%s', (_what, over, me, expected) => {
    expect(notMyTurn(state(over), me)).toBe(expected);
  });
});
