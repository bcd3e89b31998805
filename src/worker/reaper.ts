import { HOST, isAlive } from '../store/process.js';
import type { StatePaths } from '../store/paths.js';
import type { Logger } from './log.js';
import { readSession } from './session.js';

/**
 * When a worker of this host died mid-task, its agent (in its own process group) may still run.
 * Kill that group before the task is run again, so that two agents never work on one task here.
 */
export function killReaped(paths: StatePaths, workerId: number, log?: Logger): void {
  let session;
  try {
    session = readSession(paths, workerId);
  } catch {
    return;
  }
  if (!session || session.host !== HOST || session.agent_pgid === null || isAlive(session.pid)) return;
  try {
    process.kill(-session.agent_pgid, 'SIGKILL');
    log?.info(`killed the orphaned agent process group ${session.agent_pgid} of dead worker ${workerId}`);
  } catch { /* already gone */ }
}
