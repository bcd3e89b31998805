import { fchmodSync, fstatSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { isErrno } from '../errors.js';

/**
 * Everything under `.ralph/` is private to its owner: logs, prompts, findings and errors carry what
 * agents printed and what tasks hold. Files are created 0600 and directories 0700 (the umask can only
 * make them stricter).
 */
export const PRIVATE_FILE = 0o600;
export const PRIVATE_DIR = 0o700;

/**
 * `mkdir -p path`, the directory itself created 0700 (its parents as usual). An existing one is left
 * as it is; anything else in its place (a file, a dangling symlink) is an error, as with `mkdir -p`.
 */
export function makePrivateDir(path: string): void {
  if (isDirectory(path)) return;
  mkdirSync(dirname(path), { recursive: true });
  try {
    mkdirSync(path, { mode: PRIVATE_DIR });
  } catch (error) {
    if (!isErrno(error, 'EEXIST') || !isDirectory(path)) throw error; // else another process made it meanwhile
  }
}

function isDirectory(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
}

/**
 * Opens a log for appending, created 0600. A log that an older version left readable by others is
 * made private too: it holds the same kind of output.
 */
export function openPrivateAppend(path: string): number {
  const fd = openSync(path, 'a', PRIVATE_FILE);
  try {
    const { mode } = fstatSync(fd);
    if ((mode & 0o077) !== 0) fchmodSync(fd, mode & 0o700);
  } catch {
    /* not ours to change: leave it */
  }
  return fd;
}
