// Snapshots that do not go with the journal beside them (a copy from another directory, a backup
// restored) are refused with both files named, nothing applied and nothing written; the way out
// the error gives works.
import { copyFileSync, existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ralph, script, tempDir, writeTasks } from '../helpers/index.js';
import { DIST, runFixture } from '../helpers/store.js';

const files = ['work-queue.json', 'results.json', 'journal/queue.ndjson'];
/** A queue of tasks a and b, a copy of its work-queue.json taken then, and a run that completed both. */
async function ranAfterBackup(): Promise<{ dir: string; backup: string }> {
  const dir = tempDir();
  writeTasks(dir, [
    { id: 'a', type: 't' },
    { id: 'b', type: 't' },
  ]);
  expect((await ralph(['queue', 'add', 'tasks.json'], { cwd: dir })).code).toBe(0);
  const backup = join(dir, 'work-queue.backup.json');
  copyFileSync(join(dir, '.ralph', 'work-queue.json'), backup);
  script(dir, 'agent.sh', 'echo "FINDINGS: ran $RALPH_TASK_ID"');
  expect((await ralph(['run', '--agent-cmd', './agent.sh', '--workers', '1'], { cwd: dir })).code).toBe(0);
  return { dir, backup };
}

const contents = (dir: string) => files.map((f) => readFileSync(join(dir, '.ralph', f), 'utf8'));

/** `count` tasks with findings committed to the journal of the queue in `dir` (made if need be) by another process. */
async function withJournal(dir: string, name: string, count: number): Promise<void> {
  if (!existsSync(join(dir, '.ralph'))) expect((await ralph(['init'], { cwd: dir })).code).toBe(0);
  // Never compacts: its changes stay in the journal.
  const appended = await runFixture('store-appender.mjs', [join(dir, '.ralph'), DIST, name, String(count), '1000000000']);
  expect(appended.code).toBe(0);
  expect(
    readFileSync(join(dir, '.ralph', 'journal', 'queue.ndjson'), 'utf8')
      .trimEnd()
      .split('\n'),
  ).toHaveLength(count + 1);
}

/** Every command that reads the queue refuses it the same way, exit 2, and writes nothing. */
async function expectRefused(dir: string, problem: RegExp): Promise<void> {
  const before = contents(dir);
  script(dir, 'agent.sh', 'echo "FINDINGS: ran $RALPH_TASK_ID"');
  const commands = [['status'], ['queue', 'list'], ['run', '--agent-cmd', './agent.sh']];
  const results = await Promise.all(commands.map((args) => ralph(args, { cwd: dir })));
  for (const result of results) {
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(problem);
    expect(result.stderr).toContain('.ralph/work-queue.json');
    expect(result.stderr).toContain('.ralph/journal/queue.ndjson');
    expect(result.stderr).not.toMatch(/unexpected error/);
    expect(contents(dir)).toEqual(before);
  }
}

describe('snapshots that do not go with the journal', () => {
  it('refuses a work-queue.json copied from another directory (a generation ahead of the journal), and the advice given works', async () => {
    const here = tempDir();
    await withJournal(here, 'here', 3);
    // Another directory whose queue has been compacted more often: a higher generation.
    const elsewhere = tempDir();
    for (const n of [1, 2]) {
      writeTasks(elsewhere, [{ id: `other-${n}`, type: 't' }], `t${n}.json`);
      expect((await ralph(['queue', 'add', `t${n}.json`], { cwd: elsewhere })).code).toBe(0);
    }
    const theirs = JSON.parse(readFileSync(join(elsewhere, '.ralph', 'work-queue.json'), 'utf8'));
    const journal = JSON.parse(readFileSync(join(here, '.ralph', 'journal', 'queue.ndjson'), 'utf8').split('\n')[0]!);
    expect(theirs.generation).toBeGreaterThan(journal.generation);
    copyFileSync(join(elsewhere, '.ralph', 'work-queue.json'), join(here, '.ralph', 'work-queue.json'));

    await expectRefused(
      here,
      /work-queue\.json \(generation \d+\) is ahead of .*journal\/queue\.ndjson \(generation \d+, 3 change\(s\)\) but was not made from that journal/,
    );

    // As the error says: move the journal aside to take the snapshots as they are.
    renameSync(join(here, '.ralph', 'journal', 'queue.ndjson'), join(here, '.ralph', 'journal-aside.ndjson'));
    const list = await ralph(['queue', 'list', '--json'], { cwd: here });
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).map((t: { id: string }) => t.id)).toEqual(['other-1', 'other-2']);
  });

  it('refuses a work-queue.json restored from a backup older than the journal', async () => {
    const { dir, backup } = await ranAfterBackup();
    await withJournal(dir, 'later', 2);
    copyFileSync(backup, join(dir, '.ralph', 'work-queue.json'));

    await expectRefused(dir, /work-queue\.json \(generation \d+\) is older than .*journal\/queue\.ndjson \(generation \d+, 2 change\(s\)\)/);
  });

  it('refuses a work-queue.json restored from an older backup while the journal is empty (every run compacts at its end), and records no task twice', async () => {
    const { dir, backup } = await ranAfterBackup();
    const gen = (f: string) => JSON.parse(readFileSync(join(dir, '.ralph', f), 'utf8')).generation;
    const journal = readFileSync(join(dir, '.ralph', 'journal', 'queue.ndjson'), 'utf8')
      .trimEnd()
      .split('\n');
    expect(journal).toHaveLength(1); // header only
    copyFileSync(backup, join(dir, '.ralph', 'work-queue.json'));
    expect(gen('work-queue.json')).toBeLessThan(gen('results.json'));

    const again = await ralph(['run', '--agent-cmd', './agent.sh', '--workers', '1'], { cwd: dir });
    const findings = JSON.parse(readFileSync(join(dir, '.ralph', 'results.json'), 'utf8'))
      .findings.map((f: { task_id: string }) => f.task_id)
      .sort();
    expect({ code: again.code, findings }).toEqual({ code: 2, findings: ['a', 'b'] });
  });
});
