import { isAbsolute, resolve } from 'node:path';
import { errorMessage } from '../errors.js';
import { lastRunValues } from '../config/last-run.js';
import { conflictPromptNote } from '../queue/isolation.js';
import { renderPrompt } from '../queue/prompt.js';
import type { RunInfo, Task } from '../queue/types.js';
import { redact } from '../redact/process.js';
import { loadPromptTemplate } from '../worker/template.js';

/** A task's prompt as the page shows it, and the template it comes from (`default`: Ralph's own). */
export type TaskPrompt = { prompt: string; template: string } | { none: string };

/**
 * The prompt a worker gives the task's agent, rendered now from the template the queue's last run
 * recorded (`--prompt-template`, relative to `cwd`; else the default one), with the note a task
 * redone after a merge conflict gets. Redacted as every text Ralph shows.
 */
export function taskPrompt(task: Task, run: RunInfo | undefined, cwd: string): TaskPrompt {
  const path = lastRunValues(run).promptTemplate;
  const file = typeof path === 'string' ? (isAbsolute(path) ? path : resolve(cwd, path)) : undefined;
  let template: string;
  try {
    template = loadPromptTemplate(file);
  } catch (error) {
    return { none: errorMessage(error) };
  }
  const note = run?.isolate === 'worktree' ? conflictPromptNote(task) : undefined;
  return { prompt: redact(`${renderPrompt(template, task)}${note ? `\n${note}\n` : ''}`), template: file ?? 'default' };
}
