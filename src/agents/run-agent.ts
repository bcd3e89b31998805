import type { AgentAdapter, AgentInvocation, AgentResult, ProcessOutput } from './agent.js';
import { runProcess } from '../process/run.js';
import type { RunProcessOptions } from '../process/run.js';
import { CLAIM_ENV } from '../process/by-token.js';
import { redactResult } from './redact-result.js';

export interface RunAgentOptions extends Omit<RunProcessOptions, 'onLine'> {
  /** The claim's token, put in the agent's environment (CLAIM_ENV) so that its processes can be found later. */
  token: string;
  /** Each line of output as the agent's adapter renders it for people (lines it leaves out never come). */
  onLine?: (stream: 'stdout' | 'stderr', shown: string) => void;
}

/**
 * Runs one agent to its end, for a worker's task and for a loop's turn alike: the process with the
 * claim's token in its environment, its output rendered line by line, and what it printed read into
 * a result with every secret redacted (from here on, nothing sees one).
 */
export async function runAgent(
  agent: AgentAdapter,
  invocation: AgentInvocation,
  options: RunAgentOptions,
): Promise<{ output: ProcessOutput; result: AgentResult }> {
  const { token, onLine, ...run } = options;
  invocation.env[CLAIM_ENV] = token;
  const output = await runProcess(invocation, {
    ...run,
    onLine: (stream, line) => {
      const shown = agent.renderLine?.(stream, line) ?? line;
      if (shown !== '') onLine?.(stream, shown);
    },
  });
  return { output, result: redactResult(agent.parse(output)) };
}
