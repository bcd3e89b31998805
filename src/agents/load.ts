import type { AgentAdapter } from './agent.js';
import { commandAgentFor } from './choice.js';
import type { AgentChoice, AgentExtra } from './choice.js';

/**
 * `createAgent` for a process that starts often (a worker): the agent CLI adapters are loaded only
 * when one of them is chosen, not for `--agent-cmd`.
 */
export async function loadAgent(choice: AgentChoice, extra: AgentExtra = {}): Promise<AgentAdapter> {
  return commandAgentFor(choice, extra) ?? (await import('./registry.js')).createAgent(choice, extra);
}
