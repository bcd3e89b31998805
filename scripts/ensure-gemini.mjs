#!/usr/bin/env node
// Makes sure the pinned Gemini CLI is in a local cache and prints the absolute path of its entry
// point (an executable Node script, `#!/usr/bin/env node`) as the last line on stdout. Used by the
// tests that run the real `gemini` against a local mock of the Gemini API (test/support/mock-gemini.ts).
//
//   node scripts/ensure-gemini.mjs   # prints e.g. /repo/.cache/gemini-cli-0.61.0/node_modules/@google/gemini-cli/bundle/gemini.js
//   # run it: <that path> --output-format json -p '…'   (or: node <that path> …; Node >= 20)
//
// Pin: @google/gemini-cli@0.61.0 (one bundled JS file; its optional native add-ons, node-pty and
// keytar, are not needed headless, so install scripts stay off).
// Cache: $RALPH_GEMINI_CACHE, or <repo>/.cache/gemini-cli-0.61.0 (`.cache/` is out of git).
// Already there: nothing is installed (a `--version` check). Any failure exits non-zero, saying why.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCached, failWith } from './lib/npm-cache.mjs';

const VERSION = '0.61.0';
const PACKAGE = '@google/gemini-cli';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cache = resolve(process.env.RALPH_GEMINI_CACHE || join(repo, '.cache', `gemini-cli-${VERSION}`));
const relBin = join('node_modules', '@google', 'gemini-cli', 'bundle', 'gemini.js');

const fail = failWith('ensure-gemini');

if (Number(process.versions.node.split('.')[0]) < 20) fail(`${PACKAGE}@${VERSION} needs Node >= 20; this is ${process.version}`);

/** The version the CLI reports, or an Error saying why it could not be run. */
function cliVersion(path) {
  const home = mkdtempSync(join(tmpdir(), 'ensure-gemini-home-'));
  try {
    const meta = JSON.parse(readFileSync(join(dirname(path), '..', 'package.json'), 'utf8'));
    if (meta.version !== VERSION) return new Error(`${PACKAGE} in the cache is ${meta.version}, not ${VERSION}`);
    const out = execFileSync(process.execPath, [path, '--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
      // A throwaway home so that asking for the version reads and writes no user config.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, GEMINI_CLI_HOME: home },
    }).trim();
    if (!out.split('\n').includes(VERSION)) return new Error(`${path} --version printed ${JSON.stringify(out)}, expected ${VERSION}`);
    return out;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

const bin = ensureCached({ tag: 'ensure-gemini', pkg: PACKAGE, version: VERSION, cache, relBin, check: cliVersion });
process.stdout.write(`${bin}\n`);
