import { closeSync, fstatSync, fsyncSync, linkSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { asWriteError, isErrno } from '../errors.js';
import { isAlive } from '../process/alive.js';
import { machineTag } from '../process/machine.js';
import { PRIVATE_FILE } from '../process/private.js';

let counter = 0;

// `<name>.tmp-<pid>-<machine tag>-<n>` (older versions: `<name>.tmp-<pid>-<n>`).
const TEMP_PATTERN = /\.tmp-(\d+)-(?:([0-9a-z]+)-)?\d+$/;

/**
 * A temporary name beside `path` (or for a file in `dir`) that no other process uses: not one of
 * this machine (its pid and a counter), nor one with the same pid on another machine or in another
 * container sharing the directory (the machine's tag).
 */
export function tempPath(path: string, dir?: string): string {
  const name = `${basename(path)}.tmp-${process.pid}-${machineTag()}-${counter++}`;
  return join(dir ?? dirname(path), name);
}

export interface AtomicWriteOptions {
  /** Flush the directory after the rename, so that it is on disk before whatever comes next. */
  syncDir?: boolean;
  /** Where the temporary file is written (default: beside `path`; same file system). */
  tempDir?: string;
  /** Only create `path`: leave it as it is when it exists (an exclusive `link` instead of `rename`). Says whether it wrote. */
  exclusive?: boolean;
  /** Called once the temporary file is complete, before it is put in place. */
  beforeRename?: () => void;
}

/**
 * Writes a file so that readers see the old content or the new, never a torn one: write a temporary
 * file beside it (or in `tempDir`), flush it, check that all of it is there, then rename it into
 * place (and, with `syncDir`, flush the directory, so that the rename is on disk before whatever
 * comes next). The temporary file is removed if anything fails, and the old file is left as it was:
 * a write cut short by a full disk, a quota or a file-size limit is never renamed into place. Such a
 * failure, or a read-only or unwritable directory, is thrown as a StateWriteError naming `path`.
 * With `exclusive`, returns false and writes nothing when the file exists.
 */
export function writeFileAtomicSync(path: string, data: string, options: AtomicWriteOptions = {}): boolean {
  const bytes = Buffer.from(data, 'utf8');
  const temp = tempPath(path, options.tempDir);
  let fd: number | undefined;
  let wrote = true;
  try {
    fd = openSync(temp, 'w', PRIVATE_FILE);
    writeAllSync(fd, bytes, 0);
    fsyncSync(fd);
    const written = fstatSync(fd).size;
    if (written !== bytes.length) throw Object.assign(new Error(`${temp}: ${written} of ${bytes.length} bytes written`), { code: 'EIO' });
    closeSync(fd);
    fd = undefined;
    options.beforeRename?.();
    if (!options.exclusive) {
      renameSync(temp, path);
    } else {
      try {
        linkSync(temp, path);
      } catch (error) {
        if (!isErrno(error, 'EEXIST')) throw error;
        wrote = false;
      } finally {
        try {
          unlinkSync(temp);
        } catch {
          /* gone */
        }
      }
    }
  } catch (error) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        /* already failing */
      }
    }
    try {
      unlinkSync(temp);
    } catch {
      /* it may not exist */
    }
    throw asWriteError(error, path);
  }
  if (options.syncDir && wrote) syncDirectory(dirname(path));
  return wrote;
}

/** Writes all of `bytes` at `position` (a short write goes on where it stopped; a failure throws). */
export function writeAllSync(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
}

/** Flushes a directory, so that the renames and creations in it so far are on disk. */
export function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (error) {
    // Some file systems cannot flush a directory (EINVAL); there is nothing more to do there.
    if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw asWriteError(error, dir);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Temporary files in `dir` left by processes of this host that are gone. (A live process's are in
 * use: a write under way, or the spare record file of its lock.)
 */
export function leftoverTempFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((name) => {
    const match = TEMP_PATTERN.exec(name);
    // Another machine's (or container's) pids cannot be looked at here: its files are left to it.
    if (match !== null && match[2] !== undefined && match[2] !== machineTag()) return false;
    return match !== null && !isAlive(Number(match[1]));
  });
}

/** Removes temporary files left in `dir` by processes of this host that are gone. */
export function cleanupTempFiles(dir: string): string[] {
  const removed: string[] = [];
  for (const name of leftoverTempFiles(dir)) {
    try {
      unlinkSync(join(dir, name));
      removed.push(name);
    } catch {
      /* another process cleaned it */
    }
  }
  return removed;
}
