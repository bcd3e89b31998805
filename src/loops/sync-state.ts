import { z } from 'zod';

/** The supervisor ("galph") and the engineer ("ralph"). */
export type Actor = 'galph' | 'ralph';
export const ACTORS: readonly Actor[] = ['galph', 'ralph'];
export const other = (actor: Actor): Actor => (actor === 'galph' ? 'ralph' : 'galph');

/** Who runs a turn: written when the turn starts, kept by its lease renewals, cleared by its handoff. */
export interface Holder {
  host: string;
  pid: number;
  token: string;
  since: string;
}

/** An actor that may take a turn: its role, and the process that would hold it. */
export interface Claimant {
  actor: Actor;
  host: string;
  pid: number;
  token: string;
}

/** The actor deciding, with how it tells whether a pid of its own host is alive (the one answer from the world). */
export interface Self extends Claimant {
  isAlive: (pid: number) => boolean;
}

export type SyncStatus = 'idle' | 'running-galph' | 'waiting-ralph' | 'running-ralph' | 'complete' | 'failed';

const stateSchema = z
  .object({
    iteration: z.number().int().min(0),
    expected_actor: z.enum(['galph', 'ralph']),
    status: z.enum(['idle', 'running-galph', 'waiting-ralph', 'running-ralph', 'complete', 'failed']),
    last_update: z.string().nullable().optional(),
    lease_expires_at: z.string().nullable().optional(),
    galph_commit: z.string().nullable().optional(),
    ralph_commit: z.string().nullable().optional(),
    holder: z
      .object({
        host: z.string().min(1),
        pid: z.number().int().positive(),
        token: z.string().min(1),
        since: z.string(),
      })
      .nullable()
      .optional(),
    workflow_name: z.string().optional(),
    step_index: z.number().int().min(0).optional(),
    expected_step: z.string().optional(),
    last_prompt: z.string().optional(),
  })
  .passthrough();

/** `sync/state.json`: whose turn it is, committed and pushed between the two machines. */
export interface SyncState {
  iteration: number;
  expected_actor: Actor;
  status: SyncStatus;
  last_update: string | null;
  lease_expires_at: string | null;
  galph_commit: string | null;
  ralph_commit: string | null;
  /** Who runs the `running-<actor>` turn; null in every other status (and in files of older versions). */
  holder: Holder | null;
  /** With `--workflow`: its name, the next step's place in it and its prompt, and the prompt of the step before (workflow.ts). */
  workflow_name?: string;
  step_index?: number;
  expected_step?: string;
  last_prompt?: string;
}

export const STATE_PATH = 'sync/state.json';

/** The advice every refusal of a corrupt state gives: a command that repairs it (`repairState`). */
export const REPAIR_ADVICE =
  "Run `ralph stamp-handoff --repair`: it keeps the bad file in .git/, restores the last valid version from the branch's history, commits and pushes it";

/** Parses the state file's text, or says what is wrong with it. Pure. */
export function parseSyncState(text: string): SyncState | { problem: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { problem: `not JSON (${(error as Error).message})` };
  }
  const parsed = stateSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { problem: `${issue.path.join('.') || 'the file'}: ${issue.message}` };
  }
  const s = parsed.data;
  return {
    iteration: s.iteration,
    expected_actor: s.expected_actor,
    status: s.status,
    last_update: s.last_update ?? null,
    lease_expires_at: s.lease_expires_at ?? null,
    galph_commit: s.galph_commit ?? null,
    ralph_commit: s.ralph_commit ?? null,
    holder: s.holder ?? null,
    ...(s.workflow_name === undefined ? {} : { workflow_name: s.workflow_name }),
    ...(s.step_index === undefined ? {} : { step_index: s.step_index }),
    ...(s.expected_step === undefined ? {} : { expected_step: s.expected_step }),
    ...(s.last_prompt === undefined ? {} : { last_prompt: s.last_prompt }),
  };
}

export function formatSyncState(state: SyncState): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}

export function initialState(start: Actor, now: Date): SyncState {
  return {
    iteration: 1,
    expected_actor: start,
    status: 'idle',
    last_update: now.toISOString(),
    lease_expires_at: null,
    galph_commit: null,
    ralph_commit: null,
    holder: null,
  };
}

/** The state while `who` runs its turn, naming it as the holder, with a lease other machines can check. Pure. */
export function markRunning(state: SyncState, who: Claimant, now: Date, leaseMs: number): SyncState {
  const me = who.actor;
  return {
    ...state,
    status: `running-${me}`,
    expected_actor: me,
    last_update: now.toISOString(),
    lease_expires_at: new Date(now.getTime() + leaseMs).toISOString(),
    holder: { host: who.host, pid: who.pid, token: who.token, since: now.toISOString() },
  };
}

export function renewLease(state: SyncState, now: Date, leaseMs: number): SyncState {
  return { ...state, lease_expires_at: new Date(now.getTime() + leaseMs).toISOString() };
}

/**
 * The state after `me` finished its turn: galph hands over at the same iteration; ralph's success
 * hands back and increments the iteration; a failure stays with its actor, no increment. Pure.
 */
export function stampHandoff(state: SyncState, me: Actor, ok: boolean, commit: string, now: Date): SyncState {
  // The turn's lease and its holder end with the handoff.
  const base = { ...state, last_update: now.toISOString(), lease_expires_at: now.toISOString(), holder: null, [`${me}_commit`]: commit } as SyncState;
  if (!ok) return { ...base, expected_actor: me, status: 'failed' };
  if (me === 'galph') return { ...base, expected_actor: 'ralph', status: 'waiting-ralph' };
  return { ...base, expected_actor: 'galph', status: 'complete', iteration: state.iteration + 1 };
}

/**
 * Why stamping `me`'s handoff on `state` hands over a turn that is not `me`'s (the other actor's turn,
 * or its running turn), or undefined when it is mine. Pure.
 */
export function notMyTurn(state: SyncState, me: Actor): string | undefined {
  if (state.expected_actor === me && state.status !== `running-${other(me)}`) return undefined;
  return `it was ${state.expected_actor}'s turn (iteration ${state.iteration}, status ${state.status}), not ${me}'s`;
}

/** `[SYNC i=<iteration>] actor=<who> → next=<who> status=<ok|fail> <sha>` of the stamped state. */
export function handoffSubject(stamped: SyncState, me: Actor, ok: boolean, workCommit: string): string {
  return `[SYNC i=${stamped.iteration}] actor=${me} → next=${stamped.expected_actor} status=${ok ? 'ok' : 'fail'} ${workCommit}`.trimEnd();
}

export function runningSubject(state: SyncState, me: Actor): string {
  return `[SYNC i=${state.iteration}] actor=${me} status=running lease=${state.lease_expires_at}`;
}

/** Is `subject` a handoff commit (for recovery after a crash between commit and push)? */
export function isHandoffSubject(subject: string): boolean {
  return /^\[SYNC i=\d+\] actor=(galph|ralph) (→ next=|status=running)/.test(subject);
}
