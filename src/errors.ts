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

  constructor(file: string, problem: string, options: { cause?: unknown; fix?: string } = {}) {
    const fix = options.fix ?? 'repair it by hand, restore it from a backup, or move it away and start again with `ralph run --reset`';
    super('RALPH_CORRUPT_STATE', `${file} is not a valid Ralph state file (${problem}). It was left untouched: ${fix}.`, options);
    this.file = file;
  }
}

export class StateMissingError extends RalphError {
  constructor(dir: string) {
    super('RALPH_NO_QUEUE', `No queue at ${dir}/work-queue.json. Create one with \`ralph init\` or \`ralph run --tasks FILE\`.`);
  }
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
