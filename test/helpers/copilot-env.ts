/**
 * Running the REAL GitHub Copilot CLI (pinned by scripts/ensure-copilot.mjs) hermetically against the
 * local mock of the Chat Completions API (mock-chat-completions.ts): no user config, no GitHub account, no
 * network but the mock.
 *
 * Findings for 1.0.102 (as root, on Linux x64):
 * - Offline bring-your-own-key mode: COPILOT_OFFLINE=true, COPILOT_PROVIDER_BASE_URL=<mock>/v1,
 *   COPILOT_PROVIDER_API_KEY, and a model (COPILOT_MODEL or --model; without one: "BYOK providers
 *   require an explicit model", exit 1). No GitHub login is asked for.
 * - Copilot masks every occurrence of the API key's value in what it prints: a short key such as
 *   "test" would blank out ordinary words, hence the long distinctive one.
 * - Text mode (the default): the answer and tool activity ("● write (shell)") on stdout; errors and the
 *   summary ("Changes / Duration / Tokens ↑ 1.2k (100 cached) • ↓ 34 (7 reasoning) / Resume copilot
 *   --resume=<session id>") on stderr. `--output-format json` prints JSONL events with the session id
 *   and structured errors but no token counts (its `assistant.usage` events are left out).
 * - API errors are retried 5 times, at least 1 s apart (`retry-after` is honoured above that); a 401
 *   twice; an unreachable API with backoff (1, 2, 4, 8, 8 s: ~23 s before it gives up).
 * - Its bundle is unpacked under XDG_CACHE_HOME on first start (235 MB, seconds): the runs share the
 *   copy the ensure script unpacked.
 */
import { dirname, join, resolve } from 'node:path';
import { overlaid, passedThrough, pinnedBinary, tempDirs } from './agent-env.js';

export const COPILOT_VERSION = '1.0.102';
/** The model the runs ask for (any name: the mock answers all). */
export const COPILOT_TEST_MODEL = 'gpt-4.1';
/** Long and distinctive: Copilot blanks out every occurrence of the key in its output. */
export const COPILOT_TEST_KEY = 'sk-ralph-copilot-test-key-7f3c9a1e5b2d4c6f8a0b';

/** Whether this platform has the pinned binary (scripts/ensure-copilot.mjs says so too, as an error). */
export const copilotSupported = process.platform === 'linux' && process.arch === 'x64';

/** The pinned binary's absolute path, installing it into the cache on first use (once per process). */
export const copilotBinary = pinnedBinary('ensure-copilot.mjs');

/** The bundle the ensure script unpacked: <cache>/xdg-cache next to node_modules/@github/copilot-linux-x64/copilot. */
function unpacked(bin: string): string {
  return join(resolve(dirname(bin), '..', '..', '..'), 'xdg-cache');
}

const homes = tempDirs();

/** Removes the HOMEs copilotEnv() made so far (call it in afterEach/afterAll). */
export const cleanupCopilotHomes = (): void => homes.cleanup();

/**
 * The whole environment (not an overlay) for a hermetic run against `baseUrl` (the mock's url + "/v1"):
 * a fresh HOME and COPILOT_HOME, offline BYOK mode, no auto-update, TZ=UTC. `extra` comes last
 * (undefined removes a variable).
 */
export function copilotEnv(baseUrl: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const home = homes.make('copilot-home-');
  return overlaid(
    {
      ...passedThrough(),
      HOME: home,
      COPILOT_HOME: join(home, '.copilot'),
      XDG_CONFIG_HOME: join(home, '.config'),
      XDG_CACHE_HOME: unpacked(copilotBinary()),
      TZ: 'UTC',
      COPILOT_OFFLINE: 'true',
      COPILOT_AUTO_UPDATE: 'false',
      COPILOT_PROVIDER_BASE_URL: baseUrl,
      COPILOT_PROVIDER_API_KEY: COPILOT_TEST_KEY,
      COPILOT_MODEL: COPILOT_TEST_MODEL,
    },
    extra,
  );
}

/** A throwaway working directory (removed with the HOMEs). */
export const copilotWorkdir = (): string => homes.make('copilot-work-');
