/**
 * Running the REAL Codex CLI (pinned by scripts/ensure-codex.mjs) hermetically against the local mock
 * of the Responses API (mock-responses.ts): a private CODEX_HOME whose config.toml names the mock as
 * the model provider, no user config, no network but the mock.
 *
 * Findings for 0.171.0 (Linux x64, as root):
 * - `model_provider = "mock"` with `[model_providers.mock] base_url, env_key, wire_api = "responses"`
 *   is all it needs; the key is sent as `Authorization: Bearer`. Without the env_key variable it
 *   stops at once: "Missing environment variable: `RALPH_TEST_CODEX_KEY`." (exit 1).
 * - `request_max_retries = 0`, `stream_max_retries = 0` stop its retries of HTTP errors; an
 *   unreachable base URL is still retried for as long as it runs ("Reconnecting... waiting for
 *   network (Connection failed: error sending request)" error events), so a task timeout ends it.
 * - Usage-limit reset times are printed in its local zone (TZ, else the system's).
 * - A model it has no metadata for gives a warning item ("Model metadata for `…` not found"); on
 *   stderr a warning that it makes no PATH helpers under a temp CODEX_HOME. Both harmless.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { passedThrough, pinnedBinary, tempDirs } from './agent-env.js';

export const CODEX_VERSION = '0.171.0';
export const KEY_VARIABLE = 'RALPH_TEST_CODEX_KEY';
export const MODEL = 'gpt-5-codex';

/** `codex exec` as Ralph's adapter starts it (the prompt on stdin). */
export const CODEX_EXEC_ARGS: readonly string[] = ['exec', '--json', '--sandbox', 'workspace-write', '--skip-git-repo-check', '-'];

export const codexSupported = process.platform === 'linux' && process.arch === 'x64';

/** The pinned binary's absolute path, installing it into the cache on first use (once per process). */
export const codexBinary = pinnedBinary('ensure-codex.mjs');

const homes = tempDirs();

/** Removes the CODEX_HOMEs made so far (call it in afterEach/afterAll). */
export const cleanupCodexHomes = (): void => homes.cleanup();

export interface CodexEnvOptions {
  /** TZ for the run (default UTC). */
  tz?: string;
  /** The API key; null leaves the env_key variable unset (an auth failure before any request). */
  key?: string | null;
  extra?: Record<string, string | undefined>;
}

/**
 * The environment for a hermetic run against `baseUrl` (`http://127.0.0.1:PORT/v1`): a fresh HOME
 * and CODEX_HOME with a config.toml naming the mock, the key in RALPH_TEST_CODEX_KEY, and every
 * other variable of this process removed (set to undefined, so that it also works as an overlay).
 */
export function codexEnv(baseUrl: string, options: CodexEnvOptions = {}): NodeJS.ProcessEnv {
  const home = homes.make('codex-home-');
  writeFileSync(
    join(home, 'config.toml'),
    [
      `model = "${MODEL}"`,
      'model_provider = "mock"',
      '',
      '[model_providers.mock]',
      'name = "mock"',
      `base_url = "${baseUrl}"`,
      `env_key = "${KEY_VARIABLE}"`,
      'wire_api = "responses"',
      'request_max_retries = 0',
      'stream_max_retries = 0',
      '',
    ].join('\n'),
  );
  const env: NodeJS.ProcessEnv = {};
  for (const name of Object.keys(process.env)) env[name] = undefined;
  Object.assign(env, passedThrough());
  Object.assign(env, { HOME: home, CODEX_HOME: home, TZ: options.tz ?? 'UTC' });
  if (options.key !== null) env[KEY_VARIABLE] = options.key ?? 'sk-ralph-test-codex';
  Object.assign(env, options.extra);
  return env;
}
