import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { configLayer } from '../../config/file.js';
import { parseAgentMap } from '../../config/parsers.js';
import { RalphError } from '../../errors.js';
import { agentFor } from '../../loops/agent-map.js';
import type { AgentMap, AgentMaps } from '../../loops/agent-map.js';
import type { LoopOptions } from '../../loops/loop.js';
import { mapOrchestration } from '../../loops/orchestration-yaml.js';
import { ROUTER_MODES } from '../../loops/router.js';
import type { RouterMode } from '../../loops/router.js';
import type { Actor } from '../../loops/sync-state.js';
import { WORKFLOWS } from '../../loops/workflow.js';
import type { WorkflowName } from '../../loops/workflow.js';
import { oneLine } from '../../redact/sanitize.js';
import { note } from '../output.js';
import { loopAgent, runLoopCommand } from './loop-options.js';
import { runLoop } from '../../loops/loop.js';
import type { PolicyOptions } from '../../loops/policies.js';
import type { ExitCode } from '../main.js';
import type { LoopFlags } from './loop-options.js';

/** The loops' settings beyond their flags: agents per role and prompt, and the design's orchestration.yaml. */

/**
 * The agents of `--agent-role` and `--agent-prompt` (from the command line, then the config file),
 * made once each and checked before anything starts; undefined when neither is given. A role in
 * `fixed` (ralph pair's --supervisor-cmd …) keeps its own agent unless a prompt's is named on the command line.
 */
export function agentResolver(f: LoopFlags, command: Command, fixed: readonly Actor[] = []): LoopOptions['agentFor'] {
  const fromCli = (key: 'agentRole' | 'agentPrompt') => (command.getOptionValueSource(key) === 'cli' ? f[key] : undefined);
  // The config file's maps: ralph.config.json's, else orchestration.yaml's (applyOrchestration).
  const file = { ...orchestrationMaps.get(command), ...configLayer(process.cwd())?.values };
  const maps: AgentMaps = {
    ...(fromCli('agentPrompt') ? { cliPrompts: fromCli('agentPrompt') } : {}),
    ...(fromCli('agentRole') ? { cliRoles: fromCli('agentRole') } : {}),
    ...(file?.agentPrompt ? { configPrompts: asMap(file.agentPrompt) } : {}),
    ...(file?.agentRole ? { configRoles: asMap(file.agentRole) } : {}),
  };
  const named = [maps.cliPrompts, maps.cliRoles, maps.configPrompts, maps.configRoles].flatMap((m) => Object.values(m ?? {}));
  if (named.length === 0) return undefined;
  const agents = new Map(named.map((name) => [name, loopAgent(f, { agent: name })]));
  return (actor, promptName) => {
    const name = fixed.includes(actor)
      ? agentFor(actor, promptName, { ...(maps.cliPrompts ? { cliPrompts: maps.cliPrompts } : {}) })
      : agentFor(actor, promptName, maps);
    return name === undefined ? undefined : agents.get(name);
  };
}

/** The agent maps orchestration.yaml gave a command (read by agentResolver as a config file's). */
const orchestrationMaps = new WeakMap<Command, Record<string, unknown>>();

/** The nearest orchestration.yaml from `cwd` up to the home directory (as ralph.config.json is looked for), if any. */
function findOrchestration(cwd: string): string | undefined {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const path = join(dir, 'orchestration.yaml');
    if (existsSync(path)) return path;
    if (dirname(dir) === dir || dir === homedir()) return undefined;
  }
}

/**
 * The settings of the nearest `orchestration.yaml` (the design's implementation's file; see
 * loops/orchestration-yaml.ts) for each option the command line, the environment and
 * ralph.config.json left at its default; a key that means nothing here is said, a bad value refused.
 */
export function applyOrchestration(f: LoopFlags, command: Command): void {
  const path = findOrchestration(process.cwd());
  if (!path) return;
  let mapped: ReturnType<typeof mapOrchestration>;
  try {
    mapped = mapOrchestration(parseYaml(readFileSync(path, 'utf8')));
  } catch (error) {
    throw new RalphError('RALPH_BAD_INPUT', `${path}: ${oneLine((error as Error).message.split('\n')[0] ?? '')}`);
  }
  if (mapped.unknown.length > 0) note(`ralph: ${path}: not used (unknown here): ${mapped.unknown.join(', ')}`);
  const flags = f as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(mapped.values)) {
    const source = command.getOptionValueSource(key);
    if (source !== undefined && source !== 'default') continue;
    // An agent command given anywhere else is the agent: the file's agent name does not join it.
    if (key === 'agent' && command.getOptionValueSource('agentCmd') !== undefined && command.getOptionValueSource('agentCmd') !== 'default') continue;
    if (key === 'agentRole' || key === 'agentPrompt') {
      orchestrationMaps.set(command, { ...orchestrationMaps.get(command), [key]: value });
      continue;
    }
    if (key === 'routerMode' && !ROUTER_MODES.includes(value as RouterMode))
      throw new RalphError('RALPH_BAD_INPUT', `${path}: router.mode: expected one of ${ROUTER_MODES.join(', ')}, got ${JSON.stringify(value)}`);
    if (key === 'workflow' && !WORKFLOWS.includes(value as WorkflowName))
      throw new RalphError('RALPH_BAD_INPUT', `${path}: workflow.name: expected one of ${WORKFLOWS.join(', ')}, got ${JSON.stringify(value)}`);
    command.setOptionValueWithSource(key, value, 'config');
    flags[key] = value;
  }
}

export async function runActor(
  actor: Actor,
  f: LoopFlags,
  promptPath: string,
  promptName: string,
  policies: PolicyOptions,
  setExit: (code: ExitCode) => void,
  command: Command,
): Promise<void> {
  const agent = loopAgent(f);
  await runLoopCommand(
    actor,
    f,
    setExit,
    (base) => runLoop({ ...base, actor, agent, promptPath, promptName, policies, prepullRecovery: actor === 'galph' && f.prepullAutoCommitDocs !== false }),
    agentResolver(f, command),
  );
}

/** A map as the config file gives it: an object, or the `name=agent,…` text. */
function asMap(value: unknown): AgentMap {
  return typeof value === 'string' ? parseAgentMap(value) : (value as AgentMap);
}
