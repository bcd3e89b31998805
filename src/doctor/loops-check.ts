import type { LoopsView } from '../loops/view.js';
import { describeTurn } from '../loops/view.js';
import { leaseLapsed } from '../loops/turn-holder.js';
import { REPAIR_ADVICE } from '../loops/sync-state.js';
import type { Check } from './check.js';

/** What doctor says about the loops' sync/state.json. Pure. */
export function judgeLoops(view: LoopsView, now: Date): Check {
  const s = view.state;
  if (!s)
    return { level: 'error', check: 'loops', found: `${view.path} is not a valid sync state (${view.problem ?? 'unreadable'})`, fix: `${REPAIR_ADVICE}.` };
  const running = s.status.startsWith('running-');
  if (running && leaseLapsed(s, now)) {
    const actor = s.expected_actor;
    return {
      level: 'warn',
      check: 'loops',
      found: `${actor}'s turn (iteration ${s.iteration}) started at ${s.last_update ?? 'an unknown time'}${s.holder ? ` on host ${s.holder.host} (pid ${s.holder.pid})` : ''}, and its lease expired at ${s.lease_expires_at}`,
      fix: `Restart ${actor === 'galph' ? '`ralph supervisor`' : '`ralph loop`'} on ${actor}'s machine with the same flags (it resumes the turn), or give the turn up with \`ralph stamp-handoff ${actor} fail\`.`,
    };
  }
  const lease = running && s.lease_expires_at ? `; lease until ${s.lease_expires_at}` : '';
  return { level: 'ok', check: 'loops', found: `${view.path} is valid: ${describeTurn(s)}${view.branch ? ` on ${view.branch}` : ''}${lease}` };
}
