#!/usr/bin/env node
// Makes sure the pinned Gemini CLI is in a local cache and prints the absolute path of its entry
// point (an executable Node script, `#!/usr/bin/env node`) as the last line on stdout. Used by the
// tests that run the real `gemini` against a local mock of the Gemini API (test/helpers/mock-gemini.ts).
//
//   node scripts/ensure-gemini.mjs   # prints e.g. /repo/.cache/gemini-cli-0.61.0/node_modules/@google/gemini-cli/bundle/gemini.js
//   # run it: <that path> --output-format json -p '…'   (or: node <that path> …; Node >= 20)
//
// Pin: @google/gemini-cli@0.61.0 (one bundled JS file; its optional native add-ons, node-pty and
// keytar, are not needed headless, so install scripts stay off).
// Cache: $RALPH_GEMINI_CACHE, or <repo>/.cache/gemini-cli-0.61.0 (`.cache/` is out of git).
// Already there: nothing is installed (a `--version` check). Any failure exits non-zero, saying why.
import { join, resolve } from 'node:path';
import { ensurePinned, repo } from './lib/ensure-pinned.mjs';

const VERSION = '0.61.0';

if (Number(process.versions.node.split('.')[0]) < 20) {
  process.stderr.write(`ensure-gemini: @google/gemini-cli@${VERSION} needs Node >= 20; this is ${process.version}\n`);
  process.exit(1);
}

ensurePinned({
  tool: 'ensure-gemini',
  cache: resolve(process.env.RALPH_GEMINI_CACHE || join(repo, '.cache', `gemini-cli-${VERSION}`)),
  spec: `@google/gemini-cli@${VERSION}`,
  relBin: join('node_modules', '@google', 'gemini-cli', 'bundle', 'gemini.js'),
  version: VERSION,
  interpreter: process.execPath,
  // A throwaway home so that asking for the version reads and writes no user config.
  versionEnv: (home) => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, GEMINI_CLI_HOME: home }),
});
