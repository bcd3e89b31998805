/** Every error Ralph expects carries a stable code and a message that says what to do. */
export class RalphError extends Error {
  readonly code: string;
  /** The process exit code the CLI uses for this error. */
  readonly exitCode: number;

  constructor(code: string, message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = options.exitCode ?? 2;
  }
}

/** Bad flags or a bad tasks file: nothing was changed. */
export class InputError extends RalphError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('RALPH_BAD_INPUT', message, options);
  }
}

/** A state file that cannot be read as what it should be. It is never overwritten. */
export class CorruptStateError extends RalphError {
  readonly file: string;

  constructor(file: string, problem: string, options: { cause?: unknown; fix?: string; message?: string } = {}) {
    const fix =
      options.fix ??
      'repair it by hand or restore it from a backup; or start over with `ralph run --reset` (with your usual flags; it keeps the damaged files as *.corrupt-<time>)';
    super('RALPH_CORRUPT_STATE', options.message ?? `${file} is not a valid Ralph state file (${problem}). It was left untouched: ${fix}.`, options);
    this.file = file;
  }

  /** State files that are each readable but do not go together; `problem` names them. */
  static mismatch(file: string, problem: string, fix: string): CorruptStateError {
    return new CorruptStateError(file, problem, { fix, message: `${problem}. Nothing was applied or changed: ${fix}.` });
  }
}

/**
 * The command needs a git repository and the directory is not in one: the same error (exit 2, nothing
 * done) from every command, with a hint for the command at hand.
 */
export class NotAGitRepositoryError extends RalphError {
  constructor(cwd: string, gitSaid: string, hint: string) {
    super('RALPH_NOT_GIT', `${cwd} is not inside a git repository${gitSaid ? ` (${gitSaid})` : ''}. ${hint}`);
  }
}

/** git itself cannot be run (not installed, not on PATH): exit 2, nothing done. */
export class NoGitError extends RalphError {
  constructor(cause: unknown) {
    super('RALPH_NO_GIT', `could not run git (${errorMessage(cause)}); install git, or put it on PATH.`, { cause });
  }
}

export class StateMissingError extends RalphError {
  /** `dir`: a state directory; or `database`, a queue in a database as it may be shown (no password). */
  constructor(dir: string, database?: string) {
    super(
      'RALPH_NO_QUEUE',
      database === undefined
        ? `No queue at ${dir}/work-queue.json. Create one with \`ralph init\` or \`ralph run --tasks FILE\`.`
        : `No ${database}. Create it with \`ralph queue init --queue URL\` or \`ralph run --queue URL --tasks FILE\`.`,
    );
  }
}

/** Why a write to the state directory failed, by errno: what it means, and what the user does. */
const WRITE_PROBLEMS: Record<string, { what: string; fix: string }> = {
  ENOSPC: { what: 'no space left on device', fix: 'free some space' },
  EDQUOT: { what: 'disk quota exceeded', fix: 'free some space or raise the quota' },
  EFBIG: { what: 'file too large', fix: 'raise the file-size limit (`ulimit -f`) or free space' },
  EIO: { what: 'I/O error', fix: 'check the disk (`dmesg`), free or repair it' },
  EROFS: { what: 'read-only file system', fix: 'remount it read-write or pass --dir on a writable file system' },
  EACCES: { what: 'permission denied', fix: 'make it writable for this user or pass another --dir' },
  EPERM: { what: 'operation not permitted', fix: 'make it writable for this user or pass another --dir' },
};

/** The errno codes that mean "the state directory cannot be written now", not a bug. */
export const WRITE_ERRNOS: readonly string[] = Object.keys(WRITE_PROBLEMS);

/** What a write failure with `errno` means, and what the user does about it. */
export function writeProblem(errno: string): { what: string; fix: string } {
  return WRITE_PROBLEMS[errno] ?? { what: 'write failed', fix: 'fix the cause' };
}

/**
 * A state file could not be written (full disk, quota, file-size limit, I/O error, read-only file
 * system, permissions). Whatever was being written was not renamed into place: the files hold the
 * last good state.
 */
export class StateWriteError extends RalphError {
  readonly path: string;
  readonly errno: string;
  /**
   * For a run that had started: how it ended (the run's summary, which errors.ts at the bottom of the
   * layers does not know the type of), for its final lines, and whether its report was written.
   */
  ended?: { summary: unknown; reportWritten: boolean };

  constructor(path: string, errno: string, options: { cause?: unknown; exitCode?: number } = {}) {
    const problem = writeProblem(errno);
    super(
      'RALPH_STATE_WRITE',
      `cannot write ${path}: ${problem.what} (${errno}). The state files keep the last good state; ${problem.fix}, then \`ralph run\` resumes where it stopped.`,
      options,
    );
    this.path = path;
    this.errno = errno;
  }

  /** The same error for a run that had started (exit 1), with how it ended when that is known. */
  duringRun(ended?: { summary: unknown; reportWritten: boolean }): StateWriteError {
    const error = new StateWriteError(this.path, this.errno, { cause: this.cause, exitCode: 1 });
    if (ended) error.ended = ended;
    return error;
  }
}

/** `error` as a StateWriteError naming `path` when its errno says the state could not be written; else as it was. */
export function asWriteError(error: unknown, path: string): unknown {
  if (error instanceof RalphError) return error;
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && code in WRITE_PROBLEMS ? new StateWriteError(path, code, { cause: error }) : error;
}

export class LockTimeoutError extends RalphError {
  constructor(lockPath: string, holder: string) {
    super('RALPH_LOCK_TIMEOUT', `Timed out waiting for ${lockPath}, held by ${holder}. If that process is gone, run \`ralph unlock\`.`, { exitCode: 1 });
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function isErrno(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as NodeJS.ErrnoException).code === code;
}
