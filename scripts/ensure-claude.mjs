#!/usr/bin/env node
// Makes sure the pinned Claude Code CLI is in a local cache and prints the absolute path of its
// native binary as the last line on stdout. Used by the tests that run the real `claude` against
// a local mock of the Anthropic Messages API (test/support/mock-anthropic.ts, claude-env.ts).
//
//   node scripts/ensure-claude.mjs            # prints e.g. /repo/.cache/claude-code-2.1.330/node_modules/@anthropic-ai/claude-code-linux-x64/claude
//
// Pin: @anthropic-ai/claude-code@2.1.330. That package is only a thin wrapper whose postinstall picks
// one of its optional platform packages; the CLI itself is the native executable `claude` inside
// @anthropic-ai/claude-code-linux-x64@2.1.330, so that package alone is installed, with scripts off.
//
// Cache: $RALPH_CLAUDE_CACHE, or <repo>/.cache/claude-code-2.1.330 (keep `.cache/` out of git).
// Already there: nothing is installed (a `--version` check, ~10 ms). Any failure exits non-zero.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const VERSION = '2.1.330';
const SCOPE = '@anthropic-ai';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cache = resolve(process.env.RALPH_CLAUDE_CACHE || join(repo, '.cache', `claude-code-${VERSION}`));

function fail(message) {
  process.stderr.write(`ensure-claude: ${message}\n`);
  process.exit(1);
}

/** The platform package that holds the native binary, or a clear refusal. */
function platformPackage() {
  const { platform, arch } = process;
  if (platform === 'linux' && arch === 'x64') {
    // glibc and musl builds are separate packages; only the glibc one is wired up here.
    const glibc = process.report?.getReport?.().header?.glibcVersionRuntime;
    if (!glibc) {
      fail(`this machine looks like musl Linux; only ${SCOPE}/claude-code-linux-x64 (glibc) is supported by this script. ` +
        `Set up ${SCOPE}/claude-code-linux-x64-musl@${VERSION} yourself, or run the Claude tests on glibc Linux x64.`);
    }
    return { name: `${SCOPE}/claude-code-linux-x64`, exe: 'claude' };
  }
  fail(`unsupported platform ${platform}-${arch}: only linux-x64 (glibc) is supported for the real-Claude tests ` +
    `(the pinned binary is ${SCOPE}/claude-code-linux-x64@${VERSION}).`);
}

const pkg = platformPackage();
const relBin = join('node_modules', ...pkg.name.split('/'), pkg.exe);
const bin = join(cache, relBin);

/** The version the binary reports, or an Error saying why it could not be run. */
function binaryVersion(path) {
  const home = mkdtempSync(join(tmpdir(), 'ensure-claude-home-'));
  try {
    if (!statSync(path).isFile()) return new Error(`${path} is not a file`);
    const meta = JSON.parse(readFileSync(join(dirname(path), 'package.json'), 'utf8'));
    if (meta.version !== VERSION) return new Error(`${pkg.name} in the cache is ${meta.version}, not ${VERSION}`);
    const out = execFileSync(path, ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
      // A throwaway HOME so that asking for the version reads and writes no user config.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, CLAUDE_CONFIG_DIR: join(home, '.claude'), DISABLE_AUTOUPDATER: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' },
    }).trim();
    if (!out.startsWith(VERSION)) return new Error(`${path} --version printed ${JSON.stringify(out)}, expected ${VERSION}`);
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
  process.stderr.write(`ensure-claude: npm ${args.join(' ')}\n`);
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
  const staged = binaryVersion(join(staging, relBin));
  if (staged instanceof Error) {
    rmSync(staging, { recursive: true, force: true });
    fail(`the installed binary does not run: ${staged.message}`);
  }
  try {
    renameSync(staging, cache);
  } catch (error) {
    // Someone else finished first (the cache now exists): use theirs when it works.
    rmSync(staging, { recursive: true, force: true });
    if (binaryVersion(bin) instanceof Error) fail(`could not move the install into ${cache}: ${error.message}`);
  }
}

let version = existsSync(bin) ? binaryVersion(bin) : new Error('not installed');
if (version instanceof Error) {
  if (existsSync(cache)) {
    process.stderr.write(`ensure-claude: ${cache} holds no working ${pkg.name}@${VERSION} (${version.message}); reinstalling\n`);
    rmSync(cache, { recursive: true, force: true });
  }
  install();
  version = binaryVersion(bin);
  if (version instanceof Error) fail(`${bin} does not run after install: ${version.message}`);
}
process.stdout.write(`${bin}\n`);
