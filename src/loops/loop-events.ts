import type { Actor, SyncState } from './sync-state.js';
import type { RalphEvent } from '../events/run-events.js';

/** A loop's turn is over (`ok`: it succeeded; in sync mode, handed off to `next`). Pure. */
export function turnFinishedEvent(
  turn: { actor: Actor; iteration: number; branch: string; dir: string; mode: 'sync' | 'async'; ok: boolean; commit: string; next?: Actor },
  now: Date,
): RalphEvent {
  return { event: 'turn-finished', time: now.toISOString(), ...turn };
}

/** The other actor's turn lease ran out while `actor` waited for it. Pure. */
export function leaseExpiredEvent(actor: Actor, state: SyncState, where: { branch: string; dir: string }, detail: string, now: Date): RalphEvent {
  return {
    event: 'lease-expired',
    time: now.toISOString(),
    actor,
    holder: state.expected_actor,
    iteration: state.iteration,
    status: state.status,
    lease_expires_at: state.lease_expires_at,
    ...where,
    detail,
  };
}
