import type { Command } from 'commander';
import { RalphError } from '../../errors.js';
import { runPair } from '../../loops/pair.js';
import type { ExitCode } from '../main.js';
import type { AgentFlags } from './common.js';
import { agentResolver, applyOrchestration } from './loop-config.js';
import {
  commonOptions,
  engineerPrompt,
  loopAgent,
  reportsPolicy,
  runLoopCommand,
  supervisorOptions,
  supervisorPolicies,
  supervisorPrompt,
} from './loop-options.js';
import type { LoopFlags } from './loop-options.js';

/** `ralph pair`: both actors in turn in one process (loops/pair.ts). */
export function registerPair(program: Command, setExit: (code: ExitCode) => void): void {
  const pair = program
    .command('pair')
    .description('run the supervisor ("galph") and the engineer ("ralph") in turn in this one process, as sync/state.json says');
  supervisorOptions(commonOptions(pair))
    .option('--prompt <name>', "the engineer's prompt: prompts/<name>.md", 'main')
    .option('--supervisor-cmd <cmd>', "the supervisor's own agent command line (default: --agent-cmd / --agent)")
    .option('--engineer-cmd <cmd>', "the engineer's own agent command line (default: --agent-cmd / --agent)")
    .option('--supervisor-agent <name>', "the supervisor's own agent CLI (claude, codex, …)")
    .option('--engineer-agent <name>', "the engineer's own agent CLI")
    .option('--no-git', 'commit nothing at all: the work and sync/state.json stay as files')
    .option('--commit-dry-run', 'commit nothing, and say what would be committed')
    .addHelpText(
      'after',
      `
Turns: --sync-loops N in all (supervisor, engineer, supervisor, …), each as \`ralph supervisor\` or
\`ralph loop\` makes it: the state marked running, the agent, auto-commits by that role's policies, the
log and summary, the [SYNC …] handoff commit. With --sync-via-git each state commit is pushed too.
Exit codes as \`ralph supervisor\`.

Example:
  $ ralph pair --sync-loops 6 --supervisor-agent claude --engineer-cmd './engineer.sh'`,
    )
    .action(async (f: LoopFlags & PairFlags, command: Command) => {
      applyOrchestration(f, command);
      if (f.git === false && f.commitDryRun) throw new RalphError('RALPH_BAD_INPUT', 'Give --no-git or --commit-dry-run, not both.');
      if (f.git === false && f.syncViaGit) throw new RalphError('RALPH_BAD_INPUT', '--no-git commits nothing: it cannot --sync-via-git.');
      const engineer = engineerPrompt(f);
      const role = (cmd: string | undefined, agent: string | undefined): Partial<AgentFlags> =>
        cmd !== undefined ? { agentCmd: cmd } : agent !== undefined ? { agent } : {};
      const roles = {
        galph: {
          agent: loopAgent(f, role(f.supervisorCmd, f.supervisorAgent)),
          promptPath: supervisorPrompt(f, command),
          promptName: 'supervisor',
          policies: supervisorPolicies(f),
          prepullRecovery: f.prepullAutoCommitDocs !== false,
        },
        ralph: {
          agent: loopAgent(f, role(f.engineerCmd, f.engineerAgent)),
          promptPath: engineer.path,
          promptName: engineer.name,
          policies: { reports: reportsPolicy(f) },
          prepullRecovery: false,
        },
      };
      const commits = f.git === false ? 'no' : f.commitDryRun ? 'dry-run' : 'yes';
      // A role given its own agent here keeps it, unless --agent-prompt names one for the prompt it runs.
      const fixed = [
        ...((f.supervisorCmd ?? f.supervisorAgent) ? (['galph'] as const) : []),
        ...((f.engineerCmd ?? f.engineerAgent) ? (['ralph'] as const) : []),
      ];
      await runLoopCommand('pair', f, setExit, (base) => runPair({ ...base, roles, commits }), agentResolver(f, command, fixed));
    });
}

interface PairFlags {
  supervisorCmd?: string;
  engineerCmd?: string;
  supervisorAgent?: string;
  engineerAgent?: string;
  git?: boolean;
  commitDryRun?: boolean;
}
