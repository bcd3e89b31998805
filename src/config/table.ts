// biome-ignore-all lint/style/noExcessiveLinesPerFile: one table of every setting, by design: one entry per flag, kept together so that each is declared once
import { AGENT_NAMES } from '../agents/names.js';
import { ALL_OWN_OPTIONS } from '../agents/own-flags.js';
import { DEFAULT_PERMISSIONS, PERMISSION_LEVELS } from '../agents/permissions.js';
import { nonNegativeInt, parseAgentMap, nonNegativeNumber, nonNegativeSeconds, parsePrices, positiveInt, positiveSeconds } from './parsers.js';
import { CONFLICT_POLICIES, ISOLATE_MODES, MERGE_MODES } from '../queue/isolation.js';

/**
 * Which commands take a setting: `state` every command with `--dir`; `worker` both `ralph run` and
 * `ralph worker` (the run passes it on to its workers); `run` only `ralph run`; `loop` the supervisor
 * and the engineer; `queue` the commands that work on a queue in a database as well as under `--dir`.
 */
export type Use = 'state' | 'queue' | 'run' | 'worker' | 'loop';

/** How a value is written in the config file (JSON): a flag's or variable's text is parsed to it (an object's is JSON). */
export type Kind = 'number' | 'string' | 'boolean' | 'list' | 'object';

/**
 * One setting, declared once: its flag, environment variable, config key, type and default. The CLI
 * (`addSettings`), the config file's validation, the environment, the last run's record and
 * `ralph config` all read this table.
 */
export interface Setting {
  /** The config file key, and commander's name for the flag's value (the flag in camelCase). */
  key: string;
  /** commander's flags: `--workers <n>`, `--bell`, `--no-color`. */
  flags: string;
  description: string;
  for: readonly Use[];
  kind: Kind;
  /** A flag's or variable's text to the value; throws commander's InvalidArgumentError ("Expected …"). */
  parse?: (text: string) => unknown;
  choices?: readonly string[];
  default?: unknown;
  /** The environment variable that sets it. */
  env?: string;
  /** Recorded in the run (`meta.run.settings`) and used again by the next run of the same queue. */
  remember?: boolean;
  /** Its name in WorkerSettings (what `ralph run` passes on to its workers), when not `key`. */
  field?: string;
  /** A path: one from a config file is relative to that file's directory. */
  path?: boolean;
  /**
   * Part of the agent choice: a layer's (the flags', the file's, the last run's) is used only with
   * the agent that layer chooses, when it chooses one.
   */
  agent?: boolean;
}

const AGENT_USES = ['worker', 'loop'] as const satisfies readonly Use[];

// Typed `as const` so that the types below follow from it; read through SETTINGS.
const TABLE = [
  { key: 'dir', flags: '--dir <dir>', description: 'state directory', for: ['state'], kind: 'string', default: '.ralph', env: 'RALPH_DIR', path: true },
  {
    key: 'queue',
    flags: '--queue <url>',
    description:
      "keep the queue in PostgreSQL (postgres://role:password@host/db) for workers on several machines; --dir then holds only this machine's logs and prompts (docs/postgres.md)",
    for: ['queue'],
    kind: 'string',
    env: 'RALPH_QUEUE',
  },
  {
    key: 'queueName',
    flags: '--queue-name <name>',
    description: 'which queue of the --queue database (several projects can share one)',
    for: ['queue'],
    kind: 'string',
    default: 'default',
    env: 'RALPH_QUEUE_NAME',
  },
  {
    key: 'workers',
    flags: '--workers <n>',
    description: 'worker processes at most: a run starts no more than it has tasks to do, and more (up to this) when tasks are added while it goes',
    for: ['run'],
    kind: 'number',
    parse: positiveInt,
    default: 3,
    env: 'RALPH_WORKERS',
    remember: true,
  },
  {
    key: 'minWorkers',
    flags: '--min-workers <n>',
    description: 'with --max-workers: idle workers are stopped (after --worker-idle-timeout) down to this many',
    for: ['run'],
    kind: 'number',
    parse: positiveInt,
  },
  {
    key: 'maxWorkers',
    flags: '--max-workers <n>',
    description: 'autoscaling: workers start while tasks are pending beyond the busy ones, up to this many (in place of --workers), and idle ones stop',
    for: ['run'],
    kind: 'number',
    parse: positiveInt,
  },
  {
    key: 'workerIdleTimeout',
    flags: '--worker-idle-timeout <seconds>',
    description: 'with --max-workers: an idle worker beyond --min-workers stops after this long',
    for: ['run'],
    kind: 'number',
    parse: positiveSeconds,
    default: 60,
  },
  {
    key: 'timeout',
    flags: '--timeout <seconds>',
    description: 'stop the run after this long; unfinished tasks go back to pending',
    for: ['run'],
    kind: 'number',
    parse: positiveSeconds,
  },
  {
    key: 'agent',
    flags: '--agent <name>',
    description: 'agent CLI to run (default claude unless --agent-cmd is given; see `ralph agents`)',
    for: AGENT_USES,
    kind: 'string',
    choices: AGENT_NAMES,
    env: 'RALPH_AGENT',
    remember: true,
    agent: true,
  },
  {
    key: 'agentCmd',
    flags: '--agent-cmd <cmd>',
    description: 'your own agent command line, run with /bin/sh -c; the prompt arrives on stdin and in $RALPH_PROMPT_FILE',
    for: AGENT_USES,
    kind: 'string',
    env: 'RALPH_AGENT_CMD',
    remember: true,
    agent: true,
  },
  {
    key: 'agentBin',
    flags: '--agent-bin <path>',
    description: "the agent's binary (default: RALPH_<NAME>_BIN, else the usual name on PATH)",
    for: AGENT_USES,
    kind: 'string',
    remember: true,
    agent: true,
  },
  {
    key: 'model',
    flags: '--model <model>',
    description: 'model to ask the agent for',
    for: AGENT_USES,
    kind: 'string',
    env: 'RALPH_MODEL',
    remember: true,
    agent: true,
  },
  {
    key: 'agentArgs',
    flags: '--agent-args <args>',
    description: 'extra arguments for the agent CLI, split like a shell would, appended',
    for: AGENT_USES,
    kind: 'string',
    env: 'RALPH_AGENT_ARGS',
    remember: true,
    agent: true,
  },
  {
    key: 'permissions',
    flags: '--permissions <level>',
    description:
      "what the agent may do: auto (edit files and run commands in the working directory, never asking), edit (edit files, no shell), read-only (neither); mapped to each CLI's own flags (docs/agents.md); a flag in --agent-args that sets the CLI's mode or allows tools replaces those; a level the CLI cannot be held to stops the run before it starts",
    for: AGENT_USES,
    kind: 'string',
    choices: PERMISSION_LEVELS,
    default: DEFAULT_PERMISSIONS,
    env: 'RALPH_PERMISSIONS',
    remember: true,
  },
  // Each agent CLI's own flags, as that CLI declares them (agents/own-flags.ts).
  ...ALL_OWN_OPTIONS.filter((o) => o.flags !== undefined).map(
    (o): Setting => ({ key: o.key, flags: o.flags!, description: o.description, for: AGENT_USES, kind: 'string', remember: true, agent: true }),
  ),
  {
    key: 'redact',
    flags: '--redact <name>',
    description:
      'also redact the value of this environment variable from logs, results, reports and output (repeatable; names like *_KEY, *_TOKEN, *_SECRET, *PASSWORD* are redacted anyway; so are those in RALPH_REDACT=NAME,NAME)',
    for: AGENT_USES,
    kind: 'list',
    default: [],
    remember: true,
  },
  {
    key: 'maxCostUsd',
    flags: '--max-cost-usd <usd>',
    description: 'claim no new task once the recorded cost reaches this (in-flight tasks finish; exit 1)',
    for: ['worker'],
    kind: 'number',
    parse: nonNegativeNumber,
    env: 'RALPH_MAX_COST_USD',
    remember: true,
  },
  {
    key: 'prices',
    flags: '--prices <json>',
    description:
      'model prices in USD per million tokens over the shipped price table, for estimating the cost of agents that report none: {"model": {"input": 1.25, "output": 10, "cache_read": 0.125, "cache_write": 0}} (best set in ralph.config.json)',
    for: AGENT_USES,
    kind: 'object',
    parse: parsePrices,
    remember: true,
  },
  {
    key: 'agentRole',
    flags: '--agent-role <map>',
    description: "the loops: an agent CLI per role, supervisor=claude,engineer=codex (over --agent; a prompt's own agent, --agent-prompt, over this)",
    for: ['loop'],
    kind: 'object',
    parse: parseAgentMap,
  },
  {
    key: 'agentPrompt',
    flags: '--agent-prompt <map>',
    description: 'the loops: an agent CLI per prompt, reviewer.md=claude,main=codex (over --agent-role)',
    for: ['loop'],
    kind: 'object',
    parse: parseAgentMap,
  },
  {
    key: 'onUsageLimit',
    flags: '--on-usage-limit <what>',
    description: 'when an agent hits a usage limit: wait for the reset and run the task again (uncounted), stop claiming, or fail the task',
    for: ['worker'],
    kind: 'string',
    choices: ['wait', 'stop', 'fail'],
    default: 'wait',
    env: 'RALPH_ON_USAGE_LIMIT',
    remember: true,
  },
  {
    key: 'usageLimitMargin',
    flags: '--usage-limit-margin <seconds>',
    description: "added to a usage limit's reset time before claiming again",
    for: ['worker'],
    kind: 'number',
    parse: nonNegativeSeconds,
    default: 60,
    remember: true,
    field: 'usageLimitMarginSec',
  },
  {
    key: 'usageLimitWait',
    flags: '--usage-limit-wait <seconds>',
    description: 'how long to wait when the agent gives no reset time',
    for: ['worker'],
    kind: 'number',
    parse: positiveSeconds,
    default: 900,
    remember: true,
    field: 'usageLimitWaitSec',
  },
  {
    key: 'promptTemplate',
    flags: '--prompt-template <file>',
    description: 'prompt template with {{id}}, {{type}}, {{data}} and {{data.<field>}}',
    for: ['worker'],
    kind: 'string',
    env: 'RALPH_PROMPT_TEMPLATE',
    remember: true,
    path: true,
  },
  {
    key: 'taskTimeout',
    flags: '--task-timeout <seconds>',
    description: 'kill an agent (its whole process group) after this long; the task fails with reason timeout (0: no limit)',
    for: ['worker'],
    kind: 'number',
    parse: nonNegativeSeconds,
    default: 3600,
    env: 'RALPH_TASK_TIMEOUT',
    remember: true,
    field: 'taskTimeoutSec',
  },
  {
    key: 'idleTimeout',
    flags: '--idle-timeout <seconds>',
    description:
      'an agent that prints nothing (stdout or stderr) for this long is taken for hung: killed with its process group, the task (or turn) fails with reason idle-timeout (0: never)',
    for: AGENT_USES,
    kind: 'number',
    parse: nonNegativeSeconds,
    default: 900,
    env: 'RALPH_IDLE_TIMEOUT',
    remember: true,
    field: 'idleTimeoutSec',
  },
  {
    key: 'verify',
    flags: '--verify <cmd>',
    description:
      'a check run with /bin/sh -c after each agent that finished, in its directory (its worktree under --isolate worktree), the task in its environment: exit 0 completes the task; else it fails with reason verify, the retry told what the check said, and nothing is merged',
    for: ['worker'],
    kind: 'string',
    env: 'RALPH_VERIFY',
    remember: true,
  },
  {
    key: 'verifyTimeout',
    flags: '--verify-timeout <seconds>',
    description: 'kill a --verify check (its whole process group) after this long; the task fails with reason verify',
    for: ['worker'],
    kind: 'number',
    parse: positiveSeconds,
    default: 600,
    remember: true,
    field: 'verifyTimeoutSec',
  },
  {
    key: 'requireChanges',
    flags: '--require-changes',
    description: 'with --isolate worktree: a task that leaves its branch without a commit fails with reason no-changes',
    for: ['worker'],
    kind: 'boolean',
    default: false,
    // Not taken from the last run: a flag without a --no- form could not be turned off again.
    remember: false,
  },
  {
    key: 'grace',
    flags: '--grace <seconds>',
    description: 'time between SIGTERM and SIGKILL when stopping an agent',
    for: AGENT_USES,
    kind: 'number',
    parse: nonNegativeSeconds,
    default: 5,
    remember: true,
    field: 'graceSec',
  },
  {
    key: 'lease',
    flags: '--lease <seconds>',
    description: "claim lease, renewed by the heartbeat; a dead worker's task is requeued after it",
    for: ['worker'],
    kind: 'number',
    parse: positiveSeconds,
    default: 60,
    remember: true,
    field: 'leaseSec',
  },
  {
    key: 'maxAttempts',
    flags: '--max-attempts <n>',
    description: 'claims per task before a task whose worker keeps dying is failed',
    for: ['worker'],
    kind: 'number',
    parse: positiveInt,
    default: 3,
    remember: true,
  },
  {
    key: 'retries',
    flags: '--retries <n>',
    description: 'requeue a failed task this many times (with backoff)',
    for: ['worker'],
    kind: 'number',
    parse: nonNegativeInt,
    default: 0,
    env: 'RALPH_RETRIES',
    remember: true,
  },
  {
    key: 'retryBackoff',
    flags: '--retry-backoff <seconds>',
    description: 'first retry delay; doubles per attempt',
    for: ['worker'],
    kind: 'number',
    parse: nonNegativeSeconds,
    default: 2,
    remember: true,
    field: 'retryBackoffSec',
  },
  {
    key: 'isolate',
    flags: '--isolate <mode>',
    description: 'worktree: each worker works in its own git worktree (<dir>/worktrees/worker-<n>), each task on its own branch ralph/<id>',
    for: ['worker'],
    kind: 'string',
    choices: ISOLATE_MODES,
    default: 'none',
    remember: true,
  },
  {
    key: 'base',
    flags: '--base <branch>',
    description: 'with --isolate worktree: the branch tasks start from and are merged into (default: the branch checked out now)',
    for: ['worker'],
    kind: 'string',
    remember: true,
  },
  {
    key: 'remote',
    flags: '--remote <name>',
    description:
      "with --isolate worktree: the git remote (of every machine's clone) whose base branch tasks start from and are merged into by a push, never forced; task branches are pushed there too (default with --queue: origin)",
    for: ['worker'],
    kind: 'string',
    remember: true,
  },
  {
    key: 'merge',
    flags: '--merge <how>',
    description: "with --isolate worktree: how a completed task's branch reaches the base branch (merge commit, rebase, or not at all)",
    for: ['worker'],
    kind: 'string',
    choices: MERGE_MODES,
    default: 'merge',
    remember: true,
  },
  {
    key: 'onConflict',
    flags: '--on-conflict <what>',
    description: 'with --isolate worktree: keep a branch that does not merge and report it, or requeue the task once to be redone on the new tip',
    for: ['worker'],
    kind: 'string',
    choices: CONFLICT_POLICIES,
    default: 'keep',
    remember: true,
  },
  {
    key: 'agentTimeout',
    flags: '--agent-timeout <seconds>',
    description: 'kill the agent (its whole process group) after this long',
    for: ['loop'],
    kind: 'number',
    parse: positiveSeconds,
  },
  {
    key: 'onEvent',
    flags: '--on-event <cmd>',
    description:
      'run CMD (split like a shell would; no shell runs) for each event (task-failed, usage-limit, budget-reached, run-finished; the loops: turn-finished, lease-expired) with the event as JSON on stdin; repeatable',
    for: ['run', 'loop'],
    kind: 'list',
    default: [],
  },
  {
    key: 'onEventTimeout',
    flags: '--on-event-timeout <seconds>',
    description: 'kill an --on-event command still running after this long',
    for: ['run', 'loop'],
    kind: 'number',
    parse: positiveSeconds,
    default: 30,
  },
  { key: 'bell', flags: '--bell', description: 'ring the terminal bell when done (only on a terminal)', for: ['run', 'loop'], kind: 'boolean', default: false },
] as const satisfies readonly Setting[];

export const SETTINGS: readonly Setting[] = TABLE;

export function settingsFor(use: Use): Setting[] {
  return SETTINGS.filter((s) => s.for.includes(use));
}

/** The settings `ralph run` passes on to its workers: those `ralph worker` takes, but --dir. */
export const WORKER_SETTINGS: readonly Setting[] = settingsFor('worker');

/** The long flag alone: `--workers` of `--workers <n>`. */
export function longFlag(setting: Setting): string {
  return /--[\w-]+/.exec(setting.flags)![0];
}

/** Its name in WorkerSettings / the run's options. */
export function fieldOf(setting: Setting): string {
  return setting.field ?? setting.key;
}

/** The rows as written, each with its literal types (settings-types.ts derives the settings' types from them). */
export type TableRow = (typeof TABLE)[number];
