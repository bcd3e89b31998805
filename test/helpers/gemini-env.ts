/**
 * Running the REAL Gemini CLI (pinned by scripts/ensure-gemini.mjs) hermetically against the local
 * mock of the Gemini API (mock-gemini.ts): no user config, no network but the mock.
 *
 * Findings for 0.61.0: GOOGLE_GEMINI_BASE_URL + GEMINI_API_KEY point it at the mock, but the URL alone
 * makes it pick "gateway" auth, which headless mode refuses (exit 41): a settings.json under
 * GEMINI_CLI_HOME must select API-key auth. Usage statistics off, or it posts to play.googleapis.com.
 * It relaunches itself as a child node process (more heap): kill its process group, not its pid.
 * GEMINI_CLI_NO_RELAUNCH=true (set here unless `relaunch`) saves that second start: a third of its CPU.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { passedThrough, pinnedBinary, tempDirs } from './agent-env.js';

export const GEMINI_VERSION = '0.61.0';
export const GEMINI_API_KEY = 'gemini-test-key';

/** The pinned CLI's absolute path (an executable node script), installing it into the cache on first use. */
export const geminiBinary = pinnedBinary('ensure-gemini.mjs');

const homes = tempDirs();

/** Removes the homes geminiEnv() made so far. */
export const cleanupGeminiHomes = (): void => homes.cleanup();

/** The whole environment for a hermetic run against `mockUrl`, with a fresh home (API-key auth selected). */
export function geminiEnv(mockUrl: string, options: { apiKey?: string; relaunch?: boolean; extra?: Record<string, string> } = {}): NodeJS.ProcessEnv {
  const home = homes.make('gemini-home-');
  mkdirSync(join(home, '.gemini'));
  const settings = { security: { auth: { selectedType: 'gemini-api-key' } }, privacy: { usageStatisticsEnabled: false }, telemetry: { enabled: false } };
  writeFileSync(join(home, '.gemini', 'settings.json'), JSON.stringify(settings));
  return {
    ...passedThrough(),
    HOME: home,
    GEMINI_CLI_HOME: home,
    TZ: 'UTC',
    GOOGLE_GEMINI_BASE_URL: mockUrl,
    GEMINI_API_KEY: options.apiKey ?? GEMINI_API_KEY,
    ...(options.relaunch ? {} : { GEMINI_CLI_NO_RELAUNCH: 'true' }),
    ...options.extra,
  };
}
