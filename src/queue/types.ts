/** The four task states of the original design; extra fields are allowed on every record. */
export type TaskStatus = 'pending' | 'claimed' | 'completed' | 'failed';

export const TASK_STATUSES: readonly TaskStatus[] = ['pending', 'claimed', 'completed', 'failed'];

/** A task as it is given in a tasks file. */
export interface TaskInput {
  id: string;
  type: string;
  data?: unknown;
  /** Ids of tasks that must be completed before this one may be claimed. */
  depends_on?: string[];
  /** The task's rank in claim order (higher first), over `data.priority`: a prd.json story's is its priority's opposite. */
  priority?: number;
  /** A prd.json story: the file (absolute) whose `passes` is set once the task completes, and the story's fingerprint. */
  prd?: string;
  prd_story?: string;
}

/** A task as it is kept in `.ralph/work-queue.json`. */
export interface Task extends TaskInput {
  status: TaskStatus;
  attempts: number;
  added_at?: string;
  worker_id?: number | null;
  claimed_at?: string;
  lease_expires_at?: string;
  claim_token?: string;
  worker_pid?: number;
  worker_host?: string;
  completed_at?: string;
  failed_at?: string;
  /** Earliest time a requeued task may be claimed again (retry backoff). */
  not_before?: string;
  duration_ms?: number;
  exit_code?: number | null;
  finding?: string;
  error?: string;
  /** Set while claimed when someone asked to stop it (`ralph queue stop`, the dashboard): it then fails, not retried. */
  stop_requested_at?: string;
  [extra: string]: unknown;
}

export interface RunInfo {
  started_at: string;
  ended_at?: string;
  workers: number;
  /** Why the run ended: completed, timeout, signal, budget, usage-limit, workers-exited or cannot-write. */
  stopped_by?: string;
  /** With stopped_by "signal": which one (SIGINT, SIGTERM, SIGHUP). */
  signal?: string;
  tasks_file?: string;
  /** The custom agent's command line, or the agent CLI's name (and model, when chosen). */
  agent_cmd?: string;
  agent?: string;
  model?: string;
  max_cost_usd?: number;
  /** The orchestrator's process, so that a second run can tell this one is alive. */
  pid?: number;
  host?: string;
  /** Peak resident memory of the orchestrator process. */
  max_rss_kb?: number;
  /** When the run last said it is alive (a run on a database's queue, every few seconds): how other hosts tell it is gone. */
  heartbeat_at?: string;
  /** `--isolate worktree`: the base branch, the merge mode and the conflict policy. */
  isolate?: 'worktree';
  base?: string;
  merge?: string;
  on_conflict?: string;
  /** The git remote the base branch is on, when workers of several machines share it (`--remote`). */
  remote?: string;
  /**
   * The run's settings that the next run of this queue uses when nothing else gives them (by
   * setting key, as in ralph.config.json; defaults left out; secrets redacted): see config/last-run.ts.
   */
  settings?: Record<string, unknown>;
}

/** What an agent CLI reported about one run (absent for a plain --agent-cmd). */
export interface AgentUsage {
  agent?: string;
  model?: string;
  cost_usd?: number;
  /** cost_usd is Ralph's estimate from the tokens and its price table (the agent reported no cost). */
  cost_estimated?: boolean;
  tokens?: { input?: number; output?: number; cache_read?: number; cache_write?: number; reasoning?: number; total?: number };
  session_id?: string;
}

/** A usage limit one worker ran into: every worker holds off claiming until `until`. */
export interface UsageLimitNote {
  agent: string;
  message: string;
  /** When the agent said it lifts, if it did. */
  resets_at?: string;
  /** When claiming starts again (reset plus margin, or the fallback wait). */
  until: string;
  noticed_at: string;
  worker_id: number;
}

/** Why workers stopped claiming for good in this run. */
export interface ClaimStop {
  reason: 'budget' | 'usage-limit';
  at: string;
  detail: string;
  /** A usage limit's reset time, when the agent gave one. */
  resets_at?: string;
}

/** Queue-level fields besides the tasks. */
export interface QueueMeta {
  active: boolean;
  worker_count: number;
  run?: RunInfo;
  /** Some task was added with `depends_on`: claims look at dependencies, and a completion wakes idle workers. */
  dependencies?: boolean;
  /** Some task came from a prd.json (`--prd`): a run marks its story as passing once it completes. */
  prd?: boolean;
  /** Sum of cost_usd over every recorded agent run (findings and issues), estimates included. */
  cost_usd?: number;
  /** Some of cost_usd is Ralph's estimate from tokens (the agent reported no cost). */
  cost_estimated?: boolean;
  /** Agent runs that counted tokens but whose cost is unknown (none reported, the model not priced): not in cost_usd. */
  cost_unknown?: number;
  /** null clears it (a journal line cannot carry undefined). */
  usage_limit?: UsageLimitNote | null;
  /** Set when claiming stopped for good; a new `ralph run` clears it (null). */
  stop?: ClaimStop | null;
  /** Claiming paused by hand (`ralph queue pause`, the dashboard) until resumed; null clears it. */
  paused?: { at: string } | null;
}

export interface Finding extends AgentUsage {
  task_id: string;
  worker_id: number;
  finding: string;
  timestamp: string;
  duration_ms: number;
  exit_code: number | null;
  attempt: number;
  [extra: string]: unknown;
}

export interface Issue extends AgentUsage {
  task_id: string;
  worker_id: number;
  error: string;
  reason: FailureReason;
  timestamp: string;
  attempt: number;
  exit_code: number | null;
  signal: string | null;
  duration_ms: number;
  /** What happened to the task: it failed for good, went back to pending for another try, or was put back uncounted (usage limit). */
  outcome: 'failed' | 'requeued' | 'deferred';
  [extra: string]: unknown;
}

export type FailureReason =
  | 'exit'
  | 'timeout'
  | 'idle-timeout'
  | 'spawn'
  | 'signal'
  | 'lease-expired'
  | 'worker-died'
  | 'usage-limit'
  | 'agent-error'
  | 'merge-conflict'
  | 'git'
  | 'verify'
  | 'no-changes'
  | 'dependency-failed';

/** The whole state of a queue directory, as the workers see it. */
export interface QueueState {
  tasks: Task[];
  meta: QueueMeta;
  findings: Finding[];
  issues: Issue[];
}

export type StatusCounts = Record<TaskStatus, number>;
