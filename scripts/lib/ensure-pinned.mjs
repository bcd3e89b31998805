// Shared by the scripts/ensure-<cli>.mjs scripts: makes sure one pinned npm package holding a native
// agent CLI is installed into <repo>/.cache/<dir> (never globally) and prints the absolute path of
// its binary as the last line on stdout. Already there and working: nothing is installed (a
// `--version` check). Any failure exits non-zero with a one-line reason on stderr.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * @param {object} pin
 * @param {string} pin.tool       short name for messages ("ensure-codex")
 * @param {string} pin.cache      absolute cache directory
 * @param {string} pin.spec       what `npm install` gets (e.g. "@openai/codex-linux-x64@npm:@openai/codex@0.171.0-linux-x64")
 * @param {string} pin.relBin     the binary's path inside the cache
 * @param {string} pin.version    what `--version` must print (a substring)
 * @param {(home: string, root: string) => NodeJS.ProcessEnv} pin.versionEnv  the whole env for `--version`
 *   (a throwaway HOME; root: the install's top directory, the staging one while installing)
 * @param {string} [pin.interpreter]  runs the binary (e.g. process.execPath for a Node script)
 * @param {(bin: string, out: string, root: string) => string | undefined} [pin.extraCheck]
 *   a further check once `--version` printed the version: why the install is not usable, or undefined
 */
export function ensurePinned(pin) {
  const fail = (message) => {
    process.stderr.write(`${pin.tool}: ${message}\n`);
    process.exit(1);
  };
  const bin = join(pin.cache, pin.relBin);

  const binaryVersion = (path, root) => {
    const home = mkdtempSync(join(tmpdir(), `${pin.tool}-home-`));
    try {
      if (!statSync(path).isFile()) return new Error(`${path} is not a file`);
      const [command, args] = pin.interpreter ? [pin.interpreter, [path, '--version']] : [path, ['--version']];
      const out = execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000, env: pin.versionEnv(home, root) }).trim();
      if (!out.includes(pin.version)) return new Error(`${path} --version printed ${JSON.stringify(out)}, expected ${pin.version}`);
      const problem = pin.extraCheck?.(path, out, root);
      return problem === undefined ? out : new Error(problem);
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  };

  const install = () => {
    // Into a staging directory moved into place in one rename: two test workers starting at once
    // never see (or write into) a half-installed cache.
    mkdirSync(dirname(pin.cache), { recursive: true });
    const staging = `${pin.cache}.tmp-${process.pid}-${Date.now()}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    const args = ['install', '--prefix', staging, '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', pin.spec];
    process.stderr.write(`${pin.tool}: npm ${args.join(' ')}\n`);
    try {
      execFileSync('npm', args, { cwd: staging, stdio: ['ignore', 2, 2], timeout: 10 * 60_000 });
    } catch (error) {
      rmSync(staging, { recursive: true, force: true });
      fail(`npm install of ${pin.spec} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    const staged = binaryVersion(join(staging, pin.relBin), staging);
    if (staged instanceof Error) {
      rmSync(staging, { recursive: true, force: true });
      fail(`the installed binary does not run: ${staged.message}`);
    }
    try {
      renameSync(staging, pin.cache);
    } catch (error) {
      // Someone else finished first: use theirs when it works.
      rmSync(staging, { recursive: true, force: true });
      if (binaryVersion(bin, pin.cache) instanceof Error) fail(`could not move the install into ${pin.cache}: ${error.message}`);
    }
  };

  let version = existsSync(bin) ? binaryVersion(bin, pin.cache) : new Error('not installed');
  if (version instanceof Error) {
    if (existsSync(pin.cache)) {
      process.stderr.write(`${pin.tool}: ${pin.cache} holds no working ${pin.spec} (${version.message}); reinstalling\n`);
      rmSync(pin.cache, { recursive: true, force: true });
    }
    install();
    version = binaryVersion(bin, pin.cache);
    if (version instanceof Error) fail(`${bin} does not run after install: ${version.message}`);
  }
  process.stdout.write(`${bin}\n`);
}

/**
 * Refuses (exit 1, saying why) anything but linux-x64 with glibc, the only platform whose packages the
 * ensure scripts pin. `name@version`: the pinned package; `musl`: its musl twin, named for the user.
 */
export function requireLinuxGlibc(tool, { name, version, musl, what }) {
  const { platform, arch } = process;
  if (platform !== 'linux' || arch !== 'x64') {
    process.stderr.write(
      `${tool}: unsupported platform ${platform}-${arch}: only linux-x64 (glibc) is supported for ${what} (the pinned binary is ${name}@${version}).\n`,
    );
    process.exit(1);
  }
  if (!process.report?.getReport?.().header?.glibcVersionRuntime) {
    process.stderr.write(
      `${tool}: this machine looks like musl Linux; only ${name} (glibc) is supported by this script. ` +
        `Set up ${musl}@${version} yourself, or run ${what} on glibc Linux x64.\n`,
    );
    process.exit(1);
  }
}
