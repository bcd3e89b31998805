/** Whose turn it is, and whether the process holding a running turn still does. Pure. */
import { other } from './sync-state.js';
import type { Actor, Holder, Self, SyncState } from './sync-state.js';

/** "pid 4242 on host build-1, since 2026-…" (with "(this host)" when it is `host`). */
export function describeHolder(holder: Holder, host?: string): string {
  return `pid ${holder.pid} on host ${holder.host}${holder.host === host ? ' (this host)' : ''}, since ${holder.since}`;
}

/** Has the state's lease run out by `now`? (No lease: it has not.) */
export function leaseLapsed(state: SyncState, now: Date): boolean {
  return state.lease_expires_at !== null && Date.parse(state.lease_expires_at) < now.getTime();
}

const command = (actor: Actor) => (actor === 'galph' ? '`ralph supervisor`' : '`ralph loop`');
const pair = (actor: Actor) => (actor === 'galph' ? 'Two supervisors' : 'Two engineers');

/**
 * A `running-<me>` turn seen by `self`. One process holds a turn: a state without a holder (written
 * by an older Ralph) or with my token is mine; on my host, a holder whose pid is gone (or is my own
 * pid, reused after a restart) was an earlier run of mine; on another host, a holder whose lease has
 * lapsed is taken over (its later writes are refused: the token no longer matches). A live holder is
 * never taken over from on one host, whatever its lease says: it may be paused, and would wake up to
 * run a second agent on the same turn. Pure.
 */
export function judgeHolder(state: SyncState, self: Self, now: Date): TurnDecision {
  const me = self.actor;
  const holder = state.holder;
  const resume = (how: string): TurnDecision => ({
    kind: 'run',
    resume: true,
    note: `resuming my own turn of iteration ${state.iteration} (status ${state.status} ${how})`,
  });
  if (holder === null) return resume('from an earlier run that stopped');
  if (holder.token === self.token) return resume('held by this process');
  const turn = `${me}'s turn (iteration ${state.iteration}) is held by another ${command(me)}: ${describeHolder(holder, self.host)}`;
  const twice = `${pair(me)} on one branch would run two agents on one turn, so this one does not start.`;
  if (holder.host === self.host) {
    if (holder.pid === self.pid || !self.isAlive(holder.pid)) return resume(`from an earlier run, pid ${holder.pid}, that stopped`);
    return {
      kind: 'held',
      why:
        `${turn}. ${twice} Wait for it to hand off, or stop it (kill ${holder.pid}) and rerun: its turn is resumed. ` +
        `If pid ${holder.pid} is no Ralph (a reboot reused it), give the turn up with \`ralph stamp-handoff ${me} fail\` and rerun.`,
    };
  }
  const lease = state.lease_expires_at;
  if (leaseLapsed(state, now)) {
    return {
      kind: 'run',
      resume: true,
      note: `taking over ${me}'s turn of iteration ${state.iteration} from pid ${holder.pid} on host ${holder.host}, whose lease expired at ${lease}`,
    };
  }
  return {
    kind: 'held',
    why:
      `${turn}; its lease runs until ${lease ?? 'an unknown time'}. ${twice} Wait for it to hand off, or stop it on ${holder.host}; ` +
      `a turn whose lease has lapsed is taken over, so rerun after ${lease ?? 'its lease'}. To give the turn up now: \`ralph stamp-handoff ${me} fail\`.`,
  };
}

/** What an actor should do on seeing a state. */
export type TurnDecision =
  | { kind: 'run'; resume: boolean; note?: string }
  | { kind: 'wait'; why: string; expiredLease?: string }
  | { kind: 'held'; why: string };

/**
 * Whose turn is it? Mine when the state expects me and is not another actor's running turn. A state
 * saying `running-<me>` is resumed only by its holder, by a restart of it on its host once its pid is
 * gone, or by anyone once its lease has lapsed on another host; a live holder is `held` (refuse). A
 * waiting actor is told plainly when the other side's lease has expired. Pure (`self.isAlive` answers).
 */
export function decideTurn(state: SyncState, self: Self, now: Date): TurnDecision {
  const me = self.actor;
  const them = other(me);
  if (state.status === `running-${me}`) return judgeHolder(state, self, now);
  if (state.expected_actor === me && state.status !== `running-${them}`) {
    // Ralph's failed turn is retried by a restarted ralph; galph's likewise.
    return { kind: 'run', resume: false };
  }
  const why = `waiting for ${them} (iteration ${state.iteration}, status ${state.status}, since ${state.last_update ?? 'unknown'})`;
  if (state.status === `running-${them}` && leaseLapsed(state, now)) {
    const where = state.holder ? ` (it ran as ${describeHolder(state.holder)})` : '';
    return {
      kind: 'wait',
      why,
      expiredLease:
        `${them}'s turn (iteration ${state.iteration}) started at ${state.last_update ?? 'an unknown time'} and its lease expired at ${state.lease_expires_at}: ` +
        `${them} stopped renewing it (crashed, killed or disconnected). Restart ${them === 'galph' ? '`ralph supervisor`' : '`ralph loop`'} on ${them}'s machine${where} ` +
        `with the same flags; it resumes its turn. To give up that turn instead: \`ralph stamp-handoff ${them} fail\`.`,
    };
  }
  return { kind: 'wait', why };
}
