import type { AgentAdapter } from '../agents/agent.js';
import type { RalphEvent } from '../events/run-events.js';
import type { Git } from '../git/git.js';
import type { PolicyOptions } from './policies.js';
import type { Workflow } from './workflow.js';
import type { RouterOptions } from './router-options.js';
import type { Actor, Self } from './sync-state.js';

export interface LoopOptions {
  actor: Actor;
  /** The repository (the current directory). */
  cwd: string;
  agent: AgentAdapter;
  /** The prompt file, and its short name for log names (`main`, `debug`, `supervisor`). */
  promptPath: string;
  promptName: string;
  /** --branch; required with sync, defaults to the current branch otherwise. */
  branch?: string;
  syncViaGit: boolean;
  loops: number;
  pollMs: number;
  maxWaitMs?: number;
  leaseMs: number;
  agentTimeoutMs?: number;
  /** `--idle-timeout`: the agent is killed as hung once silent this long. */
  agentIdleMs?: number;
  graceMs: number;
  logdir: string;
  verbose: boolean;
  heartbeatMs?: number;
  policies: PolicyOptions;
  /** Galph: recover from a pull blocked by local changes (submodules, tracked outputs, docs). */
  prepullRecovery: boolean;
  /** `--workflow` / `--review-every`: which prompt each turn runs (workflow.ts); absent: the actor's own, always. */
  workflow?: Workflow;
  /** `--prompt-heartbeat-secs`: while the agent prints nothing, a line says so this often (undefined: never). */
  promptHeartbeatMs?: number;
  /** `--tolerate-doc-dirty`: dirty tracked files outside every auto-commit policy are reported, and the turn handed over all the same. */
  tolerateDirty?: boolean;
  /** `--agent-role` / `--agent-prompt`: another agent than `agent` for a turn of this role running this prompt. */
  agentFor?: (actor: Actor, promptName: string) => AgentAdapter | undefined;
  /** `--prompts-dir`: where the prompts are (default `prompts/` of the repository). */
  promptsDir?: string;
  /** `--router-prompt`: an agent run before a turn names the prompt it runs (router.ts). */
  router?: RouterOptions;
  /** `ralph pair --no-git`: nothing committed at all; `--commit-dry-run`: what would be is only said. Default: commit. */
  commits?: 'yes' | 'no' | 'dry-run';
  /** Console output (state changes, agent output). */
  print: (line: string) => void;
  /** Told each event for `--on-event` (turn-finished, lease-expired); never waits. */
  emit?: (event: RalphEvent) => void;
  signal?: AbortSignal;
}

export interface LoopSummary {
  turns: number;
  failed: boolean;
}

/** What a loop's parts share while it runs: its options, the branch it works on, its clone, and itself as a turn holder. */
export type LoopContext = LoopOptions & { branch: string; git: Git; self: Self };
