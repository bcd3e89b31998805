import { appendFileSync, chmodSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { applyEdits, modify } from 'jsonc-parser';
import { errorMessage } from '../errors.js';
import { storyFingerprint } from '../queue/prd.js';
import type { QueueState, Task } from '../queue/types.js';
import { oneLine } from '../redact/sanitize.js';
import { redact } from '../redact/process.js';
import { writeFileAtomicSync } from '../store/atomic-write.js';

type Story = Record<string, unknown> & { id?: unknown; passes?: unknown; title?: unknown };

/**
 * Sets `passes: true` on the prd.json stories whose tasks completed during this run (`ralph run
 * --prd`, `queue add --prd`), as the run sees them complete: the file rewritten atomically with
 * only that value changed (its layout, order, other keys, mode and BOM as they were; a symlink's
 * target written), and a line for each appended to `progress.txt` beside it. A story is marked only
 * while it is still the one its task was made from (a new story that took an old id is not), and
 * only for a completion of this run (`since`); one marked already is left alone. A file that cannot
 * be read or written is said once and the run goes on.
 */
export class PrdSync {
  private readonly done = new Set<string>();
  private readonly failing = new Set<string>();

  constructor(
    private readonly say: (line: string) => void,
    private readonly since: string,
  ) {}

  observe(state: QueueState): void {
    if (!state.meta.prd) return;
    const byFile = new Map<string, Task[]>();
    for (const task of state.tasks) {
      if (task.status !== 'completed' || typeof task.prd !== 'string' || this.done.has(`${task.prd}\0${task.id}`)) continue;
      if (typeof task.completed_at !== 'string' || task.completed_at < this.since) continue;
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
      const target = realpathSync(file);
      const raw = readFileSync(target, 'utf8');
      const bom = raw.startsWith('\uFEFF') ? '\uFEFF' : '';
      let text = raw.slice(bom.length);
      const stories = ((JSON.parse(text) as { userStories?: Story[] }).userStories ?? []).map((s) => (s && typeof s === 'object' ? s : {}));
      const indent = /\n([ \t]+)"/.exec(text)?.[1] ?? '  ';
      const formattingOptions = {
        insertSpaces: !indent.startsWith('\t'),
        tabSize: indent.startsWith('\t') ? 1 : indent.length,
        eol: text.includes('\r\n') ? '\r\n' : '\n',
      };
      const lines: string[] = [];
      for (const task of tasks) {
        const at = stories.findIndex((s) => s.id === task.id);
        const story = stories[at];
        if (!story || story.passes === true) continue;
        if (task.prd_story !== undefined && storyFingerprint(story) !== task.prd_story) {
          this.say(`ralph: ${task.id} in ${file} is no longer the story its task was made from: not marked`);
          continue;
        }
        text = applyEdits(text, modify(text, ['userStories', at, 'passes'], true, { formattingOptions }));
        const title = typeof story.title === 'string' ? ` (${oneLine(story.title)})` : '';
        const finding = task.finding ? `: ${oneLine(redact(String(task.finding)))}` : '';
        lines.push(`${task.completed_at} ${task.id}${title} passes${finding}\n`);
      }
      if (lines.length > 0) {
        const { mode } = statSync(target);
        writeFileAtomicSync(target, `${bom}${text}`);
        chmodSync(target, mode & 0o7777);
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
