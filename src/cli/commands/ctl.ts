import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { askRun } from '../../orchestrator/control.js';
import type { ControlCommand } from '../../orchestrator/control.js';
import { parseRecipient } from '../../queue/messages.js';
import { print, printJson } from '../output.js';
import type { QueueFlags } from './common.js';
import { dirOption, openExistingQueue, queueOption } from './common.js';

export function registerCtl(program: Command, setExit: (code: number) => void): void {
  const ctl = program.command('ctl').description('steer the run that owns the queue: its workers, scaling, pausing (refused when no run is live)');
  const add = (name: string, description: string, args: string[], toRequest: (values: string[]) => ControlCommand) => {
    const command = ctl.command(name).description(description);
    for (const arg of args) command.argument(`<${arg}>`);
    command.option('--json', "print the run's answer as JSON");
    queueOption(dirOption(command));
    command.action(async (...given: unknown[]) => {
      const values = given.slice(0, args.length) as string[];
      const flags = given[args.length] as QueueFlags & { json?: boolean };
      const request = toRequest(values); // a bad value is said before the queue is looked for
      const store = await openExistingQueue(flags, { load: false });
      const answer = await askRun(store, request).finally(() => store.close());
      if (flags.json) printJson(answer);
      else {
        print(answer.message);
        for (const w of answer.workers ?? [])
          print(`  worker ${w.id}: ${w.running ? `running (pid ${w.pid})${w.task ? `, on ${w.task}` : ', idle'}` : 'stopped'}`);
      }
      if (!answer.ok) setExit(1);
    });
  };
  add('status', "the run's workers: running or not, their task", [], () => ({ command: 'status' }));
  add('scale', 'run N workers: more start at once (as tasks allow); idle ones beyond N stop, busy ones once their task is done', ['n'], ([n]) => {
    if (!/^\d{1,4}$/.test(n!) || Number(n) < 1) throw new InputError(`scale ${n}: expected a whole number of workers, at least 1.`);
    return { command: 'scale', workers: Number(n) };
  });
  add('stop-worker', 'stop one worker of the run now (its task, if any, goes back to pending)', ['n'], ([n]) => {
    const worker = parseRecipient(n!);
    if (worker === undefined) throw new InputError(`stop-worker ${n}: expected a worker such as 3 or worker-3.`);
    return { command: 'stop-worker', worker };
  });
  add('pause', 'no worker of any machine claims a task until resumed', [], () => ({ command: 'pause' }));
  add('resume', 'claiming goes on', [], () => ({ command: 'resume' }));
}
