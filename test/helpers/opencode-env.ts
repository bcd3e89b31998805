/**
 * Running the REAL opencode CLI (pinned by scripts/ensure-opencode.mjs) hermetically against the local
 * mock of an OpenAI-compatible Chat Completions API (mock-chat-completions.ts): no user config, no
 * account, no network but the mock.
 *
 * Findings for 1.18.33 (as root, on Linux x64):
 * - A provider of its own in the file OPENCODE_CONFIG names: `"npm": "@ai-sdk/openai-compatible"`
 *   (bundled in the binary: nothing is installed) with `options.baseURL` and `options.apiKey`, and the
 *   model with its prices per million tokens (`cost`): opencode reports what a step cost from them.
 * - HOME and the XDG directories in a temp dir (its database, logs and caches go there);
 *   OPENCODE_DISABLE_MODELS_FETCH (no models.dev), OPENCODE_DISABLE_AUTOUPDATE,
 *   OPENCODE_DISABLE_DEFAULT_PLUGINS and OPENCODE_DISABLE_LSP_DOWNLOAD keep it off the network.
 * - Each run takes ~4 s and ~5 s of CPU on an idle machine (600 MB resident), far more under load.
 * - `opencode run --format json` prints one JSON event per line on stdout; an API error is an `error`
 *   event with the status code and the response headers (`retry-after-ms`).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { overlaid, passedThrough, pinnedBinary, tempDirs } from './agent-env.js';

export const OPENCODE_VERSION = '1.18.33';
/** `provider/model`, as `--model` and the config name it. */
export const OPENCODE_TEST_MODEL = 'mock/mock-model';
export const OPENCODE_TEST_KEY = 'sk-ralph-opencode-test-key';
/** Dollars per million tokens the config gives the mock model (opencode computes the cost from them). */
export const OPENCODE_TEST_PRICES = { input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 };

/** Whether this platform has the pinned binary (scripts/ensure-opencode.mjs says so too, as an error). */
export const opencodeSupported = process.platform === 'linux' && process.arch === 'x64';

/** The pinned binary's absolute path, installing it into the cache on first use (once per process). */
export const opencodeBinary = pinnedBinary('ensure-opencode.mjs');

const homes = tempDirs();

/** Removes the homes and working dirs made so far (call it in afterAll). */
export const cleanupOpencodeHomes = (): void => homes.cleanup();

/**
 * The whole environment (not an overlay) for a hermetic run against `baseUrl` (the mock's url + "/v1"):
 * a fresh HOME with the XDG dirs in it, a config naming the mock as the provider and its model as the
 * default, TZ=UTC. `extra` comes last (undefined removes a variable).
 */
export function opencodeEnv(baseUrl: string, extra: Record<string, string | undefined> = {}, apiKey = OPENCODE_TEST_KEY): NodeJS.ProcessEnv {
  const home = homes.make('opencode-home-');
  const config = {
    $schema: 'https://opencode.ai/config.json',
    autoupdate: false,
    share: 'disabled',
    model: OPENCODE_TEST_MODEL,
    provider: {
      mock: {
        npm: '@ai-sdk/openai-compatible',
        name: 'Mock',
        options: { baseURL: baseUrl, apiKey },
        models: { 'mock-model': { name: 'Mock model', cost: OPENCODE_TEST_PRICES, limit: { context: 200_000, output: 32_000 } } },
      },
    },
  };
  const configFile = join(home, 'opencode.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  return overlaid(
    {
      ...passedThrough(),
      HOME: home,
      XDG_CONFIG_HOME: join(home, '.config'),
      XDG_DATA_HOME: join(home, '.local', 'share'),
      XDG_CACHE_HOME: join(home, '.cache'),
      XDG_STATE_HOME: join(home, '.local', 'state'),
      TZ: 'UTC',
      OPENCODE_CONFIG: configFile,
      OPENCODE_DISABLE_MODELS_FETCH: '1',
      OPENCODE_DISABLE_AUTOUPDATE: '1',
      OPENCODE_DISABLE_DEFAULT_PLUGINS: '1',
      OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
      // Less work at each start (~15% of its CPU): no Claude Code files or external skills looked for, no file watcher.
      OPENCODE_DISABLE_CLAUDE_CODE: '1',
      OPENCODE_DISABLE_EXTERNAL_SKILLS: '1',
      OPENCODE_EXPERIMENTAL_DISABLE_FILEWATCHER: '1',
    },
    extra,
  );
}

/** A throwaway working directory (removed with the homes). */
export const opencodeWorkdir = (): string => homes.make('opencode-work-');
