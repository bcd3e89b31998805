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
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCached, failWith } from './lib/npm-cache.mjs';

const VERSION = '2.1.330';
const SCOPE = '@anthropic-ai';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cache = resolve(process.env.RALPH_CLAUDE_CACHE || join(repo, '.cache', `claude-code-${VERSION}`));

const fail = failWith('ensure-claude');

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

const bin = ensureCached({ tag: 'ensure-claude', pkg: pkg.name, version: VERSION, cache, relBin, check: binaryVersion });
process.stdout.write(`${bin}\n`);
