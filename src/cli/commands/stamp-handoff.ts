import { Argument } from 'commander';
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import type { Actor } from '../../loops/sync-state.js';
import { note, print } from '../output.js';
import { handoffByHand, openClone, refuseDirty } from '../../loops/handoff.js';
import { STATE_PATH } from '../../loops/sync-state.js';
import { repairState } from '../../loops/state-repair.js';

interface Flags {
  branch?: string;
  pull: boolean;
  push: boolean;
  allowDirty?: boolean;
  json?: boolean;
  repair?: boolean;
}

export function registerStampHandoff(program: Command): void {
  program
    .command('stamp-handoff')
    .description('flip sync/state.json to the next actor and publish it, exactly as the loops do, without running an agent')
    .addArgument(new Argument('[actor]', 'who hands off').choices(['galph', 'ralph']))
    .addArgument(new Argument('[result]', "ok hands the turn over (ralph's ok also increments the iteration); fail keeps it").choices(['ok', 'fail']))
    .option(
      '--repair',
      "instead of stamping: keep a corrupt sync/state.json in .git/ and restore its last valid version from the branch's history (committed and pushed)",
    )
    .option('--branch <name>', 'the branch (default: $ORCHESTRATION_BRANCH or the current one); abort if another is checked out')
    .option('--no-pull', 'do not fetch and rebase first')
    .option('--no-push', 'commit locally only')
    .option('--allow-dirty', 'stamp although tracked files have uncommitted changes (not recommended)')
    .option('--json', 'print the new state as JSON')
    .addHelpText(
      'after',
      `
Example:
  $ ralph stamp-handoff galph ok --branch feature/x     # the supervisor's turn is done: ralph's turn
  $ ralph stamp-handoff ralph fail --no-push            # mark the engineer's turn failed, locally
  $ ralph stamp-handoff --repair                        # a corrupt sync/state.json: back to its last valid version`,
    )
    .action(async (actor: Actor | undefined, result: 'ok' | 'fail' | undefined, flags: Flags) => {
      if (flags.repair ? actor !== undefined : actor === undefined || result === undefined) {
        throw new InputError('stamp-handoff needs <actor> and <result> (`ralph stamp-handoff galph ok`), or --repair alone.');
      }
      const cwd = process.cwd();
      const { git, branch } = openClone(cwd, flags.branch ?? process.env.ORCHESTRATION_BRANCH, (line) => print(`ralph: ${line}`));
      // Refused before anything is done, like a wrong branch: exit 2. (--repair keeps a bad local sync/state.json aside itself.)
      if (!flags.allowDirty) refuseDirty(git, flags.repair ? STATE_PATH : undefined);
      if (flags.repair) {
        const repaired = await repairState({ git, branch, cwd, pull: flags.pull, push: flags.push });
        if (flags.json) return print(JSON.stringify(repaired, null, 2));
        for (const path of repaired.kept) print(`the bad ${STATE_PATH} is kept in ${path}`);
        if (!repaired.restored) return print(`${STATE_PATH} is valid as committed on ${branch}; nothing to commit`);
        print(repaired.restored.subject);
        print(flags.push ? `pushed to origin/${branch}` : 'committed locally (--no-push)');
        return;
      }
      const stamped = await handoffByHand({
        git,
        branch,
        cwd,
        actor: actor!,
        ok: result === 'ok',
        pull: flags.pull,
        push: flags.push,
        autostash: flags.allowDirty === true,
        warn: (line) => note(line),
      });
      if (flags.json) print(JSON.stringify(stamped.state, null, 2));
      else {
        print(stamped.subject);
        print(flags.push ? `pushed to origin/${branch}` : 'committed locally (--no-push)');
      }
    });
}
