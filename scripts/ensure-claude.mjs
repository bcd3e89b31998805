#!/usr/bin/env node
// Makes sure the pinned Claude Code CLI is in a local cache and prints the absolute path of its
// native binary as the last line on stdout. Used by the tests that run the real `claude` against
// a local mock of the Anthropic Messages API (test/helpers/mock-anthropic.ts, claude-env.ts).
//
//   node scripts/ensure-claude.mjs            # prints e.g. /repo/.cache/claude-code-2.1.330/node_modules/@anthropic-ai/claude-code-linux-x64/claude
//
// Pin: @anthropic-ai/claude-code@2.1.330. That package is only a thin wrapper whose postinstall picks
// one of its optional platform packages; the CLI itself is the native executable `claude` inside
// @anthropic-ai/claude-code-linux-x64@2.1.330, so that package alone is installed, with scripts off.
//
// Cache: $RALPH_CLAUDE_CACHE, or <repo>/.cache/claude-code-2.1.330 (keep `.cache/` out of git).
// Already there: nothing is installed (a `--version` check, ~10 ms). Any failure exits non-zero.
import { join, resolve } from 'node:path';
import { ensurePinned, repo, requireLinuxGlibc } from './lib/ensure-pinned.mjs';

const VERSION = '2.1.330';
const NAME = '@anthropic-ai/claude-code-linux-x64';

requireLinuxGlibc('ensure-claude', { name: NAME, version: VERSION, musl: `${NAME}-musl`, what: 'the real-Claude tests' });

ensurePinned({
  tool: 'ensure-claude',
  cache: resolve(process.env.RALPH_CLAUDE_CACHE || join(repo, '.cache', `claude-code-${VERSION}`)),
  spec: `${NAME}@${VERSION}`,
  relBin: join('node_modules', '@anthropic-ai', 'claude-code-linux-x64', 'claude'),
  version: VERSION,
  // A throwaway HOME so that asking for the version reads and writes no user config.
  versionEnv: (home) => ({
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    CLAUDE_CONFIG_DIR: join(home, '.claude'),
    DISABLE_AUTOUPDATER: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  }),
});
