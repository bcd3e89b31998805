import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runGit } from '../git/run.js';
import { describeHolder, leaseLapsed } from './turn-holder.js';
import { STATE_PATH, parseSyncState } from './sync-state.js';
import type { SyncState } from './sync-state.js';

/** The loops' state as `status` and `doctor` see it in a repository: `sync/state.json` and the branch. */
export interface LoopsView {
  path: string;
  /** The branch checked out (absent: detached, or not a git repository). */
  branch?: string;
  state?: SyncState;
  /** Why sync/state.json cannot be read as a sync state. */
  problem?: string;
}

/** The loops' view of `cwd`, or undefined when it has no sync/state.json (no loops here). */
export function readLoopsView(cwd: string): LoopsView | undefined {
  let text: string;
  try {
    text = readFileSync(join(cwd, STATE_PATH), 'utf8');
  } catch {
    return undefined;
  }
  const view: LoopsView = { path: STATE_PATH };
  let head: string | undefined;
  try {
    const r = runGit(cwd, ['symbolic-ref', '--quiet', '--short', 'HEAD']);
    if (r.code === 0) head = r.stdout.trim();
  } catch {
    /* no git: no branch to name */
  }
  if (head) view.branch = head;
  const parsed = parseSyncState(text);
  if ('problem' in parsed) view.problem = parsed.problem;
  else view.state = parsed;
  return view;
}

/** The loops' view as `status --json` and the dashboard give it: with whether a running turn's lease has lapsed. */
export type LoopsJson = LoopsView & { lease_expired: boolean };

export function loopsJson(view: LoopsView, now: Date): LoopsJson {
  return { ...view, lease_expired: view.state?.status.startsWith('running-') === true && leaseLapsed(view.state, now) };
}

/** "iteration 3, ralph's turn (running-ralph)". Pure. */
export function describeTurn(state: SyncState): string {
  return `iteration ${state.iteration}, ${state.expected_actor}'s turn (${state.status})`;
}

/** The lines `ralph status` prints about the loops. Pure. */
export function loopsStatusLines(view: LoopsView, now: Date): string[] {
  const where = `${view.path}${view.branch ? ` on ${view.branch}` : ''}`;
  if (!view.state) return [`Loops (${where}): not a valid sync state (${view.problem ?? 'unreadable'}); \`ralph stamp-handoff --repair\` restores it`];
  const s = view.state;
  const lines = [`Loops (${where}): ${describeTurn(s)}, last update ${s.last_update ?? 'unknown'}`];
  if (s.holder) lines.push(`  running: ${describeHolder(s.holder)}`);
  if (s.status.startsWith('running-') && s.lease_expires_at) {
    lines.push(
      `  lease: ${leaseLapsed(s, now) ? `expired at ${s.lease_expires_at}: the turn's actor stopped renewing it (crashed, killed or disconnected)` : `until ${s.lease_expires_at}`}`,
    );
  }
  return lines;
}
