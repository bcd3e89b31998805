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
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const VERSION = '0.61.0';
const PACKAGE = '@google/gemini-cli';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cache = resolve(process.env.RALPH_GEMINI_CACHE || join(repo, '.cache', `gemini-cli-${VERSION}`));
const relBin = join('node_modules', '@google', 'gemini-cli', 'bundle', 'gemini.js');
const bin = join(cache, relBin);

function fail(message) {
  process.stderr.write(`ensure-gemini: ${message}\n`);
  process.exit(1);
}

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

function install() {
  // Staged next to the cache and moved into place in one rename: two test workers starting at once
  // never see (or write into) a half-installed cache.
  mkdirSync(dirname(cache), { recursive: true });
  const staging = `${cache}.tmp-${process.pid}-${Date.now()}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const args = ['install', '--prefix', staging, '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', `${PACKAGE}@${VERSION}`];
  process.stderr.write(`ensure-gemini: npm ${args.join(' ')}\n`);
  try {
    execFileSync('npm', args, { cwd: staging, stdio: ['ignore', 2, 2], timeout: 10 * 60_000 });
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    fail(`npm install of ${PACKAGE}@${VERSION} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  const staged = cliVersion(join(staging, relBin));
  if (staged instanceof Error) {
    rmSync(staging, { recursive: true, force: true });
    fail(`the installed CLI does not run: ${staged.message}`);
  }
  try {
    renameSync(staging, cache);
  } catch (error) {
    // Someone else finished first (the cache now exists): use theirs when it works.
    rmSync(staging, { recursive: true, force: true });
    if (cliVersion(bin) instanceof Error) fail(`could not move the install into ${cache}: ${error.message}`);
  }
}

let version = existsSync(bin) ? cliVersion(bin) : new Error('not installed');
if (version instanceof Error) {
  if (existsSync(cache)) {
    process.stderr.write(`ensure-gemini: ${cache} holds no working ${PACKAGE}@${VERSION} (${version.message}); reinstalling\n`);
    rmSync(cache, { recursive: true, force: true });
  }
  install();
  version = cliVersion(bin);
  if (version instanceof Error) fail(`${bin} does not run after install: ${version.message}`);
}
process.stdout.write(`${bin}\n`);
