// What the dashboard's server sends (src/report/status.ts, src/queue/types.ts): the fields the page shows.

export type TaskStatus = 'pending' | 'claimed' | 'completed' | 'failed';

export interface WorkerView {
  worker_id: number;
  status: string;
  alive: boolean;
  pid: number;
  host: string;
  current_task: string | null;
  heartbeat_age_ms: number;
  task_age_ms?: number;
  last_output?: string;
  last_output_age_ms?: number;
}

export interface StatusView {
  dir: string;
  queue?: string;
  total: number;
  counts: Record<TaskStatus, number>;
  active: boolean;
  run: { started_at: string; ended_at?: string; stopped_by?: string; max_cost_usd?: number; workers: number } | null;
  cost_usd: number;
  workers: WorkerView[];
  stop: { reason: string; detail: string; at: string } | null;
  usage_limit: { agent: string; message: string; until: string } | null;
  paused_at: string | null;
}

export interface LoopsView {
  path: string;
  branch?: string;
  problem?: string;
  lease_expired: boolean;
  state?: {
    iteration: number;
    expected_actor: string;
    status: string;
    last_update: string | null;
    lease_expires_at: string | null;
    galph_commit: string | null;
    ralph_commit: string | null;
    holder: { host: string; pid: number; since: string } | null;
  };
}

/** One iteration of the loops, from its summary (src/loops/recent.ts IterationView). */
export interface IterationView {
  actor: 'galph' | 'ralph';
  iteration: number;
  file: string;
  prompt?: string;
  started?: string;
  duration?: string;
  result?: string;
  agent?: string;
  finding?: string;
  commit?: { sha: string; subject: string; status?: 'ok' | 'fail' };
}

export interface Snapshot {
  at: string;
  status: StatusView | null;
  loops: LoopsView | null;
}

export interface Task {
  id: string;
  type: string;
  status: TaskStatus;
  attempts: number;
  worker_id?: number | null;
  worker_host?: string;
  claimed_at?: string;
  completed_at?: string;
  failed_at?: string;
  duration_ms?: number;
  finding?: string;
  error?: string;
  last_error?: string;
  data?: unknown;
  agent?: string;
  model?: string;
  cost_usd?: number;
  tokens?: Record<string, number>;
  branch?: string;
  commit?: string;
  merge?: string;
  merged_into?: string;
  files_changed?: string[];
  conflict_paths?: string[];
}

export interface Issue {
  attempt: number;
  timestamp: string;
  reason: string;
  outcome?: string;
  error: string;
  worker_id: number;
}

export interface Finding {
  attempt?: number;
  timestamp: string;
  finding: string;
  worker_id: number;
}

export interface TaskDetail {
  task: Task;
  findings: Finding[];
  issues: Issue[];
}

export interface LogLine {
  time: string;
  worker: number;
  stream: 'out' | 'err' | null;
  text: string;
}
