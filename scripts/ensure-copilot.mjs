#!/usr/bin/env node
// Makes sure the pinned GitHub Copilot CLI is in a local cache and prints the absolute path of its
// native binary as the last line on stdout. Used by the tests that run the real `copilot` against a
// local mock of an OpenAI-compatible Chat Completions API (test/helpers/mock-chat-completions.ts,
// copilot-env.ts).
//
//   node scripts/ensure-copilot.mjs           # prints e.g. /repo/.cache/copilot-1.0.102/node_modules/@github/copilot-linux-x64/copilot
//
// Pin: @github/copilot@1.0.102. That package is a small loader (npm-loader.js) whose optional
// platform packages hold the CLI; the CLI itself is the native executable `copilot` inside
// @github/copilot-linux-x64@1.0.102, so that package alone is installed, with scripts off.
//
// On its first start the binary unpacks its bundled JavaScript (~235 MB) into
// $XDG_CACHE_HOME/copilot/pkg/<platform>/<version> (default ~/.cache): a run with a fresh HOME would
// spend seconds on it. The version check below runs with XDG_CACHE_HOME=<cache>/xdg-cache, so that
// directory holds it unpacked, and the tests point XDG_CACHE_HOME there (copilot-env.ts).
//
// Cache: $RALPH_COPILOT_CACHE, or <repo>/.cache/copilot-1.0.102 (keep `.cache/` out of git).
// Already there: nothing is installed (a `--version` check, ~0.3 s). Any failure exits non-zero.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensurePinned, repo, requireLinuxGlibc } from './lib/ensure-pinned.mjs';

const VERSION = '1.0.102';
const NAME = '@github/copilot-linux-x64';

requireLinuxGlibc('ensure-copilot', { name: NAME, version: VERSION, musl: '@github/copilot-linuxmusl-x64', what: 'the real-Copilot tests' });

ensurePinned({
  tool: 'ensure-copilot',
  cache: resolve(process.env.RALPH_COPILOT_CACHE || join(repo, '.cache', `copilot-${VERSION}`)),
  spec: `${NAME}@${VERSION}`,
  relBin: join('node_modules', '@github', 'copilot-linux-x64', 'copilot'),
  // "GitHub Copilot CLI 1.0.102.\nRun 'copilot update' to check for updates."
  version: `GitHub Copilot CLI ${VERSION}.`,
  // A throwaway HOME so that asking for the version reads and writes no user config; no update check.
  // The bundle is unpacked into <root>/xdg-cache (see above).
  versionEnv: (home, root) => ({
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    COPILOT_HOME: join(home, '.copilot'),
    XDG_CACHE_HOME: join(root, 'xdg-cache'),
    COPILOT_AUTO_UPDATE: 'false',
    COPILOT_OFFLINE: 'true',
  }),
  extraCheck: (bin, _out, root) =>
    existsSync(join(root, 'xdg-cache', 'copilot', 'pkg')) ? undefined : `${bin} did not unpack its bundle into ${join(root, 'xdg-cache')}`,
});
