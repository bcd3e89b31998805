#!/usr/bin/env node
// Makes sure the pinned GitHub Copilot CLI is in a local cache and prints the absolute path of its
// native binary as the last line on stdout. Used by the tests that run the real `copilot` against a
// local mock of an OpenAI-compatible Chat Completions API (test/support/mock-copilot-api.ts,
// copilot-env.ts).
//
//   node scripts/ensure-copilot.mjs           # prints e.g. /repo/.cache/copilot-1.0.102/node_modules/@github/copilot-linux-x64/copilot
//
// Pin: @github/copilot@1.0.102. That package is a small loader (npm-loader.js) whose optional
// platform packages hold the CLI; the CLI itself is the native executable `copilot` inside
// @github/copilot-linux-x64@1.0.102, so that package alone is installed, with scripts off
// (scripts/ensure-npm-binary.mjs).
//
// On its first start the binary unpacks its bundled JavaScript (~235 MB) into
// $XDG_CACHE_HOME/copilot/pkg/<platform>/<version> (default ~/.cache): a run with a fresh HOME would
// spend seconds on it. The version check below runs with XDG_CACHE_HOME=<cache>/xdg-cache, so that
// directory holds it unpacked, and the tests point XDG_CACHE_HOME there (copilot-env.ts).
//
// Cache: $RALPH_COPILOT_CACHE, or <repo>/.cache/copilot-1.0.102 (keep `.cache/` out of git).
// Already there: nothing is installed (a `--version` check, ~0.3 s). Any failure exits non-zero.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNpmBinary, linuxX64Package } from './ensure-npm-binary.mjs';

const VERSION = '1.0.102';
const TAG = 'ensure-copilot';
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');

ensureNpmBinary({
  tag: TAG,
  version: VERSION,
  cache: resolve(process.env.RALPH_COPILOT_CACHE || join(repo, '.cache', `copilot-${VERSION}`)),
  pkg: linuxX64Package(TAG, {
    name: '@github/copilot-linux-x64', exe: 'copilot', musl: '@github/copilot-linuxmusl-x64', version: VERSION, what: 'the real-Copilot tests',
  }),
  check(path, root, home) {
    // Unpacks the bundle into <root>/xdg-cache (see above).
    const unpacked = join(root, 'xdg-cache');
    const out = execFileSync(path, ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
      // A throwaway HOME so that asking for the version reads and writes no user config; no update check.
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, COPILOT_HOME: join(home, '.copilot'), XDG_CACHE_HOME: unpacked,
        COPILOT_AUTO_UPDATE: 'false', COPILOT_OFFLINE: 'true',
      },
    }).trim();
    // "GitHub Copilot CLI 1.0.102.\nRun 'copilot update' to check for updates."
    if (!out.startsWith(`GitHub Copilot CLI ${VERSION}.`)) return new Error(`${path} --version printed ${JSON.stringify(out)}, expected GitHub Copilot CLI ${VERSION}`);
    if (!existsSync(join(unpacked, 'copilot', 'pkg'))) return new Error(`${path} did not unpack its bundle into ${unpacked}`);
    return out;
  },
});
