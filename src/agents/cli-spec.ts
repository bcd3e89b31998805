import type { Diagnosis } from './cause.js';
import type { PermissionGrant, PermissionLevel } from './permissions.js';
import type { OwnValues } from './own-flags.js';
import type { UsageLimitInfo } from './usage-limit.js';

/**
 * The pure part of one agent CLI adapter (one file per CLI under `src/agents/`): how to start it
 * and how to read what it printed. Spawning, streaming to the worker log and timeouts belong to the
 * shared runner; turning a spec plus the user's options into an AgentAdapter is `cli-agent.ts`.
 */

/**
 * Token counts of one run, meaning the same for every agent CLI (each adapter converts what its CLI
 * prints; snake_case: they go into results.json as they are). `input` is every prompt token the model
 * read, those read from and written to the provider's cache included: `cache_read` and `cache_write`
 * are parts of it. `output` is every token it generated, reasoning included: `reasoning` is part of
 * it. No token is counted twice, and the cost estimate (prices.ts) bills each part at its own price.
 * Claude Code's and Amp's `input_tokens` and opencode's `input` leave the cache out, aider's "sent"
 * its cache hits, opencode's `output` and Gemini's `candidates` the reasoning: their adapters add
 * them in (test/agents/token-meaning.test.ts, on the recorded fixtures).
 */
export interface Tokens {
  /** Every prompt token, cache reads and writes included. */
  input?: number;
  /** Every generated token, reasoning included. */
  output?: number;
  /** Of `input`: prompt tokens read from the provider's cache. */
  cache_read?: number;
  /** Of `input`: prompt tokens written to the provider's cache. */
  cache_write?: number;
  /** Of `output`: reasoning/thinking tokens, where reported. */
  reasoning?: number;
  /** As the CLI reported it (input + output). */
  total?: number;
}

/** What the user chose for every adapter (flags and environment). */
export interface AgentOptions {
  /** `--agent-bin` or `RALPH_<NAME>_BIN`; default: the spec's `bin` looked up on PATH. */
  bin?: string;
  /** `--model`. */
  model?: string;
  /** `--agent-args "…"`, already split shell-style; appended last. */
  extraArgs: string[];
  /** `--permissions` (default auto): what the agent may do, mapped by the spec's `permissions`. */
  permissions?: PermissionLevel;
  /** The chosen CLI's own options (own-flags.ts): each spec reads those it declares there. */
  own?: OwnValues;
}

/** What a spec needs to know about the run, besides the prompt. */
export interface BuildContext {
  /** The prompt, also written to this file (`RALPH_PROMPT_FILE`). */
  promptFile: string;
  cwd: string;
  /** Whether ralph runs as root (uid 0): some CLIs refuse some flags then. */
  isRoot: boolean;
}

/** How to start the CLI: arguments after the binary, extra environment, and stdin. */
export interface BuiltCommand {
  args: string[];
  env: Record<string, string>;
  /** What goes to the agent's stdin ('' for nothing). */
  stdin: string;
}

/** What a spec made of the CLI's stdout (and exit code). Pure; never throws on bad output. */
export interface ParsedOutput {
  /** The agent's final answer (what the finding is extracted from). */
  text: string;
  /** The CLI said the run failed (API error, auth, usage limit…), whatever its exit code. */
  isError: boolean;
  /** One line saying what went wrong, when isError. */
  error?: string;
  costUsd?: number;
  tokens?: Tokens;
  /** The tokens of each model, when several answered (gemini's main model and router): each is priced at its own rate. */
  tokensByModel?: Record<string, Tokens>;
  sessionId?: string;
  /** The model that answered, when the output names it. */
  model?: string;
  /** Set when the output shows a usage/rate limit (structured fields first, then text). */
  usageLimit?: UsageLimitInfo;
  /** Extra facts for the worker log (num_turns, subtype…); never needed for correctness. */
  details?: Record<string, unknown>;
  /**
   * What kind of failure the output's structure shows (claude's `api_error: "connection_failed"`,
   * gemini's `FatalAuthenticationError`, the retries of a run that was killed…), when it shows one;
   * otherwise the shared rules read the error text (cause.ts).
   */
  cause?: Diagnosis;
}

/**
 * How sure Ralph is of an adapter, as `ralph agents` and the README say: `real-binary`, run in the
 * test suite against a local mock of its API (the version pinned by scripts/ensure-<name>.mjs);
 * `fixtures`, only parsed from samples written from its documentation or source.
 */
export type Verification = { readonly how: 'real-binary'; readonly version: string } | { readonly how: 'fixtures' };

/** One line for people: "1.0.102, real binary in the tests" or "fixtures only, not run here". */
export function describeVerification(v: Verification): string {
  return v.how === 'real-binary' ? `${v.version}, real binary in the tests` : 'fixtures only, not run here';
}

export interface CliSpec {
  /** `--agent NAME`. */
  readonly name: string;
  /** Human name for messages, e.g. "Claude Code". */
  readonly title: string;
  /** Executable looked up on PATH when neither --agent-bin nor RALPH_<NAME>_BIN is set. */
  readonly bin: string;
  /** How to install it, for the "not found" message (one line). */
  readonly install: string;
  /** Where the output format comes from, and how sure we are of it (for the README / `ralph agents`). */
  readonly formatNote: string;
  readonly verified: Verification;
  /** The arguments, environment and stdin for one run. Pure. */
  build(prompt: string, options: AgentOptions, ctx: BuildContext): BuiltCommand;
  /**
   * What the CLI says of cost: `reported` (a cost in USD: claude, opencode, aider), `none` (neither
   * cost nor tokens: cursor); otherwise tokens only, the cost estimated from them (prices.ts).
   */
  readonly cost?: 'reported' | 'none';
  /**
   * `--permissions` for this CLI: its own flags (and environment) for each level, or why it cannot
   * honour one (the run then refuses to start). Pure; the table in docs/agents.md.
   */
  permissions(level: PermissionLevel, ctx: Pick<BuildContext, 'isRoot'>): PermissionGrant;
  /**
   * Its flags that set a permission mode or allow tools: one of them in `--agent-args` replaces the
   * mapped grant. A flag that only refuses more (--deny-tool, --disallowedTools) adds to it instead.
   */
  readonly permissionFlags: readonly string[];
  /** The CLI prints its error document on stderr (gemini): a failed run is parsed again from both streams. */
  readonly errorsOnStderr?: boolean;
  /**
   * The CLI prints facts on stderr on success too (copilot: its token summary and session id): parse
   * always reads both streams interleaved as they arrived (the process output's tail, its last 64 KiB).
   */
  readonly readsStderr?: boolean;
  /**
   * Reads the whole stdout of one run. Pure; tolerates malformed or truncated output (the runner,
   * CliAgent, also turns an exception into a failed result, so that no spec needs its own net).
   */
  parse(stdout: string, exitCode: number | null): ParsedOutput;
  /**
   * One stdout line as a readable worker-log line (stream-json events → "assistant: …",
   * "tool Bash: …"); undefined to log the line as it is; '' to leave it out. Plain-text and
   * single-document CLIs (aider, copilot, gemini) have none: their lines are logged as they are.
   * A line it throws on is logged as it is (CliAgent catches it).
   */
  renderLine?(line: string): string | undefined;
}

/**
 * Runs an adapter's parser so that `parse` never throws, whatever the CLI printed: an exception
 * (not expected on any known input) becomes a failed result that says so.
 */
export function parseSafely(parse: () => ParsedOutput): ParsedOutput {
  try {
    return parse();
  } catch (error) {
    return { text: '', isError: true, error: `could not read the output: ${(error as Error).message}` };
  }
}
