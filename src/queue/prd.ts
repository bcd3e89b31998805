import { createHash } from 'node:crypto';
import { InputError } from '../errors.js';
import type { TaskInput } from './types.js';

/**
 * The `prd.json` of the Ralph-loop ecosystem: `{ "userStories": [ { id, title, description,
 * acceptanceCriteria, priority, passes, notes, dependencies? } ] }`. Each story that does not pass
 * yet is a task of type `story` whose data is the story; in that format a lower `priority` runs
 * first, so the task's own `priority` (which ranks above `data.priority`, higher first) is its
 * opposite. A dependency on a story that passes already is met. Pure.
 */
export interface PrdStories {
  tasks: TaskInput[];
  /** Stories that pass already (not queued). */
  passing: string[];
}

export function parsePrd(text: string, file: string): PrdStories {
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new InputError(`${file}: invalid JSON: ${(error as Error).message}.`);
  }
  const stories = (doc as { userStories?: unknown } | null)?.userStories;
  if (doc === null || typeof doc !== 'object' || !Array.isArray(stories))
    throw new InputError(`${file}: expected a prd.json with a \`userStories\` list, as the Ralph loop writes it.`);
  const seen = new Set<string>();
  const passing = new Set<string>();
  const open: Array<Record<string, unknown>> = [];
  stories.forEach((story: unknown, i) => {
    const where = `${file}: userStories[${i}]`;
    if (story === null || typeof story !== 'object' || Array.isArray(story)) throw new InputError(`${where} must be an object.`);
    const s = story as Record<string, unknown>;
    if (typeof s.id !== 'string' || s.id === '') throw new InputError(`${where}: \`id\` must be a non-empty string.`);
    if (seen.has(s.id)) throw new InputError(`${where}: duplicate story id ${JSON.stringify(s.id)}.`);
    seen.add(s.id);
    if (s.passes !== undefined && typeof s.passes !== 'boolean') throw new InputError(`${where}: \`passes\` must be true or false.`);
    if (s.priority !== undefined && (typeof s.priority !== 'number' || !Number.isFinite(s.priority)))
      throw new InputError(`${where}: \`priority\` must be a number (lower runs first).`);
    if (s.dependencies !== undefined && (!Array.isArray(s.dependencies) || s.dependencies.some((d) => typeof d !== 'string' || d === '')))
      throw new InputError(`${where}: \`dependencies\` must be a list of story ids.`);
    if (s.passes === true) passing.add(s.id);
    else open.push(s);
  });
  const tasks = open.map((s): TaskInput => {
    const { passes: _p, dependencies, ...data } = s;
    const deps = ((dependencies as string[] | undefined) ?? []).filter((d) => !passing.has(d));
    return {
      id: s.id as string,
      type: 'story',
      data,
      prd_story: storyFingerprint(s),
      ...(typeof s.priority === 'number' ? { priority: -s.priority } : {}),
      ...(deps.length > 0 ? { depends_on: deps } : {}),
    };
  });
  return { tasks, passing: [...passing] };
}

/**
 * What a story says, in short: a task is marked done in a prd.json only while the story of its id
 * there is still the one it was made from (not a new story that took over an old id).
 */
export function storyFingerprint(story: Record<string, unknown>): string {
  const { passes: _p, ...rest } = story;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex').slice(0, 16);
}
