import { Option } from 'commander';
import type { Command } from 'commander';
import type { Actor } from '../../loops/sync-state.js';
import { openStore } from '../../store/open.js';
import { NotAGitRepositoryError } from '../../errors.js';
import { runGit } from '../../git/run.js';
import { ralphCommand } from '../invocation.js';
import { writeStateGitignore } from '../../store/state-ignore.js';
import { print } from '../output.js';
import { EXAMPLE_AGENT, EXAMPLE_AGENT_FILE, EXAMPLE_TASKS, writeIfAbsent } from './init-files.js';
import { dirOption } from './common.js';
import { scaffoldLoops } from '../../loops/scaffold.js';

export function registerInit(program: Command): void {
  const command = program
    .command('init')
    .description('create the state directory, an example tasks file (tasks.json) and an example agent script (my-agent.sh)')
    .option('--tasks <file>', 'where to write the example tasks', 'tasks.json')
    .option(
      '--loops',
      'instead: set up this repository for the supervisor/engineer loops (supervisor.sh, loop.sh, prompts/, input.md, sync/state.json, logs/ ignored)',
    )
    .addOption(new Option('--start <actor>', 'with --loops: who takes the first turn').choices(['galph', 'ralph']).default('galph'));
  dirOption(command);
  command.action(async (flags: { dir: string; tasks: string; loops?: boolean; start: Actor }) => {
    if (flags.loops) {
      // The loops commit and push every turn: a directory outside git would only fail later.
      const top = runGit(process.cwd(), ['rev-parse', '--show-toplevel']);
      if (top.code !== 0)
        throw new NotAGitRepositoryError(
          process.cwd(),
          top.stderr.trim().split('\n')[0] ?? '',
          'The loops commit and push each turn: `git init` (or clone the shared repository) first, then `ralph init --loops`.',
        );
      const { written, kept } = scaffoldLoops(process.cwd(), flags.start);
      for (const name of written) print(`Wrote ${name}`);
      for (const name of kept) print(`${name} exists; left as it is.`);
      print(
        `Next: commit these files and push the branch; then ./supervisor.sh --sync-via-git --branch <branch> --agent-cmd '<agent>' on one machine and ./loop.sh --sync-via-git --branch <branch> --agent-cmd '<agent>' on the other. ${flags.start} goes first.`,
      );
      return;
    }
    const store = openStore(flags.dir);
    const existed = store.exists();
    store.ensure();
    print(existed ? `${flags.dir}/ already has a queue; left as it is.` : `Created ${flags.dir}/ (work-queue.json, results.json, sessions/).`);
    // Run state is never source: git ignores the state directory without a change to the user's .gitignore.
    const ignore = writeStateGitignore(flags.dir, true);
    if (ignore) print(`Wrote ${ignore} so that git ignores ${flags.dir}/ (run state, not source).`);
    if (writeIfAbsent(flags.tasks, `${JSON.stringify(EXAMPLE_TASKS, null, 2)}\n`))
      print(`Wrote ${flags.tasks} with ${EXAMPLE_TASKS.tasks.length} example tasks.`);
    else print(`${flags.tasks} exists; left as it is.`);
    if (writeIfAbsent(EXAMPLE_AGENT_FILE, EXAMPLE_AGENT, 0o755))
      print(`Wrote ${EXAMPLE_AGENT_FILE}: runs Claude Code on each task's prompt; edit it to run your agent.`);
    else print(`${EXAMPLE_AGENT_FILE} exists; left as it is.`);
    print(`Next: ${ralphCommand(process.env)} run --tasks ${flags.tasks} --workers 3 --agent-cmd ./${EXAMPLE_AGENT_FILE}`);
  });
}
