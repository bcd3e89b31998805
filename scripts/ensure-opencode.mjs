#!/usr/bin/env node
// Makes sure the pinned opencode CLI is in a local cache and prints the absolute path of its native
// binary as the last line on stdout. Used by the tests that run the real `opencode` against a local
// mock of an OpenAI-compatible Chat Completions API (test/helpers/mock-chat-completions.ts,
// opencode-env.ts).
//
//   node scripts/ensure-opencode.mjs          # prints e.g. /repo/.cache/opencode-1.18.33/node_modules/opencode-linux-x64/bin/opencode
//
// Pin: opencode-ai@1.18.33. That package is a loader whose optional platform packages hold the CLI;
// the CLI itself is the native executable `bin/opencode` inside opencode-linux-x64@1.18.33, so that
// package alone is installed, with scripts off.
//
// Cache: $RALPH_OPENCODE_CACHE, or <repo>/.cache/opencode-1.18.33 (keep `.cache/` out of git).
// Already there: nothing is installed (a `--version` check, ~1 s). Any failure exits non-zero.
import { join, resolve } from 'node:path';
import { ensurePinned, repo, requireLinuxGlibc } from './lib/ensure-pinned.mjs';

const VERSION = '1.18.33';
const NAME = 'opencode-linux-x64';

requireLinuxGlibc('ensure-opencode', { name: NAME, version: VERSION, musl: 'opencode-linux-x64-musl', what: 'the real-opencode tests' });

ensurePinned({
  tool: 'ensure-opencode',
  cache: resolve(process.env.RALPH_OPENCODE_CACHE || join(repo, '.cache', `opencode-${VERSION}`)),
  spec: `${NAME}@${VERSION}`,
  relBin: join('node_modules', NAME, 'bin', 'opencode'),
  version: VERSION, // "1.18.33"
  // A throwaway HOME (and XDG dirs in it) so that asking for the version reads and writes no user config; no update check.
  versionEnv: (home) => ({
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_STATE_HOME: join(home, '.local', 'state'),
    OPENCODE_DISABLE_AUTOUPDATE: '1',
    OPENCODE_DISABLE_MODELS_FETCH: '1',
  }),
});
