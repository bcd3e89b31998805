import { InputError } from '../errors.js';
import type { AgentAdapter } from './agent.js';
import type { OwnValues } from './own-flags.js';
import { CommandAgent } from './command.js';
import type { PriceList } from './prices.js';
import { DEFAULT_PERMISSIONS } from './permissions.js';

/** What the user chose on the command line about the agent; the chosen CLI's own options (own-flags.ts) among them. */
export interface AgentChoice extends OwnValues {
  /** `--agent-cmd`: the custom agent (a shell command line); wins over `agent`. */
  agentCmd?: string;
  /** `--agent NAME` (default claude). */
  agent?: string;
  agentBin?: string;
  model?: string;
  /** `--agent-args "…"`: split shell-style and appended. */
  agentArgs?: string;
  /** `--permissions auto|edit|read-only` (default auto): what the agent may do, mapped to its CLI's flags. */
  permissions?: string;
}

/** What the caller adds: the timeout (and the flag that set it, for messages), the environment, the user's prices. */
export interface AgentExtra {
  timeoutMs?: number;
  timeoutFlag?: string;
  env?: NodeJS.ProcessEnv;
  /** `prices`: model prices over the shipped table, for the CLIs that report no cost. */
  prices?: PriceList;
}

/** The `--agent-cmd` adapter when that is the choice; undefined when an agent CLI is chosen. */
export function commandAgentFor(choice: AgentChoice, extra: AgentExtra = {}): AgentAdapter | undefined {
  if (choice.agentCmd === undefined) return undefined;
  if (choice.agent !== undefined && choice.agent !== 'command') {
    throw new InputError(`give either --agent ${choice.agent} or --agent-cmd, not both`);
  }
  // Ralph cannot hold an arbitrary command to a level: it refuses rather than promise one.
  if (choice.permissions !== undefined && choice.permissions !== DEFAULT_PERMISSIONS) {
    throw new InputError(
      `--permissions ${choice.permissions}: cannot be enforced on --agent-cmd (your command decides what its agent may do); use --permissions ${DEFAULT_PERMISSIONS}, or one of the agent CLIs (ralph agents)`,
    );
  }
  return new CommandAgent(choice.agentCmd, {
    ...(extra.timeoutMs === undefined ? {} : { timeoutMs: extra.timeoutMs }),
    ...(extra.timeoutFlag === undefined ? {} : { timeoutFlag: extra.timeoutFlag }),
  });
}
