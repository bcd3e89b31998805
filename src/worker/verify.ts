import type { AgentInvocation } from '../agents/agent.js';
import type { Logger } from '../process/log.js';
import { runProcess } from '../process/run.js';
import type { VerifyRecord } from '../queue/verify.js';
import { redact } from '../redact/process.js';
import { logLine } from '../redact/sanitize.js';

/** `--verify CMD` and `--verify-timeout`. */
export interface VerifySettings {
  command: string;
  timeoutMs: number;
}

/** The most of the verifier's output kept on the task (its last lines). */
const OUTPUT_LINES = 20;
const OUTPUT_CHARS = 4000;

/**
 * Runs the task's check after its agent finished: `/bin/sh -c CMD` (the user's command, as
 * --agent-cmd is; the task reaches it only through the environment), in the agent's directory and
 * environment, in its own process group (killed whole at the timeout or a stop). Each line goes to
 * the worker log; the last ones, redacted, to the record. `interrupted`: stopped by shutdown.
 */
export async function runVerify(
  settings: VerifySettings,
  agent: Pick<AgentInvocation, 'env' | 'cwd'>,
  options: { baseEnv: NodeJS.ProcessEnv; graceMs: number; signal: AbortSignal; log: Logger; taskId: string },
): Promise<{ record: VerifyRecord; interrupted: boolean }> {
  options.log.info(`task ${options.taskId}: verifying with ${settings.command}`);
  const output = await runProcess(
    { command: '/bin/sh', args: ['-c', settings.command], env: agent.env, stdin: '', cwd: agent.cwd },
    {
      timeoutMs: settings.timeoutMs,
      graceMs: options.graceMs,
      signal: options.signal,
      baseEnv: options.baseEnv,
      onLine: (stream, line) => options.log.info(`[verify ${stream === 'stdout' ? 'out' : 'err'}] ${logLine(redact(line))}`),
    },
  );
  const lines = redact(output.combinedTail).trimEnd().split('\n').slice(-OUTPUT_LINES).join('\n');
  const record: VerifyRecord = {
    command: settings.command,
    ok: output.exitCode === 0 && !output.timedOut && !output.interrupted,
    exit_code: output.exitCode,
    signal: output.signal,
    duration_ms: output.durationMs,
    ...(output.timedOut ? { timed_out: true } : {}),
    output: output.spawnError ? `could not start /bin/sh: ${output.spawnError.message}` : lines.slice(-OUTPUT_CHARS),
  };
  options.log.info(
    `task ${options.taskId}: verify ${record.ok ? 'passed' : 'failed'} (${output.timedOut ? 'timed out' : `exit ${output.exitCode ?? output.signal}`}, ${output.durationMs} ms)`,
  );
  return { record, interrupted: output.interrupted && !output.timedOut };
}
