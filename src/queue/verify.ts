import type { Task } from './types.js';

/**
 * What `--verify CMD` found of one attempt: recorded on the task, its finding or issue, and the
 * report. The output is the verifier's last lines, redacted.
 */
export interface VerifyRecord {
  command: string;
  ok: boolean;
  exit_code: number | null;
  signal: string | null;
  duration_ms: number;
  timed_out?: boolean;
  output: string;
  /** Under `--isolate worktree`: the commit verified and the files it changed. */
  commit?: string;
  files_changed?: string[];
}

/** How a failed check ended: `exit 3`, `killed by SIGKILL`, `timed out (--verify-timeout)`. Pure. */
function howEnded(v: VerifyRecord): string {
  return v.timed_out ? 'timed out (--verify-timeout)' : v.signal ? `killed by ${v.signal}` : `exit ${v.exit_code ?? 'unknown'}`;
}

/** The error of an attempt whose verifier failed: the command, how it ended, its last line. Pure. */
export function verifyError(v: VerifyRecord): string {
  const last = v.output.trimEnd().split('\n').at(-1)?.trim();
  return `verify failed: \`${v.command}\` ${howEnded(v)}${last ? `: ${last}` : ''}`;
}

/** The paragraph added to the prompt of a task redone after its verifier failed: what it said. Pure. */
export function verifyPromptNote(task: Task): string | undefined {
  const v = task.verify as VerifyRecord | undefined;
  if (!v || typeof v !== 'object' || v.ok !== false || typeof v.command !== 'string') return undefined;
  const output = typeof v.output === 'string' ? v.output.trimEnd() : '';
  return `Note: the previous attempt's work did not pass the check \`${v.command}\` (${howEnded(v)}).${output ? ` Its last output:\n\n${output}\n` : ''}\nMake it pass.`;
}
