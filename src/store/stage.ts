import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RalphError, asWriteError, isErrno } from '../errors.js';
import { writeFileAtomicSync } from './atomic-write.js';
import { stopPoint } from './faults.js';
import { PRIVATE_DIR } from '../process/private.js';
import { isAlive } from '../process/alive.js';
import { machineTag } from '../process/machine.js';

const STAGING = 'staging';
let counter = 0;

/**
 * A process's staging directory in the state directory (`staging/<machine tag>.<pid>.<n>/`): where it
 * writes the snapshots it is about to rename into place. Its name is in the lock record while the
 * process holds the lock, and whoever takes the lock over from it removes the directory first. A
 * holder that was paused past that point (SIGSTOP, a suspended machine) then finds its rename's
 * source gone: its write is refused, never applied over the new holder's state. A staging
 * directory is made before taking the lock and never made again under it.
 */
export class Stage {
  private readonly stateDir: string;
  private current: string | undefined;

  constructor(stateDir: string) {
    this.stateDir = stateDir;
  }

  /** The name to record in the lock (relative to the state directory); made when this process has none. */
  name(): string {
    if (this.current === undefined) {
      const name = `${STAGING}/${machineTag()}.${process.pid}.${counter++}`;
      // One level at a time: a recursive mkdir says ENOENT on a read-only file system.
      for (const dir of [join(this.stateDir, STAGING), join(this.stateDir, name)]) {
        try {
          mkdirSync(dir, { mode: PRIVATE_DIR });
        } catch (error) {
          if (!isErrno(error, 'EEXIST')) throw asWriteError(error, dir);
        }
      }
      this.current = name;
      removeAtExit(join(this.stateDir, name));
    }
    return this.current;
  }

  /** Replaces `path` with `data` through this stage; throws `RALPH_FENCED` when the stage was taken away. */
  write(path: string, data: string): void {
    const dir = join(this.stateDir, this.name());
    try {
      writeFileAtomicSync(path, data, { tempDir: dir, syncDir: true, beforeRename: () => stopPoint('temp-written') });
    } catch (error) {
      if (isErrno(error, 'ENOENT') && !existsSync(dir)) {
        this.current = undefined;
        throw new FencedError(path, error);
      }
      throw error;
    }
  }
}

/** A holder whose lock was taken over while it was paused tried to write. Nothing was written. */
export class FencedError extends RalphError {
  constructor(path: string, cause: unknown) {
    super(
      'RALPH_FENCED',
      `Not writing ${path}: another process took the lock over while this one was paused (its staging directory was removed), so this process's view is out of date. Nothing was written; run the command again.`,
      { exitCode: 1, cause },
    );
  }
}

/**
 * Removes another process's staging directory (it held the lock this process took over): renamed
 * away first, which is atomic however many files it holds or gets meanwhile, so that from then on
 * nothing can be renamed out of it; then deleted.
 */
export function removeStage(stateDir: string, name: string): void {
  // Only ever a directory under staging/: the name comes from a lock file anyone could edit.
  if (!/^staging\/[^/]+$/.test(name) || name.includes('..')) return;
  const aside = join(stateDir, `${name}.fenced-${process.pid}-${counter++}`);
  try {
    renameSync(join(stateDir, name), aside);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return;
    throw error;
  }
  try {
    rmSync(aside, { recursive: true, force: true });
  } catch {
    /* fenced all the same: left for later */
  }
}

/** Removes the staging directories of this machine's processes that are gone; returns their names. */
export function cleanupStages(stateDir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(join(stateDir, STAGING));
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return [];
    throw error;
  }
  const removed: string[] = [];
  for (const name of names) {
    const match = /^([0-9a-z]+)\.(\d+)\.\d+$/.exec(name);
    if (!match || match[1] !== machineTag() || isAlive(Number(match[2]))) continue;
    rmSync(join(stateDir, STAGING, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

const STAGES = new Set<string>();
let exitHook = false;
function removeAtExit(path: string): void {
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const stage of STAGES) rmSync(stage, { recursive: true, force: true });
    });
  }
  STAGES.add(path);
}
