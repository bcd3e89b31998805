import { accessSync, constants, lstatSync, readlinkSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { RalphError, StateWriteError, asWriteError, isErrno } from '../errors.js';

/** `--dir` names something that cannot be a state directory. Nothing was created or changed. */
export class StateDirError extends RalphError {
  constructor(problem: string) {
    super('RALPH_BAD_STATE_DIR', `${problem}: pass --dir with a directory (or a path where one can be made), or move that out of the way.`);
  }
}

/**
 * Why `dir` cannot hold the state (a file, a symbolic link to nothing or to a file), or undefined
 * when it can: it is a directory, or nothing is there yet (it will be made).
 */
export function stateDirProblem(dir: string): string | undefined {
  let link: Stats;
  try {
    link = lstatSync(dir);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    if (isErrno(error, 'ENOTDIR')) return `${dir} is inside a file, not a directory`;
    throw error;
  }
  if (link.isDirectory()) return undefined;
  if (!link.isSymbolicLink()) return `${dir} is a file, not a directory`;
  const target = readlinkSync(dir);
  try {
    if (statSync(dir).isDirectory()) return undefined;
  } catch (error) {
    if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) return `${dir} is a symbolic link to ${target}, which does not exist`;
    if (isErrno(error, 'ELOOP')) return `${dir} is a symbolic link that loops`;
    throw error;
  }
  return `${dir} is a symbolic link to ${target}, which is a file, not a directory`;
}

/** Throws a StateDirError when `dir` cannot hold the state. */
export function checkStateDir(dir: string): void {
  const problem = stateDirProblem(dir);
  if (problem) throw new StateDirError(problem);
}

/** Why an existing directory cannot be written to (read-only file system, permissions), or undefined. */
export function unwritable(dir: string): StateWriteError | undefined {
  try {
    accessSync(dir, constants.W_OK);
    return undefined;
  } catch (error) {
    const mapped = asWriteError(error, dir);
    if (mapped instanceof StateWriteError) return mapped;
    throw error;
  }
}
