// A journal damaged in the middle (a bad disk, an editor) is refused, and the way out the error
// prints works as printed: the damaged file is kept, never deleted.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { queueOf, ralph, script, tempDir, writeTasks } from '../helpers/index.js';
import { DIST, runFixture } from '../helpers/store.js';

const JOURNAL = join('.ralph', 'journal', 'queue.ndjson');

/**
 * A queue of two tasks in the snapshots, then three batches of two tasks in the journal (written by another
 * process, which never compacts), the second of which is then overwritten with garbage.
 */
async function damagedJournal(dir: string): Promise<string> {
  writeTasks(
    dir,
    [
      { id: 'a', type: 't' },
      { id: 'b', type: 't' },
    ],
    'first.json',
  );
  expect((await ralph(['queue', 'add', 'first.json'], { cwd: dir })).code).toBe(0);
  expect((await runFixture('store-batch.mjs', [join(dir, '.ralph'), DIST, '0', '3', '10'])).code).toBe(0);
  const lines = readFileSync(join(dir, JOURNAL), 'utf8').split('\n');
  expect(lines).toHaveLength(8); // the header, two lines a batch, and the end
  lines[2] = '{"tasks":[{"id":"0-big",\u0000\u0000 garbage';
  const damaged = lines.join('\n');
  writeFileSync(join(dir, JOURNAL), damaged);
  script(dir, 'agent.sh', 'echo "FINDINGS: ran $RALPH_TASK_ID"');
  return damaged;
}

describe('a journal with garbage in the middle', () => {
  it('is refused naming it, and the command the error prints, run exactly as printed, lets `ralph run` go on from the snapshots', async () => {
    const dir = tempDir();
    const damaged = await damagedJournal(dir);
    const refused = await ralph(['run', '--agent-cmd', './agent.sh'], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${JOURNAL} is not a valid Ralph state file (an unreadable entry at byte`);
    const advised = /`(mv [^`]+)`/.exec(refused.stderr)?.[1];
    expect(advised, refused.stderr).toBeDefined();
    execFileSync('/bin/sh', ['-c', advised!], { cwd: dir });

    const resumed = await ralph(['run', '--agent-cmd', './agent.sh'], { cwd: dir });
    expect(resumed.stderr).not.toMatch(/unexpected error|not a valid/);
    expect(resumed.code).toBe(0);
    // The snapshots' tasks, as they were last written, and done now.
    expect(queueOf(dir).tasks.map((t: { id: string; status: string }) => [t.id, t.status])).toEqual([
      ['a', 'completed'],
      ['b', 'completed'],
    ]);
    // The damaged journal is kept beside the new one, byte for byte.
    const kept = readdirSync(join(dir, '.ralph', 'journal')).filter((f) => f !== 'queue.ndjson');
    expect(kept).toHaveLength(1);
    expect(readFileSync(join(dir, '.ralph', 'journal', kept[0]!), 'utf8')).toBe(damaged);
  });

  it('`ralph run --reset`, which the error also offers, starts over and keeps the damaged files as *.corrupt-<time>', async () => {
    const dir = tempDir();
    const damaged = await damagedJournal(dir);
    const queueBefore = readFileSync(join(dir, '.ralph', 'work-queue.json'), 'utf8');
    const refused = await ralph(['status'], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('`ralph run --reset`');

    writeTasks(dir, [{ id: 'fresh', type: 't' }]);
    const reset = await ralph(['run', '--reset', '--tasks', 'tasks.json', '--agent-cmd', './agent.sh'], { cwd: dir });
    expect(reset.stderr).not.toMatch(/unexpected error|not a valid/);
    expect(reset.code).toBe(0);
    expect(reset.stderr).toMatch(
      /--reset: .*queue\.ndjson could not be read; the state files are kept as .*work-queue\.json\.corrupt-.*queue\.ndjson\.corrupt-/,
    );
    expect(queueOf(dir).tasks.map((t: { id: string; status: string }) => [t.id, t.status])).toEqual([['fresh', 'completed']]);
    const corrupt = (sub: string) => readdirSync(join(dir, '.ralph', sub)).filter((f) => f.includes('.corrupt-'));
    expect(corrupt('journal')).toHaveLength(1);
    expect(readFileSync(join(dir, '.ralph', 'journal', corrupt('journal')[0]!), 'utf8')).toBe(damaged);
    const keptQueue = corrupt('.').filter((f) => f.startsWith('work-queue.json.corrupt-'));
    expect(keptQueue).toHaveLength(1);
    expect(readFileSync(join(dir, '.ralph', keptQueue[0]!), 'utf8')).toBe(queueBefore);
  });
});
