/**
 * The `--agent` names, in the order `ralph agents` lists them. Kept apart from the adapters so that
 * option parsing does not load every adapter; registry.ts maps each name to its adapter.
 */
export const AGENT_NAMES = ['claude', 'codex', 'gemini', 'opencode', 'aider', 'amp', 'cursor', 'copilot'] as const;

export type AgentName = (typeof AGENT_NAMES)[number];

export const DEFAULT_AGENT: AgentName = 'claude';
