import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RalphError } from '../errors.js';
import { isAlive } from '../process/alive.js';
import { killTargets, processesWithToken } from '../process/by-token.js';
import type { LoopContext } from './options.js';

/** Where a running agent is recorded, so that a restarted loop can stop one its crashed predecessor left. */
export function agentRecord(ctx: Pick<LoopContext, 'git' | 'actor'>): string {
  return join(ctx.git.gitDir, `ralph-${ctx.actor}-agent.json`);
}

/**
 * A loop killed mid-turn leaves its agent running in its own process group. Before the turn is
 * resumed, that agent is killed (found by the token in its environment), so that two agents never
 * work on one turn.
 */
export function killLeftoverAgent(ctx: Pick<LoopContext, 'git' | 'actor' | 'print'>): void {
  let record: { pid: number; token: string; iteration: number; started_at?: string };
  try {
    record = JSON.parse(readFileSync(agentRecord(ctx), 'utf8'));
  } catch {
    return;
  }
  if (record.pid !== process.pid && isAlive(record.pid)) {
    throw new RalphError(
      'RALPH_LOOP_RUNNING',
      `another \`ralph ${ctx.actor === 'galph' ? 'supervisor' : 'loop'}\` (pid ${record.pid}, iteration ${record.iteration}, since ${record.started_at ?? 'an unknown time'}) is running its agent in this clone; wait for it to hand off, or stop it (kill ${record.pid}) and rerun. (If pid ${record.pid} is something else now, after a reboot, delete ${agentRecord(ctx)}.)`,
    );
  }
  killTargets(processesWithToken(record.token), (target) =>
    ctx.print(
      `ralph ${ctx.actor}: killed the agent left running by a crashed earlier run (iteration ${record.iteration}, ${target < 0 ? `process group ${-target}` : `pid ${target}`})`,
    ),
  );
  rmSync(agentRecord(ctx), { force: true });
}
