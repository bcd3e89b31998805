import type { Command } from 'commander';
import { exitCodeFor } from '../../report/stop.js';
import { writeReport } from '../../report/write.js';
import { print, printJson } from '../output.js';
import { dirOption, openExistingQueue, queueOf, queueOption } from './common.js';
import type { QueueFlags } from './common.js';

export function registerReport(program: Command, setExit: (code: number) => void): void {
  const command = program
    .command('report')
    .description('rewrite <dir>/ORCHESTRATOR-REPORT.md from the state files (any time, also mid-run)')
    .option('--json', 'print the summary as JSON');
  queueOption(dirOption(command));
  command.addHelpText(
    'after',
    `
Exit codes: 0 every task completed; 1 some failed or are unfinished (the report is written either
way, as for \`ralph run\`); 2 no queue or unreadable state.`,
  );
  command.action(async (flags: QueueFlags & { json?: boolean }) => {
    // A database's queue: the report of every machine's work, written to this machine's --dir.
    const store = await openExistingQueue(flags);
    if (queueOf(flags)) store.ensure();
    const summary = writeReport(store);
    await store.close();
    if (flags.json) printJson(summary);
    else
      print(
        `Wrote ${summary.report}: ${summary.counts.completed} completed, ${summary.counts.failed} failed, ${summary.counts.pending + summary.counts.claimed} unfinished.`,
      );
    // Whether every task completed (0) or not (1); `exit_code` in the summary is what the run exited with.
    setExit(exitCodeFor(summary.counts));
  });
}
