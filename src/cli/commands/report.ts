import type { Command } from 'commander';
import { StateMissingError } from '../../errors.js';
import { FileStore } from '../../store/file-store.js';
import { writeReport } from '../../report/write.js';
import { print, printJson } from '../output.js';
import { dirOption } from './common.js';

export function registerReport(program: Command, setExit: (code: number) => void): void {
  const command = program.command('report')
    .description('rewrite <dir>/ORCHESTRATOR-REPORT.md from the state files (any time, also mid-run)')
    .option('--json', 'print the summary as JSON');
  dirOption(command);
  command.action((flags: { dir: string; json?: boolean }) => {
    const store = new FileStore(flags.dir);
    if (!store.exists()) throw new StateMissingError(flags.dir);
    const summary = writeReport(store);
    if (flags.json) printJson(summary);
    else print(`Wrote ${summary.report}: ${summary.counts.completed} completed, ${summary.counts.failed} failed, ${summary.counts.pending + summary.counts.claimed} unfinished.`);
    setExit(summary.exit_code);
  });
}
