import type { FailureReason } from '../queue/types.js';
import type { ProcessOutput } from './agent.js';
import { composeCause, diagnoseLines, excerptLines, labelOf } from './cause.js';
import type { Diagnosis } from './cause.js';

const TAIL_LINES = 10;

/** What an adapter knows about the output besides the process facts. */
export interface FailureContext {
  /** One output line as the worker log shows it (an adapter's stream-event renderer). */
  render?: (line: string) => string | undefined;
  /** What the adapter read from its CLI's structured output. */
  diagnosis?: Diagnosis;
}

/**
 * Why a process run failed, or undefined when it succeeded. Pure. The error's first line is the
 * one-line cause ("agent exited with code 3: boom", "API unreachable — timed out after 30s
 * (--task-timeout): …"); the last output lines, made readable, follow it.
 */
export function describeFailure(
  output: ProcessOutput,
  timeoutMs: number | undefined,
  timeoutFlag = '--task-timeout',
  context: FailureContext = {},
): { reason: FailureReason; error: string } | undefined {
  if (output.spawnError) {
    const tooBig =
      (output.spawnError as NodeJS.ErrnoException).code === 'E2BIG'
        ? ' (its arguments and environment are too large for the system: a long prompt passed as an argument, or a large variable; large task data is in RALPH_TASK_DATA_FILE only)'
        : '';
    return { reason: 'spawn', error: `could not start the agent: ${output.spawnError.message}${tooBig}` };
  }
  const lines = excerptLines(output.combinedTail, context.render, TAIL_LINES);
  if (output.idleMs !== undefined) {
    const cause = causeFromOutput(
      `printed nothing for ${formatSeconds(output.idleMs)} (--idle-timeout): taken for hung`,
      lines,
      context.diagnosis,
      'last output: ',
    );
    return { reason: 'idle-timeout', error: withExcerpt(cause, lines, `its process group was killed${output.signal ? ` (${output.signal})` : ''}`) };
  }
  if (output.timedOut) {
    const after = timeoutMs === undefined ? '' : ` after ${formatSeconds(timeoutMs)}`;
    const cause = causeFromOutput(`timed out${after} (${timeoutFlag})`, lines, context.diagnosis, 'last output: ');
    return { reason: 'timeout', error: withExcerpt(cause, lines, `its process group was killed${output.signal ? ` (${output.signal})` : ''}`) };
  }
  if (output.signal)
    return { reason: 'signal', error: withExcerpt(causeFromOutput(`agent was killed by ${output.signal}`, lines, context.diagnosis, 'last output: '), lines) };
  if (output.exitCode !== 0)
    return { reason: 'exit', error: withExcerpt(causeFromOutput(`agent exited with code ${output.exitCode}`, lines, context.diagnosis, ''), lines) };
  return undefined;
}

/**
 * An agent CLI that said its run failed (`is_error`, an error event): its own message, named where
 * the adapter or the rules can ("auth failure — claude reported an error: Invalid API key · …").
 */
export function describeAgentError(agent: string, output: ProcessOutput, message: string | undefined, context: FailureContext = {}): string {
  const code = output.exitCode === 0 || output.exitCode === null ? '' : ` (exit code ${output.exitCode})`;
  const label = context.diagnosis?.label ?? (message === undefined ? undefined : labelOf(message));
  const cause = composeCause(`${agent} reported an error${code}`, label, context.diagnosis?.detail ?? message ?? 'no message');
  return withExcerpt(cause, excerptLines(output.combinedTail, context.render, TAIL_LINES));
}

/** The cause from the adapter's diagnosis, else from the last output line a rule names, else from the last line. */
function causeFromOutput(head: string, lines: readonly string[], diagnosis: Diagnosis | undefined, lastPrefix: string): string {
  const named = diagnoseLines(lines);
  const last = lines.at(-1);
  if (diagnosis) return composeCause(head, diagnosis.label, diagnosis.detail ?? named?.line ?? last);
  if (named) return composeCause(head, named.label, named.line);
  return last === undefined ? `${head} (no output)` : composeCause(head, undefined, `${lastPrefix}${last}`);
}

/** The cause, a note, then the excerpt (left out when it is the one line the cause already quotes). */
function withExcerpt(cause: string, lines: readonly string[], note?: string): string {
  const parts = [cause];
  if (note) parts.push(note);
  const quoted = lines.length === 1 && cause.endsWith(lines[0]!);
  if (lines.length > 0 && !quoted) parts.push(`last output:\n${lines.join('\n')}`);
  return parts.join('\n');
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
}
