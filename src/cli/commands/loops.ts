import type { Command } from 'commander';
import type { ExitCode } from '../main.js';
import { commonOptions, engineerPrompt, reportsPolicy, supervisorOptions, supervisorPolicies, supervisorPrompt } from './loop-options.js';
import type { LoopFlags } from './loop-options.js';
import { applyOrchestration, runActor } from './loop-config.js';
import { registerPair } from './pair.js';

const AFTER = (name: string, example: string) => `
Modes:
  without --sync-via-git  run --sync-loops turns back to back on this machine
  with --sync-via-git     take turns with the other actor through sync/state.json on --branch
                          (fetch, wait for my turn, mark running, run the agent, auto-commit, stamp, push)

Logs: <logdir>/<branch>/${name}/iter-NNNNN_YYYYMMDD_HHMMSS${name === 'ralph' ? '_<prompt>' : ''}.log, summaries in <logdir>/<branch>/${name}-summaries/.
Exit codes: 0 all turns done, 1 a turn failed, the handoff was aborted or --max-wait-sec ran out, 2 refused
to start (bad usage, not a git repository, wrong branch, my turn held by another live actor, named),
129/130/143 interrupted (the turn stays mine and is resumed on restart).

Example:
  $ ${example}`;

export function registerLoops(program: Command, setExit: (code: ExitCode) => void): void {
  const supervisor = program
    .command('supervisor')
    .description('run the supervisor ("galph"): its agent plans and writes instructions (input.md) for the engineer');
  supervisorOptions(commonOptions(supervisor))
    .addHelpText('after', AFTER('galph', "ralph supervisor --sync-via-git --branch feature/x --agent-cmd 'claude -p' --verbose"))
    .action(async (f: LoopFlags, command: Command) => {
      applyOrchestration(f, command);
      const policies = supervisorPolicies(f);
      await runActor('galph', f, supervisorPrompt(f, command), 'supervisor', policies, setExit, command);
    });

  const loop = program.command('loop').description('run the engineer ("ralph"): its agent does the work the supervisor asked for');
  commonOptions(loop)
    .option('--prompt <name>', 'the engineering prompt: prompts/<name>.md (main for features, debug for parity/trace loops)', 'main')
    .addHelpText(
      'after',
      `${AFTER('ralph', "ralph loop --sync-via-git --branch feature/x --prompt main --agent-cmd 'claude -p'")}

The engineer's agent commits its own work; afterwards report files are auto-committed, and any other
dirty tracked file aborts the handoff (exit 1, state not flipped), so nothing unpublished is left behind.`,
    )
    .action(async (f: LoopFlags, command: Command) => {
      applyOrchestration(f, command);
      const { path, name } = engineerPrompt(f);
      await runActor('ralph', f, path, name, { reports: reportsPolicy(f) }, setExit, command);
    });
  registerPair(program, setExit);
}
