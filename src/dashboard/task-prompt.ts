import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { lastRunValues } from '../config/last-run.js';
import { DEFAULT_PROMPT_TEMPLATE, taskPromptText } from '../queue/prompt.js';
import type { RunInfo, Task } from '../queue/types.js';
import { redact } from '../redact/process.js';

/** A task's prompt as the page shows it, and the template it comes from (`default`: Ralph's own). */
export type TaskPrompt = { prompt: string; template: string } | { none: string };

/** The largest template the page renders. */
const MAX_TEMPLATE_BYTES = 1 << 20;

/**
 * The prompt a worker gives the task's agent, rendered now from the template the queue's last run
 * recorded (`--prompt-template`; else the default one), with the notes of a task redone (after a
 * merge conflict, after its verifier failed). Redacted as every text Ralph shows. The recorded path is the queue's data (on a
 * database, any machine's): only a regular file inside `cwd`, the repository the dashboard serves,
 * is read, and at most 1 MiB of it.
 */
export async function taskPrompt(task: Task, run: RunInfo | undefined, cwd: string): Promise<TaskPrompt> {
  const path = lastRunValues(run).promptTemplate;
  let template = DEFAULT_PROMPT_TEMPLATE;
  let source = 'default';
  if (typeof path === 'string') {
    const read = await readTemplate(path, cwd);
    if ('none' in read) return read;
    [template, source] = [read.text, read.file];
  }
  return { prompt: redact(taskPromptText(template, task, run?.isolate === 'worktree')), template: source };
}

async function readTemplate(path: string, cwd: string): Promise<{ text: string; file: string } | { none: string }> {
  const file = isAbsolute(path) ? path : resolve(cwd, path);
  let real: string;
  try {
    real = await realpath(file);
  } catch (error) {
    return { none: `the run's prompt template ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})` };
  }
  const inside = relative(await realpath(cwd), real);
  if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside))
    return { none: `the run's prompt template ${file} is outside ${cwd}, the directory the dashboard serves: not shown` };
  let handle: FileHandle;
  try {
    // Not blocking on a FIFO: it is then found not to be a file.
    handle = await open(real, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return { none: `the run's prompt template ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})` };
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return { none: `the run's prompt template ${file} is not a file` };
    if (stat.size > MAX_TEMPLATE_BYTES) return { none: `the run's prompt template ${file} is over 1 MiB: not shown` };
    return { text: await handle.readFile('utf8'), file };
  } finally {
    await handle.close();
  }
}
