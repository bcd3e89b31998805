import { resolve } from 'node:path';
import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import { RalphError } from '../../errors.js';
import type { LoopOptions } from '../../loops/loop.js';
import { ROUTER_MODES, promptNameOf } from '../../loops/router.js';
import type { RouterMode } from '../../loops/router.js';
import type { AgentMap } from '../../loops/agent-map.js';
import {
  DEFAULT_DOCS_WHITELIST,
  DEFAULT_REPORT_EXTENSIONS,
  DEFAULT_TRACKED_OUTPUT_EXTENSIONS,
  DEFAULT_TRACKED_OUTPUT_GLOBS,
  parseExtensions,
  parseList,
} from '../../loops/policies.js';
import type { PolicyOptions } from '../../loops/policies.js';
import { WORKFLOWS } from '../../loops/workflow.js';
import type { WorkflowName } from '../../loops/workflow.js';
import { note, print } from '../output.js';
import { nonNegativeInt, positiveInt, positiveSeconds } from '../../config/parsers.js';
import type { ExitCode } from '../main.js';
import type { PriceList } from '../../agents/prices.js';
import { SIGNAL_EXIT, STOP_SIGNALS, agentChoice, ringBell } from './common.js';
import type { EventFlags } from '../../events/run-watch.js';
import { addSettings } from '../../config/cli.js';
import { configureRedaction } from '../../redact/process.js';
import type { AgentFlags } from './common.js';
import { createAgent } from '../../agents/registry.js';
import type { LoopSummary } from '../../loops/options.js';
import type { AgentAdapter } from '../../agents/agent.js';
import { EventHooks, hookCommands } from '../../events/hooks.js';

export const MiB = 1024 * 1024;
// Each renewal is a push: a lease shorter than this would be renewed after it expired.
const MIN_LEASE_SEC = 3;
const leaseSeconds = (value: string): number => {
  const n = positiveSeconds(value);
  if (n < MIN_LEASE_SEC) throw new InvalidArgumentError(`Expected at least ${MIN_LEASE_SEC} seconds, got \`${value}\`.`);
  return n;
};

export interface LoopFlags extends AgentFlags, EventFlags {
  redact: string[];
  agentRole?: AgentMap;
  routerPrompt?: string;
  promptsDir: string;
  reviewerPrompt: string;
  routerMode: RouterMode;
  routerAllowlist?: string;
  agentPrompt?: AgentMap;
  /** Model prices over the shipped table. */
  prices?: PriceList;
  bell?: boolean;
  syncViaGit?: boolean;
  syncLoops: number;
  workflow?: WorkflowName;
  reviewEvery?: number;
  pollInterval: number;
  maxWaitSec?: number;
  branch?: string;
  logdir: string;
  verbose?: boolean;
  heartbeatSecs?: number;
  promptHeartbeatSecs: number;
  tolerateDocDirty?: boolean;
  agentTimeout?: number;
  idleTimeout: number;
  grace: number;
  leaseSec: number;
  autoCommitReports: boolean;
  reportExtensions: string;
  reportPathGlobs?: string;
  maxReportFileBytes: number;
  maxReportTotalBytes: number;
  forceAddReports: boolean;
  // supervisor
  promptFile?: string;
  autoCommitDocs?: boolean;
  autocommitWhitelist?: string;
  maxAutocommitBytes?: number;
  autoCommitTrackedOutputs?: boolean;
  trackedOutputGlobs?: string;
  trackedOutputExtensions?: string;
  maxTrackedOutputFileBytes?: number;
  maxTrackedOutputTotalBytes?: number;
  prepullAutoCommitDocs?: boolean;
  // loop
  prompt?: string;
}

export function commonOptions(command: Command): Command {
  // The agent, --redact, --grace and --agent-timeout: also from the environment and the config file.
  return addSettings(command, 'loop', {
    descriptions: {
      agentCmd:
        'your own agent command line, run with /bin/sh -c; the prompt arrives on stdin and in $RALPH_PROMPT_FILE, with $RALPH_ACTOR, $RALPH_ITERATION, $RALPH_BRANCH',
    },
  })
    .option('--sync-via-git', 'take turns with the other actor through sync/state.json on the shared branch (default: run back to back locally)')
    .option('--sync-loops <n>', 'number of turns (iterations) to run', positiveInt, 20)
    .addOption(
      new Option(
        '--workflow <name>',
        "standard: each iteration the supervisor's prompt, then the engineer's; review-cadence: every --review-every-th iteration both run prompts/reviewer.md (sync/state.json then says the workflow and the next step)",
      ).choices(WORKFLOWS),
    )
    .option('--review-every <n>', 'with --workflow review-cadence (implied): every N-th iteration is a review', positiveInt)
    .option('--prompts-dir <dir>', "the loops' prompts: <dir>/supervisor.md, <dir>/<--prompt>.md, <dir>/reviewer.md", 'prompts')
    .option('--reviewer-prompt <name>', "the reviewer's prompt of --workflow review-cadence: <prompts-dir>/<name>.md", 'reviewer')
    .option('--router-prompt <file>', "before each turn, an agent run with this prompt names the prompt the turn runs (docs/loops.md: the router's contract)")
    .addOption(
      new Option('--router-mode <mode>', "default: the router overrides the actor's prompt, not a review step; first: any step; only: it must name one")
        .choices(ROUTER_MODES)
        .default('default'),
    )
    .option('--router-allowlist <names>', 'the prompts the router may name (main.md,debug.md; default: any in prompts/)')
    .option('--poll-interval <seconds>', 'how often to fetch the branch while waiting for my turn', positiveSeconds, 5)
    .option('--max-wait-sec <seconds>', 'give up (exit 1) after waiting this long for my turn (default: wait forever)', positiveSeconds)
    .addOption(new Option('--branch <name>', 'the branch to work on; abort if another is checked out').env('ORCHESTRATION_BRANCH'))
    .option('--logdir <path>', 'per-iteration logs and summaries go under <path>/<branch>/', 'logs')
    .option('--verbose', 'print state changes')
    .option('--heartbeat-secs <n>', 'print a heartbeat line this often while waiting', positiveSeconds)
    .option('--prompt-heartbeat-secs <n>', 'while the agent prints nothing, say so in the console and the log this often (0: never)', nonNegativeInt, 10)
    .option('--tolerate-doc-dirty', 'report dirty tracked files outside every auto-commit policy and hand off anyway (default: abort the handoff)')
    .option(
      '--lease-sec <seconds>',
      "my turn's lease in sync/state.json (at least 3), renewed (pushed) every third of it while the agent runs",
      leaseSeconds,
      300,
    )
    .option('--auto-commit-reports', 'commit new or changed report files after my turn', true)
    .option('--no-auto-commit-reports', 'do not commit report files')
    .option('--report-extensions <list>', 'file types that count as reports', DEFAULT_REPORT_EXTENSIONS.join(','))
    .option('--report-path-globs <globs>', 'only reports matching these globs (default: any path; logs/ and tmp/ are always skipped)')
    .option('--max-report-file-bytes <n>', 'largest report file committed', nonNegativeInt, 5 * MiB)
    .option('--max-report-total-bytes <n>', 'most report bytes committed per turn', nonNegativeInt, 20 * MiB)
    .option('--force-add-reports', 'also commit report files that .gitignore ignores', true)
    .option('--no-force-add-reports', 'skip ignored report files');
}

export function reportsPolicy(f: LoopFlags): PolicyOptions['reports'] {
  return {
    enabled: f.autoCommitReports,
    extensions: parseExtensions(f.reportExtensions),
    pathGlobs: parseList(f.reportPathGlobs ?? ''),
    maxFileBytes: f.maxReportFileBytes,
    maxTotalBytes: f.maxReportTotalBytes,
    forceAdd: f.forceAddReports,
  };
}

/** What a loop command (supervisor, loop, pair) sets up around its turns: redaction, signals, hooks, the shared options, the exit. */
export async function runLoopCommand(
  label: string,
  f: LoopFlags,
  setExit: (code: ExitCode) => void,
  run: (base: LoopBase) => Promise<LoopSummary>,
  agentFor?: LoopOptions['agentFor'],
): Promise<void> {
  configureRedaction(f.redact);
  if (f.syncViaGit && !f.branch)
    throw new RalphError('RALPH_BAD_INPUT', '--sync-via-git needs --branch NAME (or ORCHESTRATION_BRANCH): the branch both machines share.');
  const abort = new AbortController();
  let signalled: string | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = signal;
    note(`\nralph ${label}: ${signal}: stopping the agent; my turn stays mine and is resumed when I am restarted`);
    abort.abort();
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  const timeoutMs = f.agentTimeout === undefined ? undefined : f.agentTimeout * 1000;
  const hooks = f.onEvent.length === 0 ? undefined : new EventHooks(hookCommands(f.onEvent), { timeoutMs: f.onEventTimeout * 1000, say: note });
  if (f.workflow === 'standard' && f.reviewEvery !== undefined)
    throw new RalphError('RALPH_BAD_INPUT', '--review-every goes with --workflow review-cadence, not standard.');
  const workflowName = f.workflow ?? (f.reviewEvery !== undefined ? 'review-cadence' : undefined);
  const base: LoopBase = {
    cwd: process.cwd(),
    ...(workflowName
      ? { workflow: { name: workflowName, reviewEvery: f.reviewEvery ?? 2, ...(f.reviewerPrompt !== 'reviewer' ? { reviewer: f.reviewerPrompt } : {}) } }
      : {}),
    ...(f.branch ? { branch: f.branch } : {}),
    syncViaGit: f.syncViaGit === true,
    loops: f.syncLoops,
    pollMs: f.pollInterval * 1000,
    ...(f.maxWaitSec === undefined ? {} : { maxWaitMs: f.maxWaitSec * 1000 }),
    leaseMs: f.leaseSec * 1000,
    ...(timeoutMs === undefined ? {} : { agentTimeoutMs: timeoutMs }),
    ...(f.idleTimeout > 0 ? { agentIdleMs: f.idleTimeout * 1000 } : {}),
    graceMs: f.grace * 1000,
    logdir: f.logdir,
    verbose: f.verbose === true,
    ...(f.heartbeatSecs === undefined ? {} : { heartbeatMs: f.heartbeatSecs * 1000 }),
    ...(f.promptHeartbeatSecs > 0 ? { promptHeartbeatMs: f.promptHeartbeatSecs * 1000 } : {}),
    ...(f.tolerateDocDirty ? { tolerateDirty: true } : {}),
    print,
    ...(agentFor ? { agentFor } : {}),
    promptsDir: resolve(f.promptsDir),
    ...(f.routerPrompt
      ? {
          router: {
            promptPath: resolve(f.routerPrompt),
            mode: f.routerMode,
            ...(f.routerAllowlist ? { allowlist: parseList(f.routerAllowlist).map(promptNameOf) } : {}),
          },
        }
      : {}),
    signal: abort.signal,
    ...(hooks ? { emit: (event) => hooks.emit(event) } : {}),
  };
  const summary = await run(base).finally(async () => {
    await hooks?.drain();
    ringBell(f.bell);
  });
  if (signalled) setExit(SIGNAL_EXIT[signalled] ?? 1);
  else if (summary.failed) setExit(1);
  print(`ralph ${label}: ${summary.turns} turn(s) ${summary.failed ? 'ended with a failure' : 'done'}`);
}

export type LoopBase = Omit<LoopOptions, 'actor' | 'agent' | 'promptPath' | 'promptName' | 'policies' | 'prepullRecovery'>;

/** The agent of a loop: the one the flags choose (`overrides` for a role of a pair), checked before anything starts. */
export function loopAgent(f: LoopFlags, overrides: Partial<AgentFlags> = {}): AgentAdapter {
  const timeoutMs = f.agentTimeout === undefined ? undefined : f.agentTimeout * 1000;
  // A role's own agent or command replaces both of the shared ones.
  const flags = overrides.agent !== undefined || overrides.agentCmd !== undefined ? { ...f, agent: undefined, agentCmd: undefined, ...overrides } : f;
  const agent = createAgent(agentChoice(flags as AgentFlags), {
    ...(timeoutMs === undefined ? {} : { timeoutMs, timeoutFlag: '--agent-timeout' }),
    ...(f.prices ? { prices: f.prices } : {}),
  });
  const problem = agent.preflight(process.cwd());
  if (problem) throw new RalphError('RALPH_BAD_INPUT', `${problem}.`);
  return agent;
}

/** The supervisor's prompt and what is auto-committed after its turns (ralph supervisor, ralph pair). */
export function supervisorOptions(command: Command): Command {
  return command
    .option('--prompt-file <path>', 'the supervisor prompt', 'prompts/supervisor.md')
    .option('--auto-commit-docs', 'commit changed doc/meta files on the whitelist after my turn', true)
    .option('--no-auto-commit-docs', 'do not commit doc/meta files')
    .option('--autocommit-whitelist <globs>', 'doc/meta files committed after my turn', DEFAULT_DOCS_WHITELIST.join(','))
    .option('--max-autocommit-bytes <n>', 'largest doc/meta file committed', nonNegativeInt, MiB)
    .option('--auto-commit-tracked-outputs', 'commit modified tracked outputs such as fixtures', true)
    .option('--no-auto-commit-tracked-outputs', 'do not commit tracked outputs')
    .option('--tracked-output-globs <globs>', 'tracked outputs committed after my turn', DEFAULT_TRACKED_OUTPUT_GLOBS.join(','))
    .option('--tracked-output-extensions <list>', 'file types of tracked outputs', DEFAULT_TRACKED_OUTPUT_EXTENSIONS.join(','))
    .option('--max-tracked-output-file-bytes <n>', 'largest tracked output committed', nonNegativeInt, 32 * MiB)
    .option('--max-tracked-output-total-bytes <n>', 'most tracked-output bytes committed per turn', nonNegativeInt, 100 * MiB)
    .option(
      '--prepull-auto-commit-docs',
      'when a pull is blocked by local changes, scrub submodules and commit tracked outputs and docs, retrying after each',
      true,
    )
    .option('--no-prepull-auto-commit-docs', 'fail at once when a pull is blocked by local changes');
}

export function supervisorPolicies(f: LoopFlags): PolicyOptions {
  return {
    trackedOutputs: {
      enabled: f.autoCommitTrackedOutputs !== false,
      globs: parseList(f.trackedOutputGlobs ?? ''),
      extensions: parseExtensions(f.trackedOutputExtensions ?? ''),
      maxFileBytes: f.maxTrackedOutputFileBytes ?? 32 * MiB,
      maxTotalBytes: f.maxTrackedOutputTotalBytes ?? 100 * MiB,
    },
    docs: { enabled: f.autoCommitDocs !== false, whitelist: parseList(f.autocommitWhitelist ?? ''), maxBytes: f.maxAutocommitBytes ?? MiB },
    reports: reportsPolicy(f),
  };
}

/** `--prompt NAME`: prompts/NAME.md, a plain name. */
export function engineerPrompt(f: LoopFlags): { path: string; name: string } {
  const name = f.prompt ?? 'main';
  if (!/^[A-Za-z0-9._-]+$/.test(name))
    throw new RalphError('RALPH_BAD_INPUT', `--prompt ${name}: expected a name such as main or debug (the file is prompts/<name>.md).`);
  return { path: resolve(f.promptsDir, `${name}.md`), name };
}

/** The supervisor's prompt: --prompt-file, else supervisor.md in --prompts-dir. */
export function supervisorPrompt(f: LoopFlags, command: Command): string {
  return command.getOptionValueSource('promptFile') === 'default' || f.promptFile === undefined
    ? resolve(f.promptsDir, 'supervisor.md')
    : resolve(f.promptFile);
}
