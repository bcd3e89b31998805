/**
 * Ralph's optional native helper (native/spawn.c, built by `npm ci` with node-gyp; Linux only):
 * agents started with posix_spawn, kill(2) without an exception (process/spawn.ts), and the worker as
 * a child subreaper that finds and reaps what its agents left behind (process/descendants.ts). Each user
 * checks for the functions it needs and falls back to plain Node without them.
 */
export interface NativeHelper {
  /** Starts a child whose stdio a native thread serves (native/spawn.c), events in order. */
  spawnPiped?(
    file: string,
    argv: string[],
    envp: string[],
    cwd: string,
    input: Buffer,
    drainMs: number,
    onEvent: (kind: number, a: Buffer | number, b: number | undefined) => void,
  ): number;
  /** kill(2): 0 when sent, else the errno (no exception for a process that is gone). */
  kill?(pid: number, signal: number): number;
  /** prctl(PR_SET_CHILD_SUBREAPER): 0 when set, else the errno. Orphaned descendants become this process's children. */
  setSubreaper?(): number;
  /** waitpid(pid, WNOHANG) for a re-parented orphan: its pid once reaped, 0 while it runs, -errno. */
  reap?(pid: number): number;
}

// dist/process/native.js and the worker bundle (dist/cli/worker-bundle.cjs) are both two levels under the
// package root, so the same relative path holds for both.
const ADDON_PATH = new URL('../../build/Release/ralph_spawn.node', import.meta.url);
let helper: NativeHelper | null | undefined;
let problem = '';

/** The helper, or null when it is not built here (then `nativeProblem()` says why). */
export function nativeHelper(): NativeHelper | null {
  if (helper !== undefined) return helper;
  helper = null;
  if (process.platform !== 'linux') {
    problem = `not built on ${process.platform}`;
    return helper;
  }
  try {
    // process.dlopen rather than createRequire: node:module would cost every worker ~4 ms to load.
    const addon = { exports: {} as NativeHelper };
    process.dlopen(addon, ADDON_PATH.pathname);
    helper = addon.exports;
  } catch (error) {
    problem = `build/Release/ralph_spawn.node not loaded (${(error as Error).message.split('\n')[0]}); run npm ci or npm run build:native`;
  }
  return helper;
}

export function nativeProblem(): string {
  return problem;
}
