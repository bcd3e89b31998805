import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { TAIL_LOGS_DEFAULTS, parseList, parseRoles } from '../../loops/tail-logs/options.js';
import type { Source } from '../../loops/tail-logs/options.js';
import { tailLogs } from '../../loops/tail-logs/tail-logs.js';
import { print } from '../output.js';

interface TailLogsFlags {
  count: number;
  minIter?: number;
  maxIter?: number;
  source: string;
  roles: string;
  ls: boolean;
  lsPaths: string;
  logdir: string;
}

export function registerTailLogs(program: Command): void {
  const d = TAIL_LOGS_DEFAULTS;
  program
    .command('tail-logs')
    .description(
      "print the last iterations' supervisor (galph) and engineer (ralph) logs as XML, each with its " +
        '[SYNC …] handoff commit and the files under docs/plans/reports at that commit (run in the git repository)',
    )
    .argument('<prefix>', "the branch name with '/' replaced by '-' (the directory under --logdir)")
    .option('-n, --count <n>', 'how many of the last iterations to print; 0 prints all', nonNegativeInt('--count'), d.count)
    .option('--min-iter <a>', 'only iterations from A on', nonNegativeInt('--min-iter'))
    .option('--max-iter <b>', 'only iterations up to B', nonNegativeInt('--max-iter'))
    .option('--source <source>', 'logs (<role>/*.log) or summaries (<role>-summaries/*-summary.md)', d.source)
    .option('--roles <roles>', 'comma-separated roles, printed in this order within an iteration', d.roles.join(','))
    .option('--no-ls', 'leave out the file listings')
    .option('--ls-paths <paths>', "comma-separated paths to list at each log's handoff commit", d.lsPaths.join(','))
    .option('--logdir <path>', 'where the loops write their logs', d.logdir)
    .addHelpText(
      'after',
      `
Iterations are those with at least one file of a selected role, within --min-iter..--max-iter; the last --count
(default ${d.count}) of them are printed, ascending. A galph log is annotated with the newest commit on HEAD whose subject
starts with "[SYNC i=<i>] actor=galph"; a ralph log with the newest "[SYNC i=<i+1>] actor=ralph" that is not status=fail
(it succeeded), else the newest "[SYNC i=<i>] actor=ralph" that is not status=ok (it failed).`,
    )
    .action((prefix: string, flags: TailLogsFlags) => {
      print(
        tailLogs({
          prefix,
          count: flags.count,
          minIter: flags.minIter,
          maxIter: flags.maxIter,
          source: flags.source as Source,
          roles: parseRoles(flags.roles),
          ls: flags.ls,
          lsPaths: parseList(flags.lsPaths),
          logdir: flags.logdir,
        }),
      );
    });
}

// Throws InputError rather than commander's InvalidArgumentError so that the message is one `ralph:` line.
function nonNegativeInt(flag: string): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value.trim())) throw new InputError(`Expected ${flag} to be a non-negative integer, got \`${value}\`.`);
    return Number.parseInt(value, 10);
  };
}
