/**
 * The `--agent` names, in the order `ralph agents` lists them. Kept apart from the adapters so that
 * option parsing does not load every adapter; the registry checks that both lists agree.
 */
export const AGENT_NAMES = ['claude', 'codex', 'gemini', 'opencode', 'aider', 'amp', 'cursor', 'copilot'] as const;

export const DEFAULT_AGENT = 'claude';
