// A state directory that cannot be used: --dir naming a file or a dangling symlink (no root needed),
// on a read-only file system (a tmpfs remounted read-only: root only), or without write permission
// (the CLI run as `nobody` on root's directory: root only). Every command that writes says so in one
// line with exit 2; the commands that only read still work where they can; doctor reports it.
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deadPid, ralph, script, tempDir, writeTasks } from '../helpers/index.js';
import type { Result } from '../helpers/index.js';
import { asNobody, canMountTmpfs, canRunAsNobody, mountTmpfs, remount, unmount } from '../helpers/disk.js';

// Every command that writes to the state directory, as run from `cwd` with `--dir <dir>`.
const WRITERS = (dir: string): string[][] => [
  ['init', '--dir', dir, '--tasks', 'example.json'],
  ['queue', 'add', 'tasks.json', '--dir', dir],
  ['run', '--tasks', 'tasks.json', '--agent-cmd', './agent.sh', '--dir', dir],
  ['run', '--agent-cmd', './agent.sh', '--dir', dir],
  ['worker', '--id', '1', '--agent-cmd', './agent.sh', '--dir', dir],
  ['report', '--dir', dir],
  ['unlock', '--dir', dir],
];

function expectOneLine(result: Result, args: string[], problem: RegExp): void {
  const where = `ralph ${args.join(' ')}`;
  expect(result.stderr, where).not.toMatch(/unexpected error|please report/);
  expect(result.code, `${where}: ${result.stderr}`).toBe(2);
  const lines = result.stderr.split('\n').filter((l) => l.startsWith('ralph: '));
  expect(lines, where).toHaveLength(1);
  expect(lines[0], where).toMatch(problem);
}

/** Runs each command (at once: none of them can write anything) and expects each to be refused in one line. */
async function expectEachRefused(cwd: string, commands: string[][], problem: RegExp, wrap?: string[]): Promise<void> {
  const results = await Promise.all(commands.map((args) => ralph(args, { cwd, ...(wrap ? { wrap } : {}) })));
  for (const [i, result] of results.entries()) expectOneLine(result, commands[i]!, problem);
}

function setUp(cwd: string): void {
  script(cwd, 'agent.sh', 'echo "FINDINGS: ran $RALPH_TASK_ID"');
  writeTasks(cwd, [{ id: 'a', type: 't' }]);
}

async function expectDoctorError(cwd: string, dir: string, found: RegExp, wrap?: string[]): Promise<void> {
  const doctor = await ralph(['doctor', '--dir', dir, '--json'], { cwd, ...(wrap ? { wrap } : {}) });
  expect(doctor.stderr).not.toMatch(/unexpected error/);
  expect(doctor.code).toBe(1);
  const checks = JSON.parse(doctor.stdout).checks as { level: string; check: string; found: string }[];
  expect(
    checks
      .filter((c) => c.level === 'error')
      .map((c) => c.found)
      .join('\n'),
  ).toMatch(found);
}

describe('a --dir that cannot be a state directory', () => {
  it('a regular file: every command says so in one line (exit 2), the file is left alone, doctor reports it', async () => {
    const cwd = tempDir();
    setUp(cwd);
    const file = join(cwd, 'not-a-dir');
    writeFileSync(file, 'mine\n');
    await expectEachRefused(cwd, [...WRITERS(file), ['status', '--dir', file], ['queue', 'list', '--dir', file]], /not-a-dir is a file, not a directory/);
    expect(readFileSync(file, 'utf8')).toBe('mine\n');
    await expectDoctorError(cwd, file, /not-a-dir is a file, not a directory/);
  });

  it('a dangling symbolic link: every command says where it points (exit 2), nothing is created, doctor reports it', async () => {
    const cwd = tempDir();
    setUp(cwd);
    const link = join(cwd, 'state');
    const target = join(cwd, 'gone', 'ralph');
    symlinkSync(target, link);
    await expectEachRefused(cwd, [...WRITERS(link), ['status', '--dir', link]], /state is a symbolic link to .*gone\/ralph, which does not exist/);
    expect(existsSync(join(cwd, 'gone'))).toBe(false);
    await expectDoctorError(cwd, link, /symbolic link to .*which does not exist/);
  });
});

describe.runIf(canMountTmpfs)('a state directory on a read-only file system (root only)', () => {
  it('every command that writes says so in one line (exit 2); status still reads it; doctor reports it', async () => {
    const cwd = tempDir();
    setUp(cwd);
    const mnt = join(cwd, 'mnt');
    expect(mountTmpfs(mnt, '1m')).toBe(true);
    try {
      const dir = join(mnt, '.ralph');
      expect((await ralph(['run', '--tasks', 'tasks.json', '--agent-cmd', './agent.sh', '--dir', dir], { cwd })).code).toBe(0);
      // A stale lock, so that unlock has something to remove.
      writeFileSync(
        join(dir, '.lock'),
        JSON.stringify({
          pid: deadPid(),
          host: (await import('node:os')).hostname(),
          token: 't',
          acquired_at: new Date().toISOString(),
          refreshed_at: new Date().toISOString(),
          lease_ms: 30_000,
        }),
      );
      remount(mnt, 'ro');
      await expectEachRefused(cwd, WRITERS(dir), /read-only file system \(EROFS\)/);
      const status = await ralph(['status', '--dir', dir], { cwd });
      expect(status.code).toBe(0);
      expect(status.stdout).toContain('completed 1');
      await expectDoctorError(cwd, dir, /read-only file system \(EROFS\)/);
    } finally {
      unmount(mnt);
    }
  });
});

describe.runIf(canRunAsNobody)('a state directory this user may not write (run as nobody; root only)', () => {
  it('every command that writes says so in one line (exit 2); status still reads it; doctor reports it', async () => {
    const cwd = tempDir();
    chmodSync(cwd, 0o755);
    setUp(cwd);
    const dir = join(cwd, '.ralph');
    expect((await ralph(['run', '--tasks', 'tasks.json', '--agent-cmd', './agent.sh'], { cwd })).code).toBe(0);
    writeFileSync(
      join(dir, '.lock'),
      JSON.stringify({
        pid: deadPid(),
        host: (await import('node:os')).hostname(),
        token: 't',
        acquired_at: new Date().toISOString(),
        refreshed_at: new Date().toISOString(),
        lease_ms: 30_000,
      }),
    );
    mkdirSync(join(cwd, 'out'), { mode: 0o777 });
    chmodSync(join(cwd, 'out'), 0o777);
    // Ralph makes .ralph/ private (0700, files 0600); here its owner has let others read it.
    execFileSync('chmod', ['-R', 'a+rX', dir]);
    await expectEachRefused(cwd, WRITERS(dir), /permission denied \(EACCES\)/, asNobody());
    const status = await ralph(['status', '--dir', dir], { cwd, wrap: asNobody() });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('completed 1');
    await expectDoctorError(cwd, dir, /permission denied \(EACCES\)/, asNobody());
  });
});
