/**
 * Running the REAL Claude Code CLI (pinned by scripts/ensure-claude.mjs) hermetically against the
 * local mock of the Messages API (mock-anthropic.ts): no user config, no network but the mock.
 *
 *   const mock = await startMockAnthropic(…);
 *   const run = await runClaude({ args: CLAUDE_PRINT_ARGS, env: claudeEnv(mock.url), cwd, stdin: 'prompt' });
 *
 * Findings for 2.1.330 (as root, on Linux x64):
 * - ANTHROPIC_BASE_URL + any ANTHROPIC_API_KEY is all it needs; it then sends only POST /v1/messages
 *   (with CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1; without it, a HEAD /api/hello first). It still
 *   resolves api.anthropic.com in DNS at startup but connects nowhere but the base URL.
 * - API errors are retried 10 times with backoff (0.5 s, 1 s, 2 s, … up to ~40 s, retry-after is not
 *   honoured for short waits), 401s and 429s included. CLAUDE_CODE_MAX_RETRIES=N caps that (0: none;
 *   15 at most), and an error answered with `x-should-retry: false` is never retried.
 * - `--permission-mode bypassPermissions` / `--dangerously-skip-permissions` are refused as root
 *   ("--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons",
 *   exit 1) unless IS_SANDBOX=1 is set. `--allowedTools Bash` works as root.
 * - `--bare` exists: minimal mode (3 tools: Bash, Edit, Read; a short system prompt; no hooks, plugins
 *   sync, CLAUDE.md discovery, keychain or OAuth; auth strictly ANTHROPIC_API_KEY). Not needed here.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { passedThrough, pinnedBinary, tempDirs } from './agent-env.js';

export const CLAUDE_VERSION = '2.1.330';

/** The headless, machine-readable mode the ralph adapter uses. */
export const CLAUDE_PRINT_ARGS: readonly string[] = ['-p', '--output-format', 'stream-json', '--verbose'];

/** Whether this platform has the pinned binary (scripts/ensure-claude.mjs says so too, as an error). */
export const claudeSupported = process.platform === 'linux' && process.arch === 'x64';

/** The pinned binary's absolute path, installing it into the cache on first use (once per process). */
export const claudeBinary = pinnedBinary('ensure-claude.mjs');

const homes = tempDirs();

/** A fresh, empty HOME for one run (removed by cleanupClaudeHomes()). */
export const claudeHome = (): string => homes.make('claude-home-');

/** Removes the HOMEs claudeHome() made so far (call it in afterEach/afterAll). */
export const cleanupClaudeHomes = (): void => homes.cleanup();

/**
 * A JWT (unsigned: Claude Code only decodes it) whose audience is "claude-gateway". Given as
 * ANTHROPIC_AUTH_TOKEN next to a non-Anthropic ANTHROPIC_BASE_URL it makes Claude Code treat the
 * server as an enterprise gateway in front of a subscription, so that it reads the
 * `anthropic-ratelimit-unified-*` headers of a 429 as a usage limit ("You've hit your 5-hour limit ·
 * resets …", a rate_limit_event, api_error "usage_limit_reached") as it does for claude.ai
 * subscribers. It then sends `Authorization: Bearer <token>` as well as `x-api-key`.
 */
export const GATEWAY_TEST_TOKEN = `${[
  { alg: 'none', typ: 'JWT' },
  { aud: 'claude-gateway', sub: 'ralph-test', exp: 4_102_444_800 },
]
  .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
  .join('.')}.mock-signature`;

export interface ClaudeEnvOptions {
  /** HOME for the run; when left out, a fresh temp dir from claudeHome() (see cleanupClaudeHomes). */
  home?: string;
  /** CLAUDE_CODE_MAX_RETRIES: 0 by default (API errors end the run at once); null leaves Claude's own 10. */
  maxRetries?: number | null;
  /** Usage limits as a subscriber sees them (sets ANTHROPIC_AUTH_TOKEN=GATEWAY_TEST_TOKEN). */
  subscriber?: boolean;
  /** IS_SANDBOX=1: lets `--permission-mode bypassPermissions` run as root. */
  sandbox?: boolean;
  /** More variables, last (undefined removes one). */
  extra?: Record<string, string | undefined>;
}

/**
 * The whole environment (not an overlay) for a hermetic run against `mockUrl`: no variable of this
 * process but PATH and locale/shell basics, a fresh HOME and config dir, API-key auth, no
 * non-essential traffic, no retries, TZ=UTC (so reset times read the same everywhere).
 */
export function claudeEnv(mockUrl: string, options: ClaudeEnvOptions = {}): NodeJS.ProcessEnv {
  const home = options.home ?? claudeHome();
  const env = passedThrough();
  Object.assign(env, {
    HOME: home,
    CLAUDE_CONFIG_DIR: join(home, '.claude'),
    XDG_CONFIG_HOME: join(home, '.config'),
    TZ: 'UTC',
    ANTHROPIC_BASE_URL: mockUrl,
    ANTHROPIC_API_KEY: 'sk-ant-test-key',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
  });
  const maxRetries = options.maxRetries === undefined ? 0 : options.maxRetries;
  if (maxRetries !== null) env.CLAUDE_CODE_MAX_RETRIES = String(maxRetries);
  if (options.subscriber) env.ANTHROPIC_AUTH_TOKEN = GATEWAY_TEST_TOKEN;
  if (options.sandbox) env.IS_SANDBOX = '1';
  for (const [name, value] of Object.entries(options.extra ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

export interface ClaudeRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout's lines that parse as JSON objects. */
  events: any[];
  durationMs: number;
}

/** Runs the binary (claudeBinary() unless `bin` is given) to completion, killing it after `timeoutMs` or once `killWhen` holds. */
export function runClaude(options: {
  args: readonly string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdin?: string;
  bin?: string;
  timeoutMs?: number;
  /** Kill it (SIGKILL) as soon as its stdout so far passes this test, as a task timeout would. */
  killWhen?: (stdout: string) => boolean;
}): Promise<ClaudeRun> {
  const started = Date.now();
  const child = spawn(options.bin ?? claudeBinary(), [...options.args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    if (options.killWhen?.(stdout)) child.kill('SIGKILL');
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  child.stdin.on('error', () => {}); // it may exit before reading stdin
  child.stdin.end(options.stdin ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 50_000);
  return new Promise((resolvePromise, reject) => {
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr, events: parseEvents(stdout), durationMs: Date.now() - started });
    });
  });
}

/** The JSON objects among NDJSON lines (other lines skipped). */
export function parseEvents(stdout: string): any[] {
  const events: any[] = [];
  for (const line of stdout.split('\n')) {
    const text = line.trim();
    if (!text.startsWith('{')) continue;
    try {
      events.push(JSON.parse(text));
    } catch {
      // not an event
    }
  }
  return events;
}
