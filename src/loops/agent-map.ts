import type { Actor } from './sync-state.js';

/**
 * Agents per role and per prompt for the loops (`--agent-role supervisor=claude,engineer=codex`,
 * `--agent-prompt reviewer.md=claude`, and the same maps in the config file). Pure.
 */
/** An agent (an adapter's name) per role or prompt name. */
export type AgentMap = Record<string, string>;

const ROLE_NAMES: Record<string, Actor> = { supervisor: 'galph', galph: 'galph', engineer: 'ralph', ralph: 'ralph' };

/** A role map's agent for `actor` (its keys: supervisor or galph, engineer or ralph). */
function roleAgent(map: AgentMap | undefined, actor: Actor): string | undefined {
  if (!map) return undefined;
  for (const [key, agent] of Object.entries(map)) if (ROLE_NAMES[key.toLowerCase()] === actor) return agent;
  return undefined;
}

/** A prompt map's agent for prompt `name` (its keys: `reviewer`, `reviewer.md` or `prompts/reviewer.md`). */
function promptAgent(map: AgentMap | undefined, name: string): string | undefined {
  if (!map) return undefined;
  for (const [key, agent] of Object.entries(map)) if (key.replace(/^.*\//, '').replace(/\.md$/, '') === name) return agent;
  return undefined;
}

export interface AgentMaps {
  cliPrompts?: AgentMap;
  cliRoles?: AgentMap;
  configPrompts?: AgentMap;
  configRoles?: AgentMap;
}

/**
 * The agent (an adapter's name) for `actor`'s turn running prompt `name`, or undefined: the default
 * one. The prompt map on the command line comes first, then the role map there, then the prompt
 * map of the config file, then its role map.
 */
export function agentFor(actor: Actor, name: string, maps: AgentMaps): string | undefined {
  return promptAgent(maps.cliPrompts, name) ?? roleAgent(maps.cliRoles, actor) ?? promptAgent(maps.configPrompts, name) ?? roleAgent(maps.configRoles, actor);
}
