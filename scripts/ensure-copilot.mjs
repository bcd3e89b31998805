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
// @github/copilot-linux-x64@1.0.102, so that package alone is installed, with scripts off.
//
// On its first start the binary unpacks its bundled JavaScript (~235 MB) into
// $XDG_CACHE_HOME/copilot/pkg/<platform>/<version> (default ~/.cache): a run with a fresh HOME would
// spend seconds on it. The version check below runs with XDG_CACHE_HOME=<cache>/xdg-cache, so that
// directory holds it unpacked, and the tests point XDG_CACHE_HOME there (copilot-env.ts).
//
// Cache: $RALPH_COPILOT_CACHE, or <repo>/.cache/copilot-1.0.102 (keep `.cache/` out of git).
// Already there: nothing is installed (a `--version` check, ~1 s). Any failure exits non-zero.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const VERSION = '1.0.102';
const SCOPE = '@github';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cache = resolve(process.env.RALPH_COPILOT_CACHE || join(repo, '.cache', `copilot-${VERSION}`));

function fail(message) {
  process.stderr.write(`ensure-copilot: ${message}\n`);
  process.exit(1);
}

/** The platform package that holds the native binary, or a clear refusal. */
function platformPackage() {
  const { platform, arch } = process;
  if (platform === 'linux' && arch === 'x64') {
    // glibc and musl builds are separate packages; only the glibc one is wired up here.
    const glibc = process.report?.getReport?.().header?.glibcVersionRuntime;
    if (!glibc) {
      fail(`this machine looks like musl Linux; only ${SCOPE}/copilot-linux-x64 (glibc) is supported by this script. ` +
        `Set up ${SCOPE}/copilot-linuxmusl-x64@${VERSION} yourself, or run the Copilot tests on glibc Linux x64.`);
    }
    return { name: `${SCOPE}/copilot-linux-x64`, exe: 'copilot' };
  }
  fail(`unsupported platform ${platform}-${arch}: only linux-x64 (glibc) is supported for the real-Copilot tests ` +
    `(the pinned binary is ${SCOPE}/copilot-linux-x64@${VERSION}).`);
}

const pkg = platformPackage();
const relBin = join('node_modules', ...pkg.name.split('/'), pkg.exe);
const bin = join(cache, relBin);
/** Where the binary unpacks its bundle (XDG_CACHE_HOME for the tests' runs). */
const unpackDir = (root) => join(root, 'xdg-cache');

/** The version the binary reports (unpacking its bundle into `root`), or an Error saying why it could not be run. */
function binaryVersion(path, root) {
  const home = mkdtempSync(join(tmpdir(), 'ensure-copilot-home-'));
  try {
    if (!statSync(path).isFile()) return new Error(`${path} is not a file`);
    const meta = JSON.parse(readFileSync(join(dirname(path), 'package.json'), 'utf8'));
    if (meta.version !== VERSION) return new Error(`${pkg.name} in the cache is ${meta.version}, not ${VERSION}`);
    const out = execFileSync(path, ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
      // A throwaway HOME so that asking for the version reads and writes no user config; no update check.
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, COPILOT_HOME: join(home, '.copilot'), XDG_CACHE_HOME: unpackDir(root),
        COPILOT_AUTO_UPDATE: 'false', COPILOT_OFFLINE: 'true',
      },
    }).trim();
    // "GitHub Copilot CLI 1.0.102.\nRun 'copilot update' to check for updates."
    if (!out.startsWith(`GitHub Copilot CLI ${VERSION}.`)) return new Error(`${path} --version printed ${JSON.stringify(out)}, expected GitHub Copilot CLI ${VERSION}`);
    if (!existsSync(join(unpackDir(root), 'copilot', 'pkg'))) return new Error(`${path} did not unpack its bundle into ${unpackDir(root)}`);
    return out;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

function install() {
  // Install into a staging directory next to the cache and move it into place in one rename, so
  // that two test workers starting at once never see (or write into) a half-installed cache.
  mkdirSync(dirname(cache), { recursive: true });
  const staging = `${cache}.tmp-${process.pid}-${Date.now()}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const args = ['install', '--prefix', staging, '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', `${pkg.name}@${VERSION}`];
  process.stderr.write(`ensure-copilot: npm ${args.join(' ')}\n`);
  try {
    execFileSync('npm', args, {
      cwd: staging,
      // npm's chatter goes to stderr: stdout is kept for the path alone.
      stdio: ['ignore', 2, 2],
      timeout: 10 * 60_000,
    });
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    fail(`npm install of ${pkg.name}@${VERSION} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  const staged = binaryVersion(join(staging, relBin), staging);
  if (staged instanceof Error) {
    rmSync(staging, { recursive: true, force: true });
    fail(`the installed binary does not run: ${staged.message}`);
  }
  try {
    renameSync(staging, cache);
  } catch (error) {
    // Someone else finished first (the cache now exists): use theirs when it works.
    rmSync(staging, { recursive: true, force: true });
    if (binaryVersion(bin, cache) instanceof Error) fail(`could not move the install into ${cache}: ${error.message}`);
  }
}

let version = existsSync(bin) ? binaryVersion(bin, cache) : new Error('not installed');
if (version instanceof Error) {
  if (existsSync(cache)) {
    process.stderr.write(`ensure-copilot: ${cache} holds no working ${pkg.name}@${VERSION} (${version.message}); reinstalling\n`);
    rmSync(cache, { recursive: true, force: true });
  }
  install();
  version = binaryVersion(bin, cache);
  if (version instanceof Error) fail(`${bin} does not run after install: ${version.message}`);
}
process.stdout.write(`${bin}\n`);
