import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Argument } from 'commander';
import type { Command } from 'commander';
import { InputError, RalphError } from '../../errors.js';
import type { Actor } from '../../loops/sync-state.js';
import { note, print } from '../output.js';

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
      // Loaded here, not at start-up: git, the loops and zod are not needed by the other commands.
      const { Git } = await import('../../git/git.js');
      const { checkStartBranch, dirtyTracked } = await import('../../loops/actor.js');
      const { commitState } = await import('../../loops/state-commit.js');
      const { REPAIR_ADVICE, STATE_PATH, handoffSubject, notMyTurn, parseSyncState, stampHandoff } = await import('../../loops/sync-state.js');
      const { repairState } = await import('../../loops/state-repair.js');
      const cwd = process.cwd();
      const git = new Git(cwd, (line) => print(`ralph: ${line}`));
      const branch = checkStartBranch(git, flags.branch ?? process.env.ORCHESTRATION_BRANCH);
      if (!flags.allowDirty) {
        // --repair keeps a bad local sync/state.json aside itself.
        const dirty = dirtyTracked(git).filter((path) => !(flags.repair && path === STATE_PATH));
        // Refused before anything is done, like a wrong branch: exit 2.
        if (dirty.length)
          throw new RalphError(
            'RALPH_DIRTY_TREE',
            `tracked files have uncommitted changes: ${dirty.join(', ')}. Nothing was stamped: commit or stash them, or pass --allow-dirty.`,
          );
      }
      if (flags.repair) {
        const repaired = await repairState({ git, branch, cwd, pull: flags.pull, push: flags.push });
        if (flags.json) return print(JSON.stringify(repaired, null, 2));
        for (const path of repaired.kept) print(`the bad ${STATE_PATH} is kept in ${path}`);
        if (!repaired.restored) return print(`${STATE_PATH} is valid as committed on ${branch}; nothing to commit`);
        print(repaired.restored.subject);
        print(flags.push ? `pushed to origin/${branch}` : 'committed locally (--no-push)');
        return;
      }
      if (flags.pull) {
        await git.exclusive('pull', async () => {
          const r = await git.pull(branch, { autostash: flags.allowDirty === true });
          if (r.code !== 0) {
            throw new RalphError('RALPH_GIT', `git pull failed: ${r.stderr.trim()}. Resolve it by hand, or pass --no-pull.`, { exitCode: 1 });
          }
        });
      }
      let text: string;
      try {
        text = readFileSync(join(cwd, STATE_PATH), 'utf8');
      } catch {
        throw new RalphError('RALPH_NO_SYNC_STATE', `${STATE_PATH} not found; create it with \`ralph init --loops\`.`);
      }
      const state = parseSyncState(text);
      if ('problem' in state)
        throw new RalphError('RALPH_BAD_SYNC_STATE', `${STATE_PATH} is not a valid sync state (${state.problem}). ${REPAIR_ADVICE}; then stamp.`);
      // A manual stamp is deliberate, but handing over someone else's turn is likely a slip: say so.
      const notMine = notMyTurn(state, actor!);
      if (notMine) note(`ralph: warning: ${notMine}; stamped as asked`);
      const ok = result === 'ok';
      const head = git.headShort();
      const stamped = stampHandoff(state, actor!, ok, head, new Date());
      const subject = handoffSubject(stamped, actor!, ok, head);
      // A manual stamp is deliberate: no whose-turn check after a rebase.
      await commitState({ git, branch, cwd }, stamped, subject, { push: flags.push, autostash: flags.allowDirty === true });
      if (flags.json) print(JSON.stringify(stamped, null, 2));
      else {
        print(subject);
        print(flags.push ? `pushed to origin/${branch}` : 'committed locally (--no-push)');
      }
    });
}
