import { appendFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { applyEdits, modify } from 'jsonc-parser';
import { errorMessage } from '../errors.js';
import type { QueueState, Task } from '../queue/types.js';
import { oneLine } from '../redact/sanitize.js';
import { redact } from '../redact/process.js';
import { writeFileAtomicSync } from '../store/atomic-write.js';

/**
 * Sets `passes: true` on the prd.json stories whose tasks completed (`ralph run --prd`, `queue add
 * --prd`), as the run sees them complete: the file rewritten atomically with only that value
 * changed (its layout, order and other keys as they were), and a line for each appended to
 * `progress.txt` beside it. A story already marked is left alone; a file that cannot be read or
 * written is said once and the run goes on.
 */
export class PrdSync {
  private readonly done = new Set<string>();
  private readonly failing = new Set<string>();

  constructor(private readonly say: (line: string) => void) {}

  observe(state: QueueState): void {
    if (!state.meta.prd) return;
    const byFile = new Map<string, Task[]>();
    for (const task of state.tasks) {
      if (task.status !== 'completed' || typeof task.prd !== 'string' || this.done.has(`${task.prd}\0${task.id}`)) continue;
      byFile.set(task.prd, [...(byFile.get(task.prd) ?? []), task]);
    }
    // In the order they completed: progress.txt reads as what happened.
    const when = (t: Task) => String(t.completed_at ?? '');
    for (const [file, tasks] of byFile)
      this.mark(
        file,
        [...tasks].sort((a, b) => when(a).localeCompare(when(b))),
      );
  }

  private mark(file: string, tasks: readonly Task[]): void {
    try {
      let text = readFileSync(file, 'utf8');
      const stories = (JSON.parse(text) as { userStories?: Array<{ id?: unknown; passes?: unknown; title?: unknown }> }).userStories ?? [];
      const lines: string[] = [];
      for (const task of tasks) {
        const at = stories.findIndex((s) => s?.id === task.id);
        if (at >= 0 && stories[at]!.passes !== true) {
          text = applyEdits(text, modify(text, ['userStories', at, 'passes'], true, {}));
          const title = typeof stories[at]!.title === 'string' ? ` (${oneLine(stories[at]!.title as string)})` : '';
          const finding = task.finding ? `: ${oneLine(redact(String(task.finding)))}` : '';
          lines.push(`${task.completed_at ?? new Date().toISOString()} ${task.id}${title} passes${finding}\n`);
        }
      }
      if (lines.length > 0) {
        writeFileAtomicSync(file, text);
        appendFileSync(join(dirname(file), 'progress.txt'), lines.join(''));
      }
      for (const task of tasks) this.done.add(`${file}\0${task.id}`);
      this.failing.delete(file);
    } catch (error) {
      if (this.failing.has(file)) return;
      this.failing.add(file);
      this.say(`ralph: could not mark the stories done in ${file} (${errorMessage(error)}); tried again as more complete`);
    }
  }
}
