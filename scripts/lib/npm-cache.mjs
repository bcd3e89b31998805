// A pinned npm package installed into a local cache directory (never globally), for the tests that
// run a real agent CLI: scripts/ensure-claude.mjs, scripts/ensure-gemini.mjs.
//
// ensureCached({ tag, pkg, version, cache, relBin, check }) returns the absolute path of relBin in the
// cache, installing `pkg@version` first when `check(path)` (the version it runs, or an Error) says the
// cache holds no working copy. Any failure exits the process non-zero, saying why on stderr.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function failWith(tag) {
  return (message) => {
    process.stderr.write(`${tag}: ${message}\n`);
    process.exit(1);
  };
}

export function ensureCached({ tag, pkg, version, cache, relBin, check }) {
  const fail = failWith(tag);
  const bin = join(cache, relBin);

  function install() {
    // Staged next to the cache and moved into place in one rename: two test workers starting at once
    // never see (or write into) a half-installed cache.
    mkdirSync(dirname(cache), { recursive: true });
    const staging = `${cache}.tmp-${process.pid}-${Date.now()}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    const args = ['install', '--prefix', staging, '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', `${pkg}@${version}`];
    process.stderr.write(`${tag}: npm ${args.join(' ')}\n`);
    try {
      // npm's chatter goes to stderr: stdout is kept for the path alone.
      execFileSync('npm', args, { cwd: staging, stdio: ['ignore', 2, 2], timeout: 10 * 60_000 });
    } catch (error) {
      rmSync(staging, { recursive: true, force: true });
      fail(`npm install of ${pkg}@${version} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    const staged = check(join(staging, relBin));
    if (staged instanceof Error) {
      rmSync(staging, { recursive: true, force: true });
      fail(`the installed binary does not run: ${staged.message}`);
    }
    try {
      renameSync(staging, cache);
    } catch (error) {
      // Someone else finished first (the cache now exists): use theirs when it works.
      rmSync(staging, { recursive: true, force: true });
      if (check(bin) instanceof Error) fail(`could not move the install into ${cache}: ${error.message}`);
    }
  }

  let found = existsSync(bin) ? check(bin) : new Error('not installed');
  if (found instanceof Error) {
    if (existsSync(cache)) {
      process.stderr.write(`${tag}: ${cache} holds no working ${pkg}@${version} (${found.message}); reinstalling\n`);
      rmSync(cache, { recursive: true, force: true });
    }
    install();
    found = check(bin);
    if (found instanceof Error) fail(`${bin} does not run after install: ${found.message}`);
  }
  return bin;
}
