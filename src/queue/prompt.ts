import { conflictPromptNote } from './isolation.js';
import type { Task } from './types.js';
import { verifyPromptNote } from './verify.js';

export const DEFAULT_PROMPT_TEMPLATE = `You are one worker in a pool of autonomous agents. Complete this task.

Task id: {{id}}
Task type: {{type}}
Task data (JSON):
{{data}}

Do the work the task describes. When you are done, end your answer with one line of the form
FINDINGS: <a one-paragraph summary of what you did and found>
`;

/**
 * Fills a prompt template: `{{id}}`, `{{type}}`, `{{data}}` (pretty JSON), `{{data.<path>}}`
 * (a string as it is, anything else as JSON, empty when absent) and `{{messages}}` (`ralph say`'s). One pass, so values that themselves
 * contain `{{…}}` are inserted verbatim and never expanded.
 */
export function renderPrompt(template: string, task: Pick<Task, 'id' | 'type' | 'data'>, messages = ''): string {
  return template.replace(/\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g, (whole, key: string) => {
    if (key === 'id') return task.id;
    if (key === 'messages') return messages;
    if (key === 'type') return task.type;
    if (key === 'data') return JSON.stringify(task.data ?? null, null, 2);
    if (key.startsWith('data.')) return format(lookup(task.data, key.slice(5).split('.')));
    return whole;
  });
}

function lookup(value: unknown, path: string[]): unknown {
  let current = value;
  for (const part of path) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function format(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * A task's whole prompt: the template rendered, then the notes of an attempt redone: after a merge
 * conflict (`--isolate worktree`), after its verifier failed. What a worker gives the agent, and
 * what the dashboard shows. Pure.
 */
export function taskPromptText(template: string, task: Task, isolated: boolean, messages = ''): string {
  const notes = [isolated ? conflictPromptNote(task) : undefined, verifyPromptNote(task)].filter((n): n is string => n !== undefined);
  // Messages (`ralph say`) where the template puts {{messages}}; the default template gives them under a heading.
  if (messages !== '' && template === DEFAULT_PROMPT_TEMPLATE) notes.push(`Messages from the people running this:\n${messages}`);
  return `${renderPrompt(template, task, messages)}${notes.map((n) => `\n${n}\n`).join('')}`;
}
