import { appendFileSync, mkdirSync } from 'node:fs';
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { parseRecipient } from '../../queue/messages.js';
import { statePaths } from '../../store/paths.js';
import { print, printJson } from '../output.js';
import { dirOption } from './common.js';

export function registerSay(program: Command): void {
  const command = program
    .command('say')
    .description("tell the agents something: each new task's prompt carries the messages its worker has not given an agent yet")
    .argument('<text>', 'the message (one line or several)')
    .option('--to <worker>', 'only to this worker (worker-3, or 3)')
    .option('--json', 'print the message recorded as JSON');
  dirOption(command);
  command.addHelpText(
    'after',
    `
The messages are kept in <dir>/messages.jsonl (on a database's queue, this machine's directory: its
workers see them). A prompt template takes them as {{messages}}; the default one gives them under a
heading. An agent can post one too: \`ralph say\` in its environment writes to its run's directory.

Examples:
  $ ralph say "focus on milestone 1.2"
  $ ralph say --to worker-3 "the flaky test is known, skip it"`,
  );
  command.action((text: string, flags: { dir: string; to?: string; json?: boolean }) => {
    if (text.trim() === '') throw new InputError('Say something: the message is empty.');
    const to = flags.to === undefined ? undefined : parseRecipient(flags.to);
    if (flags.to !== undefined && to === undefined) throw new InputError(`--to ${flags.to}: expected a worker such as worker-3 (or 3).`);
    // An agent that says something is known by its worker.
    const worker = process.env.RALPH_WORKER_ID;
    const message = { at: new Date().toISOString(), text, from: worker && worker !== '0' ? `worker-${worker}` : 'user', ...(to === undefined ? {} : { to }) };
    const paths = statePaths(flags.dir);
    mkdirSync(paths.dir, { recursive: true });
    // One line, appended: concurrent writers (agents of several workers) never interleave within it.
    appendFileSync(paths.messages, `${JSON.stringify(message)}\n`);
    if (flags.json) printJson(message);
    else print(`Said${to === undefined ? '' : ` to worker-${to}`}: ${JSON.stringify(text)} (each worker's next task hears it).`);
  });
}
