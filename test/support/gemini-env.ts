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
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { binaryFromEnsureScript } from './ensure-binary.js';

export const GEMINI_VERSION = '0.61.0';
export const GEMINI_API_KEY = 'gemini-test-key';
const ENSURE_SCRIPT = resolve(import.meta.dirname, '..', '..', 'scripts', 'ensure-gemini.mjs');

let binary: string | undefined;

/** The pinned CLI's absolute path (an executable node script), installing it into the cache on first use. */
export function geminiBinary(): string {
  binary ??= binaryFromEnsureScript(ENSURE_SCRIPT);
  return binary;
}

const homes: string[] = [];

/** Removes the homes geminiEnv() made so far. */
export function cleanupGeminiHomes(): void {
  for (const dir of homes.splice(0)) rmSync(dir, { recursive: true, force: true });
}

const PASSED_THROUGH = ['PATH', 'LANG', 'LC_ALL', 'TMPDIR', 'SHELL'];

/** The whole environment for a hermetic run against `mockUrl`, with a fresh home (API-key auth selected). */
export function geminiEnv(mockUrl: string, options: { apiKey?: string; relaunch?: boolean; extra?: Record<string, string> } = {}): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(tmpdir(), 'gemini-home-'));
  homes.push(home);
  mkdirSync(join(home, '.gemini'));
  const settings = { security: { auth: { selectedType: 'gemini-api-key' } }, privacy: { usageStatisticsEnabled: false }, telemetry: { enabled: false } };
  writeFileSync(join(home, '.gemini', 'settings.json'), JSON.stringify(settings));
  const env: NodeJS.ProcessEnv = {};
  for (const name of PASSED_THROUGH) if (process.env[name] !== undefined) env[name] = process.env[name];
  return { ...env, HOME: home, GEMINI_CLI_HOME: home, TZ: 'UTC', GOOGLE_GEMINI_BASE_URL: mockUrl, GEMINI_API_KEY: options.apiKey ?? GEMINI_API_KEY,
    ...(options.relaunch ? {} : { GEMINI_CLI_NO_RELAUNCH: 'true' }), ...options.extra };
}
