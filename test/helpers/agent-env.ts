/**
 * What the <cli>-env.ts helpers share, for running a REAL agent CLI hermetically: its pinned binary
 * (installed by scripts/ensure-<cli>.mjs on first use), temp dirs made for the runs and removed
 * together, and the few variables of this process a run keeps.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';

/** scripts/<name>, absolute. */
const ensureScript = (name: string): string => resolve(import.meta.dirname, '..', '..', 'scripts', name);

/**
 * Runs one of scripts/ensure-<cli>.mjs (which installs the pinned CLI into .cache/ when absent) and
 * returns the binary path it prints last; throws saying why when it fails, so that a test that needs
 * the binary fails with the reason instead of being skipped.
 */
function binaryFromEnsureScript(script: string): string {
  const name = `scripts/${basename(script)}`;
  let out: string;
  try {
    out = execFileSync(process.execPath, [script], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 15 * 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${name} failed: ${e.stderr?.trim() || e.message}`);
  }
  const last = out.trim().split('\n').pop()?.trim();
  if (!last) throw new Error(`${name} printed no path`);
  return last;
}

/** The absolute path of the binary scripts/<name> pins, installing it into the cache on the first call (once per process). */
export function pinnedBinary(name: string): () => string {
  let binary: string | undefined;
  return () => (binary ??= binaryFromEnsureScript(ensureScript(name)));
}

/** Temp dirs made for the runs (HOMEs, working dirs), removed together by cleanup() (in afterEach/afterAll). */
export function tempDirs(): { make(prefix: string): string; cleanup(): void } {
  const dirs: string[] = [];
  return {
    make(prefix) {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(dir);
      return dir;
    },
    cleanup() {
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Variables of this process that a run may keep: nothing that configures an agent or its auth. */
const PASSED_THROUGH = ['PATH', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TMPDIR', 'SHELL', 'TERM'];

/** PATH, the locale, TMPDIR, SHELL and TERM of this process, those that are set. */
export function passedThrough(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of PASSED_THROUGH) if (process.env[name] !== undefined) env[name] = process.env[name];
  return env;
}

/** `env` with `extra` laid over it: a variable set to undefined is removed. */
export function overlaid(env: NodeJS.ProcessEnv, extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete out[name];
    else out[name] = value;
  }
  return out;
}
