import { existsSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { FileStore } from '../../store/file-store.js';
import { print } from '../output.js';
import { dirOption } from './common.js';

const EXAMPLE_TASKS = {
  tasks: [
    { id: 'example-1', type: 'analysis', data: { description: 'List the files in this directory and say what the project is.', priority: 'high' } },
    { id: 'example-2', type: 'review', data: { description: 'Read README.md and suggest one improvement.' } },
    { id: 'example-3', type: 'analysis', data: { description: 'Count the lines of code by file type.', priority: 'low' } },
  ],
};

export function registerInit(program: Command): void {
  const command = program.command('init')
    .description('create the state directory and an example tasks file (tasks.json)')
    .option('--tasks <file>', 'where to write the example tasks', 'tasks.json');
  dirOption(command);
  command.action((flags: { dir: string; tasks: string }) => {
    const store = new FileStore(flags.dir);
    const existed = store.exists();
    store.ensure();
    print(existed ? `${flags.dir}/ already has a queue; left as it is.` : `Created ${flags.dir}/ (work-queue.json, results.json, sessions/).`);
    if (existsSync(flags.tasks)) print(`${flags.tasks} exists; left as it is.`);
    else {
      writeFileSync(flags.tasks, `${JSON.stringify(EXAMPLE_TASKS, null, 2)}\n`, { flag: 'wx' });
      print(`Wrote ${flags.tasks} with ${EXAMPLE_TASKS.tasks.length} example tasks.`);
    }
    print(`Next: ralph run --tasks ${flags.tasks} --workers 3 --agent-cmd './my-agent.sh'`);
    print('Add `.ralph/` to your .gitignore: it is run state, not source.');
  });
}
