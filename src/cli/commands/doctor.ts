import { Option } from 'commander';
import type { Command } from 'commander';
import { AGENT_NAMES } from '../../agents/names.js';
import { judge } from '../../doctor/checks.js';
import { gatherDatabaseFacts, gatherFacts } from '../../doctor/gather.js';
import { print, printJson } from '../output.js';
import { agentChoice, dirOption, queueOf, queueOption } from './common.js';
import type { AgentFlags, QueueFlags } from './common.js';
import { SETTINGS } from '../../config/table.js';
import { effectiveSettings } from '../../config/effective.js';

const MARK = { ok: 'ok   ', warn: 'WARN ', error: 'ERROR' } as const;

export function registerDoctor(program: Command, setExit: (code: number) => void): void {
  const command = program
    .command('doctor')
    .description('check the queue, lock, workers, failures and agent command, and say what to do')
    .option('--agent-cmd <cmd>', 'agent command to check (default: the agent `ralph run` would use: from the environment, the config file or the last run)')
    .addOption(new Option('--agent <name>', 'agent CLI to check (see `ralph agents`)').choices([...AGENT_NAMES]))
    .option('--agent-bin <path>', "the agent's binary")
    .option('--json', 'machine-readable output');
  dirOption(command);
  queueOption(command);
  command.addHelpText(
    'after',
    "\nWith --queue (a queue in PostgreSQL): whether the database can be reached and has the queue, every machine's workers, claims whose worker is gone, the failures, and this machine's agent.\n\nExit code: 0 when nothing is an error, 1 otherwise.",
  );
  command.action(async (flags: QueueFlags & { agentCmd?: string; agent?: string; agentBin?: string; json?: boolean }) => {
    const queue = queueOf(flags);
    const agentSettings = SETTINGS.filter((s) => s.agent);
    // A database's last run is read with the queue (gatherDatabaseFacts), not the files under --dir.
    const effective = effectiveSettings(agentSettings, {
      flags: { ...agentChoice(flags), dir: flags.dir },
      env: process.env,
      cwd: process.cwd(),
      lastRun: !queue,
    });
    const choice = agentChoice(effective.values as AgentFlags);
    const checks = judge(queue ? await gatherDatabaseFacts(flags.dir, queue, choice) : gatherFacts(flags.dir, choice));
    const errors = checks.filter((c) => c.level === 'error').length;
    if (flags.json) printJson({ ok: errors === 0, checks });
    else {
      for (const c of checks) {
        print(`${MARK[c.level]} ${c.check}: ${c.found}`);
        if (c.fix && c.level !== 'ok') print(`      → ${c.fix}`);
      }
    }
    setExit(errors === 0 ? 0 : 1);
  });
}
