// What the ensure-<cli>.mjs scripts share: a pinned npm package that holds an agent CLI's native
// binary, installed into a cache directory of the repo (never globally, scripts off), checked by
// running it, and its absolute path printed as the last line on stdout. Any failure exits non-zero.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Prints `tag: message` on stderr and exits 1. */
export function fail(tag, message) {
  process.stderr.write(`${tag}: ${message}\n`);
  process.exit(1);
}

/**
 * The package for linux-x64 with glibc (the only platform wired up), or a clear refusal.
 * `musl`: the package to name for musl Linux; `what`: the tests that need it, for the message.
 */
export function linuxX64Package(tag, { name, exe, musl, version, what }) {
  const { platform, arch } = process;
  if (platform === 'linux' && arch === 'x64') {
    if (!process.report?.getReport?.().header?.glibcVersionRuntime) {
      fail(tag, `this machine looks like musl Linux; only ${name} (glibc) is supported by this script. ` +
        `Set up ${musl}@${version} yourself, or run ${what} on glibc Linux x64.`);
    }
    return { name, exe };
  }
  fail(tag, `unsupported platform ${platform}-${arch}: only linux-x64 (glibc) is supported for ${what} (the pinned binary is ${name}@${version}).`);
}

/**
 * Makes sure `pkg` (`{ name, exe }`) at `version` is installed in `cache` and works, then prints the
 * binary's path. `check(path, root, home)` runs the binary (with `home` a throwaway HOME, `root` the
 * install's directory) and returns what it printed, or an Error saying what is wrong.
 */
export function ensureNpmBinary({ tag, version, cache, pkg, check }) {
  const relBin = join('node_modules', ...pkg.name.split('/'), pkg.exe);
  const bin = join(cache, relBin);

  const works = (path, root) => {
    const home = mkdtempSync(join(tmpdir(), `${tag}-home-`));
    try {
      if (!statSync(path).isFile()) return new Error(`${path} is not a file`);
      const meta = JSON.parse(readFileSync(join(dirname(path), 'package.json'), 'utf8'));
      if (meta.version !== version) return new Error(`${pkg.name} in the cache is ${meta.version}, not ${version}`);
      return check(path, root, home);
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  };

  const install = () => {
    // Install into a staging directory next to the cache and move it into place in one rename, so
    // that two test workers starting at once never see (or write into) a half-installed cache.
    mkdirSync(dirname(cache), { recursive: true });
    const staging = `${cache}.tmp-${process.pid}-${Date.now()}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    const args = ['install', '--prefix', staging, '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', `${pkg.name}@${version}`];
    process.stderr.write(`${tag}: npm ${args.join(' ')}\n`);
    try {
      // npm's chatter goes to stderr: stdout is kept for the path alone.
      execFileSync('npm', args, { cwd: staging, stdio: ['ignore', 2, 2], timeout: 10 * 60_000 });
    } catch (error) {
      rmSync(staging, { recursive: true, force: true });
      fail(tag, `npm install of ${pkg.name}@${version} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    const staged = works(join(staging, relBin), staging);
    if (staged instanceof Error) {
      rmSync(staging, { recursive: true, force: true });
      fail(tag, `the installed binary does not run: ${staged.message}`);
    }
    try {
      renameSync(staging, cache);
    } catch (error) {
      // Someone else finished first (the cache now exists): use theirs when it works.
      rmSync(staging, { recursive: true, force: true });
      if (works(bin, cache) instanceof Error) fail(tag, `could not move the install into ${cache}: ${error.message}`);
    }
  };

  let found = existsSync(bin) ? works(bin, cache) : new Error('not installed');
  if (found instanceof Error) {
    if (existsSync(cache)) {
      process.stderr.write(`${tag}: ${cache} holds no working ${pkg.name}@${version} (${found.message}); reinstalling\n`);
      rmSync(cache, { recursive: true, force: true });
    }
    install();
    found = works(bin, cache);
    if (found instanceof Error) fail(tag, `${bin} does not run after install: ${found.message}`);
  }
  process.stdout.write(`${bin}\n`);
}
