// a damaged journal that a takeover has moved aside (queue.ndjson.fenced): the advice the
// error prints must still work.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ralph, script, tempDir, writeTasks } from '../helpers/index.js';
import { DIST, firstLine, kill9, runFixture, startFixture } from '../helpers/store.js';

const JOURNAL = join('.ralph', 'journal', 'queue.ndjson');

async function damagedAndFenced(dir: string): Promise<void> {
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
  lines[2] = '{"tasks":[{"id":"0-big",\u0000\u0000 garbage';
  writeFileSync(join(dir, JOURNAL), lines.join('\n'));
  // A process of this machine takes the lock and dies holding it (SIGKILL).
  const holder = startFixture('lock-holder.mjs', [join(dir, '.ralph', '.lock'), DIST, '30000', '0']);
  await firstLine(holder);
  await kill9(holder);
  // The next writer takes the dead holder's lock over: the journal is moved aside, then read.
  writeTasks(dir, [{ id: 'c', type: 't' }], 'more.json');
  const add = await ralph(['queue', 'add', 'more.json'], { cwd: dir });
  expect(add.code).toBe(2);
  expect(existsSync(join(dir, JOURNAL))).toBe(false);
  expect(existsSync(join(dir, `${JOURNAL}.fenced`))).toBe(true);
  script(dir, 'agent.sh', 'echo "FINDINGS: ran $RALPH_TASK_ID"');
}

describe('a damaged journal moved aside by a takeover', () => {
  it('the `mv` the error prints works as printed', async () => {
    const dir = tempDir();
    await damagedAndFenced(dir);
    const refused = await ralph(['run', '--agent-cmd', './agent.sh'], { cwd: dir });
    expect(refused.code).toBe(2);
    const advised = /`(mv [^`]+)`/.exec(refused.stderr)?.[1];
    expect(advised, refused.stderr).toBeDefined();
    let mv = 'ok';
    try {
      execFileSync('/bin/sh', ['-c', advised!], { cwd: dir, stdio: 'pipe' });
    } catch (error) {
      mv = String((error as { stderr?: Buffer }).stderr);
    }
    expect(mv, `${refused.stderr}\n${advised}`).toBe('ok');
    const resumed = await ralph(['run', '--agent-cmd', './agent.sh'], { cwd: dir });
    expect(resumed.stderr).not.toMatch(/not a valid/);
    expect(resumed.code).toBe(0);
  });

  it('`ralph run --reset`, which the error offers, starts over', async () => {
    const dir = tempDir();
    await damagedAndFenced(dir);
    writeTasks(dir, [{ id: 'fresh', type: 't' }]);
    const reset = await ralph(['run', '--reset', '--tasks', 'tasks.json', '--agent-cmd', './agent.sh'], { cwd: dir });
    expect(reset.stderr).not.toMatch(/unexpected error|not a valid/);
    expect(reset.code).toBe(0);
  });
});
