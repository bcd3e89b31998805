import { split } from 'shlex';
export type { AgentChoice, AgentExtra } from './choice.js';
import { InputError } from '../errors.js';
import { AGENT_NAMES, DEFAULT_AGENT } from './names.js';
import type { AgentName } from './names.js';
import type { AgentAdapter } from './agent.js';
import { aider } from './adapters/aider.js';
import { amp } from './adapters/amp.js';
import { CliAgent, findBinary } from './cli-agent.js';
import type { BinaryLookup } from './cli-agent.js';
import type { AgentOptions, CliSpec } from './cli-spec.js';
import { commandAgentFor } from './choice.js';
import type { AgentChoice, AgentExtra } from './choice.js';
import { claude } from './adapters/claude.js';
import { codex } from './adapters/codex.js';
import { copilot } from './adapters/copilot.js';
import { cursor } from './adapters/cursor.js';
import { gemini } from './adapters/gemini.js';
import { opencode } from './adapters/opencode.js';
import { ownValues } from './own-flags.js';
import { permissionLevel, permissionProblem } from './permissions.js';

// One entry per name in names.ts (the compiler holds them to each other: a missing or extra adapter does not build).
const BY_NAME = { claude, codex, gemini, opencode, aider, amp, cursor, copilot } satisfies Record<AgentName, CliSpec>;

/** Every agent CLI ralph knows, by `--agent` name, in the order `ralph agents` lists them. */
export const AGENTS: readonly CliSpec[] = AGENT_NAMES.map((name) => BY_NAME[name]);

export function agentSpec(name: string): CliSpec {
  const spec = AGENTS.find((a) => a.name === name);
  if (!spec) throw new InputError(`unknown agent "${name}"; known: ${AGENT_NAMES.join(', ')} (or --agent-cmd for your own command)`);
  return spec;
}

/** Splits `--agent-args` like a POSIX shell would (quotes, escapes), without running one. */
export function splitAgentArgs(text: string | undefined): string[] {
  if (text === undefined || text.trim() === '') return [];
  try {
    return split(text);
  } catch (error) {
    throw new InputError(`--agent-args ${JSON.stringify(text)}: ${(error as Error).message}`);
  }
}

/** The adapter the user chose: their own command line, or one of the agent CLIs. */
export function createAgent(choice: AgentChoice, extra: AgentExtra = {}): AgentAdapter {
  const custom = commandAgentFor(choice, extra);
  if (custom) return custom;
  const spec = agentSpec(choice.agent ?? DEFAULT_AGENT);
  const permissions = permissionLevel(choice.permissions);
  const problem = permissionProblem(spec.title, permissions, (level) => spec.permissions(level, { isRoot: false }));
  if (problem) throw new InputError(problem);
  const options: AgentOptions = { extraArgs: splitAgentArgs(choice.agentArgs) };
  if (choice.permissions !== undefined) options.permissions = permissions;
  if (choice.agentBin !== undefined) options.bin = choice.agentBin;
  if (choice.model !== undefined) options.model = choice.model;
  const own = ownValues(choice);
  if (own) options.own = own;
  return new CliAgent(spec, options, extra);
}

/** `ralph agents`: each adapter and whether its binary is found. */
export function listAgents(env: NodeJS.ProcessEnv, cwd: string): Array<{ spec: CliSpec; lookup: BinaryLookup }> {
  return AGENTS.map((spec) => ({ spec, lookup: findBinary(spec, undefined, env, cwd) }));
}
