import { describe, expect, it } from 'vitest';
import { judgeOwner } from '../../src/store/lock-owner.js';
import type { LockOwner } from '../../src/store/lock-owner.js';

const NOW = Date.parse('2026-12-07T12:00:00Z');
const at = (secondsAgo: number) => new Date(NOW - secondsAgo * 1000).toISOString();
const me = { host: 'here', boot: 'b1', pidns: 'pid:[1]' };
const owner = (o: Partial<LockOwner>): LockOwner => ({
  pid: 42,
  host: 'here',
  boot: 'b1',
  pidns: 'pid:[1]',
  start: '7',
  token: 't',
  acquired_at: at(3600),
  refreshed_at: at(3600),
  lease_ms: 30_000,
  ...o,
});

describe('judgeOwner', () => {
  // [what, owner, alive(pid, start), expected state, words in why]
  const cases: Array<[string, Partial<LockOwner>, boolean, 'held' | 'stale', string?]> = [
    ['a live owner here, silent for an hour', {}, true, 'held'],
    ['a dead owner here, within its lease', { refreshed_at: at(1) }, false, 'stale', 'is not running'],
    [
      'another boot (this machine before a restart, or a clone with its name), past its lease',
      { boot: 'b0' },
      true,
      'stale',
      'another machine or an earlier boot',
    ],
    ['another boot, within its lease: its pid cannot be looked at here', { boot: 'b0', refreshed_at: at(5) }, false, 'held'],
    ['an older record without boot or pid namespace, alive', { boot: undefined, pidns: undefined }, true, 'held'],
    ['another host within its lease', { host: 'there', refreshed_at: at(10) }, false, 'held'],
    ['another host past its lease', { host: 'there', refreshed_at: at(31) }, true, 'stale', 'has not refreshed it for 31s'],
    ['this host name in another pid namespace, past its lease', { pidns: 'pid:[2]', refreshed_at: at(31) }, true, 'stale', 'another machine'],
    ['this host name in another pid namespace, within its lease', { pidns: 'pid:[2]', refreshed_at: at(5) }, false, 'held'],
  ];
  it.each(cases)('%s', (_what, fields, alive, state, why) => {
    const seen = judgeOwner(owner(fields), NOW, { me, alive: () => alive });
    expect(seen.state).toBe(state);
    if (why) expect(seen.state === 'stale' && seen.why).toContain(why);
  });

  it("asks about the owner's pid and start time", () => {
    const asked: Array<[number, string | undefined]> = [];
    judgeOwner(owner({ pid: 9, start: '123' }), NOW, {
      me,
      alive: (pid, start) => {
        asked.push([pid, start]);
        return true;
      },
    });
    expect(asked).toEqual([[9, '123']]);
  });
});
