// Real file-system faults for the tests: a file-size limit (`prlimit --fsize`, EFBIG, no root
// needed) and a small tmpfs (ENOSPC, root only). Each comes with a probe that really tries it, so
// that a test that needs it is reported as skipped where it cannot run, never as passed.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups', '--'];

/** Whether `prlimit --fsize=N cmd` works here (util-linux installed, setrlimit allowed). */
export const canLimitFileSize: boolean = (() => {
  const probe = spawnSync('prlimit', ['--fsize=4096', '--', 'true'], { stdio: 'ignore' });
  return probe.status === 0;
})();

/** The argv prefix that runs a command with files limited to `bytes` (writes past it fail with EFBIG). */
export function fileSizeLimit(bytes: number): string[] {
  return ['prlimit', `--fsize=${bytes}`, '--'];
}

/** Mounts a tmpfs of `size` (e.g. "512k") on `dir`; false when that is not allowed here. */
export function mountTmpfs(dir: string, size: string): boolean {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function unmount(dir: string): void {
  execFileSync('umount', [dir], { stdio: 'ignore' });
}

/** Remounts a mounted tmpfs with new options (`size=4m`, `ro`, `rw`). */
export function remount(dir: string, options: string): void {
  execFileSync('mount', ['-o', `remount,${options}`, dir], { stdio: 'ignore' });
}

/** Whether a tmpfs can be mounted here (as root, outside a container that forbids it): tried for real. */
export const canMountTmpfs: boolean = (() => {
  if (process.getuid?.() !== 0) return false;
  const dir = mkdtempSync(join(tmpdir(), 'ralph-mount-probe-'));
  try {
    if (!mountTmpfs(dir, '64k')) return false;
    try {
      writeFileSync(join(dir, 'probe'), 'x');
      return true;
    } finally {
      unmount(dir);
    }
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();

/** Bytes still free on the file system holding `dir`. */
export function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

/** Fills the file system of `dir` with one file until only about `leave` bytes are free. */
export function fillUntil(dir: string, leave: number): string {
  const path = join(dir, 'filler');
  const size = freeBytes(dir) - leave;
  if (size > 0) writeFileSync(path, Buffer.alloc(size, 0x66));
  return path;
}

/** Whether commands can be run as the unprivileged user `nobody` here (root with setpriv): tried for real. */
export const canRunAsNobody: boolean = (() => {
  if (process.getuid?.() !== 0) return false;
  const probe = spawnSync('setpriv', [...NOBODY, process.execPath, '-e', 'process.exit(process.getuid() === 65534 ? 0 : 1)'], { stdio: 'ignore' });
  return probe.status === 0;
})();

/** The argv prefix that runs a command as `nobody` (uid and gid 65534, no supplementary groups). */
export function asNobody(): string[] {
  return ['setpriv', ...NOBODY];
}
