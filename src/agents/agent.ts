import type { ProcessInvocation, ProcessOutput } from '../process/run.js';
import type { AgentUsage, FailureReason } from '../queue/types.js';
import type { Tokens } from './cli-spec.js';
import type { UsageLimitInfo } from './usage-limit.js';

/** What an adapter is told about the task it runs. */
export interface AgentContext {
  task: { id: string; type: string; data: unknown; attempt: number };
  prompt: string;
  promptFile: string;
  /** A file holding the task's `data` as JSON (`RALPH_TASK_DATA_FILE`), where the worker wrote one. */
  dataFile?: string;
  workerId: number;
  stateDir: string;
  cwd: string;
  /**
   * Where Ralph was started, when the agent runs elsewhere (a worktree): a custom command's
   * relative path (`./my-agent.sh`) means the file there, as the user saw it when typing it.
   */
  launchDir?: string;
}

/** How the agent's process is started (argv, environment, stdin, directory): never a shell string. */
export type AgentInvocation = ProcessInvocation;
export type { ProcessOutput };

/** What the adapter made of it. */
export interface AgentResult {
  ok: boolean;
  text: string;
  finding: string;
  reason?: FailureReason;
  error?: string;
  /** The adapter's name (absent for a plain --agent-cmd). */
  agent?: string;
  model?: string;
  costUsd?: number;
  /** costUsd is Ralph's estimate from the tokens and the price table: the agent reported none. */
  costEstimated?: boolean;
  tokens?: Tokens;
  sessionId?: string;
  /** Set when the agent ran into a usage or rate limit (then `ok` is false). */
  usageLimit?: UsageLimitInfo;
  /**
   * The output holds an explicit result: a `FINDINGS:` line from a command, an agent CLI's
   * successful result. Only such a result counts when the agent was stopped (see resultAfterStop).
   */
  explicit?: boolean;
}

/**
 * One agent CLI. Building the invocation and reading the output are pure; spawning, streaming and
 * timeouts belong to the shared runner (`run-process.ts`).
 */
export interface AgentAdapter {
  readonly name: string;
  /** A one-line description for logs and the report. */
  describe(): string;
  invocation(ctx: AgentContext): AgentInvocation;
  parse(output: ProcessOutput): AgentResult;
  /** A problem that would make every run fail (binary missing…), or undefined. */
  preflight(cwd: string): string | undefined;
  /** Why `--max-cost-usd` may count nothing of this agent's runs (no cost reported, none estimated), or undefined. */
  budgetNote?(): string | undefined;
  /** One output line as the worker log shows it; undefined: as it is; '': left out. */
  renderLine?(stream: 'stdout' | 'stderr', line: string): string | undefined;
}

/**
 * Whether the result of an agent that was stopped (shutdown: SIGTERM, then SIGKILL after the grace
 * period) is recorded anyway: it finished its turn within the grace period, that is it exited by
 * itself with code 0 and an explicit result. Anything else (killed, an error, nothing to show) goes
 * back to pending. Pure.
 */
export function resultAfterStop(output: ProcessOutput, result: AgentResult): boolean {
  return (
    output.interrupted &&
    !output.timedOut &&
    output.spawnError === undefined &&
    output.exitCode === 0 &&
    output.signal === null &&
    result.ok &&
    result.explicit === true
  );
}

/** The facts of a result that go into results.json (snake_case), only those known. */
export function usageOf(result: AgentResult): AgentUsage | undefined {
  const usage = {
    ...(result.agent === undefined ? {} : { agent: result.agent }),
    ...(result.model === undefined ? {} : { model: result.model }),
    ...(result.costUsd === undefined ? {} : { cost_usd: result.costUsd }),
    ...(result.costUsd !== undefined && result.costEstimated ? { cost_estimated: true } : {}),
    ...(result.tokens === undefined ? {} : { tokens: result.tokens }),
    ...(result.sessionId === undefined ? {} : { session_id: result.sessionId }),
  };
  return Object.keys(usage).length === 0 ? undefined : usage;
}

/**
 * The largest `data` (as JSON, in bytes) also passed in `RALPH_TASK_DATA`. Linux refuses to start
 * a program with one variable over 128 KiB, or all of them with its arguments over about 2 MiB
 * (E2BIG); larger data is in `RALPH_TASK_DATA_FILE` only.
 */
export const TASK_DATA_ENV_MAX = 64 * 1024;

/** The variables every agent gets, whatever the adapter. */
export function ralphEnv(ctx: AgentContext): Record<string, string> {
  const data = JSON.stringify(ctx.task.data ?? null);
  return {
    RALPH_TASK_ID: ctx.task.id,
    RALPH_TASK_TYPE: ctx.task.type,
    ...(Buffer.byteLength(data) <= TASK_DATA_ENV_MAX ? { RALPH_TASK_DATA: data } : {}),
    ...(ctx.dataFile === undefined ? {} : { RALPH_TASK_DATA_FILE: ctx.dataFile }),
    RALPH_WORKER_ID: String(ctx.workerId),
    RALPH_ATTEMPT: String(ctx.task.attempt),
    RALPH_PROMPT_FILE: ctx.promptFile,
    RALPH_DIR: ctx.stateDir,
  };
}
