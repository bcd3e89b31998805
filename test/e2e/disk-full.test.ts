// A state directory whose file system fills up (ENOSPC, on a small tmpfs: root only) or whose files
// hit the file-size limit (EFBIG, `prlimit --fsize`: no root needed): the last good state is kept,
// the run says so in one line, and once there is room `ralph run` completes every task, once.
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { queueOf, ralph, resultsOf, script, tempDir, writeTasks } from '../helpers/index.js';
import type { Result } from '../helpers/index.js';
import { canLimitFileSize, canMountTmpfs, fileSizeLimit, fillUntil, mountTmpfs, unmount } from '../helpers/disk.js';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`);

/** Every state file parses, every journal line too: the queue was not lost. */
function expectReadableState(dir: string, taskIds: string[]): void {
  const state = join(dir, '.ralph');
  const queue = queueOf(dir);
  expect(queue.tasks.map((t: { id: string }) => t.id).sort()).toEqual([...taskIds].sort());
  resultsOf(dir);
  const journal = readFileSync(join(state, 'journal', 'queue.ndjson'), 'utf8');
  expect(journal.endsWith('\n')).toBe(true);
  for (const line of journal.split('\n').filter((l) => l !== '')) JSON.parse(line);
  // A write that failed removed its temporary file.
  expect(readdirSync(state).filter((name) => name.includes('.tmp-'))).toEqual([]);
}

/** Every task completed, its finding recorded exactly once. */
function expectAllDoneOnce(dir: string, taskIds: string[]): void {
  const tasks = queueOf(dir).tasks;
  expect(tasks.filter((t: { status: string }) => t.status === 'completed')).toHaveLength(taskIds.length);
  const found = resultsOf(dir)
    .findings.map((f: { task_id: string }) => f.task_id)
    .sort();
  expect(found).toEqual([...taskIds].sort());
}

/** Once there is room again, `ralph run` resumes and completes every task, each recorded once. */
async function expectResumed(dir: string, taskIds: string[]): Promise<void> {
  const resumed = await ralph(['run', '--workers', '2', '--agent-cmd', './agent.sh'], { cwd: dir });
  expect(resumed.stderr).not.toMatch(/unexpected error/);
  expect(resumed.code).toBe(0);
  expectAllDoneOnce(dir, taskIds);
}

/** Runs `body` in a fresh tmpfs of `size`, unmounted afterwards. */
async function onTmpfs(size: string, body: (dir: string) => Promise<void>): Promise<void> {
  const dir = join(tempDir(), 'mnt');
  expect(mountTmpfs(dir, size)).toBe(true);
  try {
    await body(dir);
  } finally {
    unmount(dir);
  }
}

/** The one line that says what happened and what to do, and no "unexpected error". */
function expectDiskLine(result: Result, code: RegExp): void {
  expect(result.stderr).not.toMatch(/unexpected error|please report/);
  const lines = result.stderr.split('\n').filter((l) => /^ralph: cannot write /.test(l));
  expect(lines.length).toBeGreaterThanOrEqual(1);
  expect(lines.at(-1)).toMatch(code);
  expect(lines.at(-1)).toContain('.ralph');
  expect(lines.at(-1)).toMatch(/then `ralph run` resumes/);
}

describe.runIf(canLimitFileSize)('a file-size limit (EFBIG, prlimit --fsize)', () => {
  it('hit by the state files mid-run: exit 1 with one clear line, the last good state readable; without the limit `ralph run` completes every task once', async () => {
    const dir = tempDir();
    const taskIds = ids(40);
    // Each finding is 1.5 KB: results.json and work-queue.json outgrow 64 KiB about half way.
    script(dir, 'agent.sh', 'printf \'FINDINGS: %s %s\\n\' "$RALPH_TASK_ID" "$(head -c 1500 /dev/zero | tr \'\\0\' f)"');
    writeTasks(
      dir,
      taskIds.map((id) => ({ id, type: 't' })),
    );
    const limited = await ralph(['run', '--tasks', 'tasks.json', '--workers', '2', '--agent-cmd', './agent.sh'], { cwd: dir, wrap: fileSizeLimit(64 * 1024) });
    expect(limited.code).toBe(1);
    expectDiskLine(limited, /file too large \(EFBIG\)/);
    // The final lines still say why the run stopped, and how far it got.
    expect(limited.stdout).toMatch(/^Stopped: the state directory could not be written .*\n40 task\(s\)/m);
    expectReadableState(dir, taskIds);
    expect((await ralph(['status'], { cwd: dir })).code).toBe(0);

    await expectResumed(dir, taskIds);
  });

  it('hit by the worker logs only: the run completes every task, and the state is untouched by the failed log writes', async () => {
    const dir = tempDir();
    const taskIds = ids(12);
    // 64 KiB of output per task: the worker logs reach the 256 KiB limit after a few tasks.
    script(
      dir,
      'agent.sh',
      'pad=$(head -c 80 /dev/zero | tr \'\\0\' o); i=0; while [ $i -lt 640 ]; do echo "line $i of output $pad"; i=$((i+1)); done\necho "FINDINGS: done $RALPH_TASK_ID"',
    );
    writeTasks(
      dir,
      taskIds.map((id) => ({ id, type: 't' })),
    );
    const limit = 256 * 1024;
    const result = await ralph(['run', '--tasks', 'tasks.json', '--workers', '2', '--agent-cmd', './agent.sh'], { cwd: dir, wrap: fileSizeLimit(limit) });
    expect(result.stderr).not.toMatch(/unexpected error/);
    expect(result.code).toBe(0);
    expectAllDoneOnce(dir, taskIds);
    expectReadableState(dir, taskIds);
    // The limit was really hit by a log (else this proved nothing).
    const logs = readdirSync(join(dir, '.ralph')).filter((f) => /^worker-\d+\.log$/.test(f));
    expect(logs.some((f) => readFileSync(join(dir, '.ralph', f)).length === limit)).toBe(true);
  });
});

describe.runIf(canMountTmpfs)('a full file system (ENOSPC, a 512 KiB tmpfs; root only)', () => {
  it('with 8 KiB left: exit 1 with one clear line, no task lost; after space is freed `ralph run` completes every task once', () =>
    onTmpfs('512k', async (dir) => {
      const taskIds = ids(60);
      script(dir, 'agent.sh', "head -c 3000 /dev/zero | tr '\\0' x; echo\necho \"FINDINGS: done $RALPH_TASK_ID $(head -c 300 /dev/zero | tr '\\0' f)\"");
      writeTasks(
        dir,
        taskIds.map((id) => ({ id, type: 't', data: { text: 'y'.repeat(200) } })),
      );
      expect((await ralph(['queue', 'add', 'tasks.json'], { cwd: dir })).code).toBe(0);
      const filler = fillUntil(dir, 8 * 1024);
      const full = await ralph(['run', '--workers', '2', '--agent-cmd', './agent.sh'], { cwd: dir });
      expect(full.code).toBe(1);
      expectDiskLine(full, /no space left on device \(ENOSPC\)/);
      expectReadableState(dir, taskIds);
      expect((await ralph(['status'], { cwd: dir })).code).toBe(0);
      const doctor = await ralph(['doctor'], { cwd: dir });
      expect(doctor.code).toBe(1);
      expect(doctor.stdout).toMatch(/ERROR state dir: \.ralph is on a nearly full file system/);

      rmSync(filler);
      await expectResumed(dir, taskIds);
    }));

  it('filled by the worker logs: the state stays readable; with the logs removed `ralph run` completes every task once', () =>
    onTmpfs('512k', async (dir) => {
      const taskIds = ids(40);
      // While LOUD is set, 24 KiB of output per task: 40 tasks would need twice the room there is.
      script(
        dir,
        'agent.sh',
        'if [ -n "$LOUD" ]; then pad=$(head -c 90 /dev/zero | tr \'\\0\' o); i=0; while [ $i -lt 240 ]; do echo "output line $i $pad"; i=$((i+1)); done; fi\necho "FINDINGS: done $RALPH_TASK_ID"',
      );
      writeTasks(
        dir,
        taskIds.map((id) => ({ id, type: 't' })),
      );
      const full = await ralph(['run', '--tasks', 'tasks.json', '--workers', '2', '--agent-cmd', './agent.sh'], { cwd: dir, env: { LOUD: '1' } });
      expect(full.code).toBe(1);
      expectDiskLine(full, /no space left on device \(ENOSPC\)/);
      expectReadableState(dir, taskIds);

      for (const name of readdirSync(join(dir, '.ralph')).filter((f) => f.endsWith('.log'))) rmSync(join(dir, '.ralph', name));
      await expectResumed(dir, taskIds);
    }));
});
