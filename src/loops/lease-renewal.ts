import { RalphError, errorMessage } from '../errors.js';
import { GitError } from '../git/git.js';
import type { Git } from '../git/git.js';
import { myRunningTurn, remoteState } from './state-commit.js';
import { STATE_PATH, formatSyncState, renewLease, runningSubject } from './sync-state.js';
import type { Self, SyncState } from './sync-state.js';

/** My running turn is no longer mine on the remote (a takeover, a manual stamp, the other side). */
export class TurnLostError extends RalphError {
  constructor(why: string) {
    super('RALPH_STATE_MOVED', why, { exitCode: 1 });
  }
}

interface RenewalCtx {
  git: Git;
  branch: string;
  self: Self;
  leaseMs: number;
  verbose: boolean;
}

/**
 * Renews my running turn's lease every third of its length while the agent works, so the other
 * side can tell a long turn from a dead one. A renewal that finds the turn no longer mine (another
 * holder took it over after the lease lapsed, or someone stamped it) stops renewing and fires
 * `lost`, so that the agent is stopped rather than working on for a turn it cannot hand off.
 */
export class LeaseRenewal {
  private readonly timer: NodeJS.Timeout;
  private chain: Promise<void> = Promise.resolve();
  private readonly lostController = new AbortController();
  /** Why the turn is no longer mine, once a renewal found out. */
  lostWhy: string | undefined;

  constructor(
    private readonly ctx: RenewalCtx,
    private state: SyncState,
    private readonly say: (line: string) => void,
  ) {
    this.timer = setInterval(() => this.renew(), Math.floor(ctx.leaseMs / 3));
  }

  get lost(): AbortSignal {
    return this.lostController.signal;
  }

  /** Stops renewing, after the renewal under way (if any). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.chain;
  }

  private renew(): void {
    this.chain = this.chain.then(async () => {
      if (this.lostWhy !== undefined) return;
      this.state = renewLease(this.state, new Date(), this.ctx.leaseMs);
      const me = `ralph ${this.ctx.self.actor}`;
      try {
        await renewRemoteLease(this.ctx, this.state);
        if (this.ctx.verbose) this.say(`${me}: lease renewed until ${this.state.lease_expires_at}`);
      } catch (error) {
        if (!(error instanceof TurnLostError)) return this.say(`${me}: could not renew the lease: ${errorMessage(error)}`);
        this.lostWhy = error.message;
        clearInterval(this.timer);
        this.say(`${me}: my turn is no longer mine: ${error.message}; stopping the agent`);
        this.lostController.abort();
      }
    });
  }
}

/**
 * One renewal: a commit of sync/state.json on top of the remote branch, built in a temporary index
 * and pushed without moving HEAD, so the agent's own git commands never meet a lock of ours. The
 * turn's commits are rebased onto it at the handoff.
 */
async function renewRemoteLease(ctx: RenewalCtx, state: SyncState): Promise<void> {
  const { git } = ctx;
  await git.exclusive('lease', async () => {
    for (let attempt = 1; attempt <= 3; attempt++) {
      await git.fetch(ctx.branch);
      const remote = remoteState(git, ctx.branch);
      const veto = remote && myRunningTurn(ctx.self, state.iteration)(remote);
      if (veto) throw new TurnLostError(veto);
      if (await git.pushFileChange(ctx.branch, STATE_PATH, formatSyncState(state), runningSubject(state, ctx.self.actor))) return;
    }
    throw new GitError(`the remote branch ${ctx.branch} kept moving; the lease was not renewed this time`);
  });
}

/** A signal that fires when either does, and `dispose` to drop its listener from `a` (AbortSignal.any needs Node 20.3). */
export function eitherSignal(a: AbortSignal | undefined, b: AbortSignal): { signal: AbortSignal; dispose: () => void } {
  if (!a) return { signal: b, dispose: () => undefined };
  const both = new AbortController();
  const fire = () => both.abort();
  if (a.aborted || b.aborted) fire();
  a.addEventListener('abort', fire, { once: true });
  b.addEventListener('abort', fire, { once: true });
  return { signal: both.signal, dispose: () => a.removeEventListener('abort', fire) };
}
