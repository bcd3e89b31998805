#!/usr/bin/env node
// Makes sure the pinned OpenAI Codex CLI is in a local cache and prints the absolute path of its
// native binary as the last line on stdout. Used by the tests that run the real `codex` against a
// local mock of the Responses API (test/helpers/mock-responses.ts, codex-env.ts).
//
//   node scripts/ensure-codex.mjs   # prints e.g. /repo/.cache/codex-0.171.0/node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex
//
// Pin: @openai/codex@0.171.0. That package is a Node wrapper (bin/codex.js) that execs a native
// binary from its optional dependency @openai/codex-linux-x64, which is an npm alias of
// @openai/codex@0.171.0-linux-x64 (a static musl build: any Linux x64). Only that one is installed.
//
// Cache: $RALPH_CODEX_CACHE, or <repo>/.cache/codex-0.171.0 (`.cache/` is out of git).
import { join, resolve } from 'node:path';
import { ensurePinned, repo } from './lib/ensure-pinned.mjs';

const VERSION = '0.171.0';

if (process.platform !== 'linux' || process.arch !== 'x64') {
  process.stderr.write(
    `ensure-codex: unsupported platform ${process.platform}-${process.arch}: only linux-x64 is supported for the real-Codex tests ` +
      `(the pinned binary is @openai/codex@${VERSION}-linux-x64).\n`,
  );
  process.exit(1);
}

ensurePinned({
  tool: 'ensure-codex',
  cache: resolve(process.env.RALPH_CODEX_CACHE || join(repo, '.cache', `codex-${VERSION}`)),
  spec: `@openai/codex-linux-x64@npm:@openai/codex@${VERSION}-linux-x64`,
  relBin: join('node_modules', '@openai', 'codex-linux-x64', 'vendor', 'x86_64-unknown-linux-musl', 'bin', 'codex'),
  version: `codex-cli ${VERSION}`,
  // A throwaway CODEX_HOME so that asking for the version reads and writes no user config.
  versionEnv: (home) => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, CODEX_HOME: home }),
});
