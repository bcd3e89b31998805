import type { Command } from 'commander';
import { RalphError } from '../../errors.js';
import { describeOwner } from '../../store/lock.js';
import { openStore } from '../../store/open.js';
import { checkStateDir } from '../../store/state-dir.js';
import { print } from '../output.js';
import { dirOption } from './common.js';

export function registerUnlock(program: Command): void {
  const command = program
    .command('unlock')
    .description('explain and remove a stale <dir>/.lock (a live lock only with --force)')
    .option('--force', 'remove the lock even though its holder looks alive');
  dirOption(command);
  command.action(async (flags: { dir: string; force?: boolean }) => {
    checkStateDir(flags.dir);
    const store = openStore(flags.dir);
    const { lock } = store;
    const seen = lock.inspect();
    if (seen.state === 'free') {
      print(`${lock.path}: no lock; nothing to do.`);
      return;
    }
    if (seen.state === 'held' && !flags.force) {
      throw new RalphError(
        'RALPH_LOCK_LIVE',
        `${lock.path} is held by ${describeOwner(seen.owner)}, which is alive; not removed. Stop that process first, or use --force if you are sure it is stuck.`,
        { exitCode: 1 },
      );
    }
    // Taken over, not just deleted: the holder's writes are fenced, should it still be running.
    if (!(await store.breakLock(seen))) {
      print(`${lock.path} changed hands while looking at it (a worker took it over); left as it is. Run \`ralph status\` to see who holds it.`);
      return;
    }
    store.close();
    if (seen.state === 'stale') print(`Removed stale lock ${lock.path}: ${seen.why}.`);
    else print(`Removed live lock ${lock.path} held by ${describeOwner(seen.owner)} (--force); should it still be running, it can no longer write the queue.`);
  });
}
