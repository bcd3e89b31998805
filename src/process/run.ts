import { resolve as absolute } from 'node:path';
import { signalProcess, spawnDetached } from './spawn.js';
import type { SpawnBackend, SpawnedChild } from './spawn.js';

/** How to start the agent: never a shell string built from task data. */
export interface ProcessInvocation {
  command: string;
  args: string[];
  env: Record<string, string>;
  stdin: string;
  cwd: string;
}

/** What the process did. */
export interface ProcessOutput {
  stdout: string;
  /** The tail of stdout and stderr interleaved as they arrived. */
  combinedTail: string;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** Set when the process was killed for printing nothing for this long (`--idle-timeout`). */
  idleMs?: number;
  interrupted: boolean;
  spawnError?: Error;
  durationMs: number;
}

export interface RunProcessOptions {
  /** Kill the process group after this long (undefined: no limit). */
  timeoutMs?: number;
  /**
   * Kill the process group once it has printed nothing (stdout or stderr) for this long: a hung
   * agent (undefined: no limit). The output then says so in `idleMs`.
   */
  idleTimeoutMs?: number;
  /** Time between SIGTERM and SIGKILL to the process group. */
  graceMs: number;
  /** Aborting interrupts the run the same way a timeout does (shutdown). */
  signal?: AbortSignal;
  /** Each complete output line as it arrives (a very long line arrives in pieces of MAX_LINE). */
  onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
  onSpawn?: (pid: number) => void;
  /** Environment the invocation's variables are laid over (default: this process's). */
  baseEnv?: NodeJS.ProcessEnv;
  /** How to start it (default: posix_spawn when the native helper is built, else child_process). */
  backend?: SpawnBackend;
  /**
   * Kills what the agent left running outside its process group (process/descendants.ts): called
   * with 'exit' when its leader exits by itself, 'reap' while a stopped group has its grace period
   * (children that died are collected), and 'end' when the run is over.
   */
  sweep?: (pid: number, phase: SweepPhase) => void;
}

export type SweepPhase = 'exit' | 'reap' | 'end';

const MAX_STDOUT = 1 << 20;
const MAX_TAIL = 1 << 16;
export const MAX_LINE = 1 << 16;
const DRAIN_MS = 2000;
const GROUP_POLL_MS = 50;

/**
 * Runs an agent in its own process group, stdout and stderr read concurrently (no pipe deadlock).
 * A timeout or an abort sends SIGTERM to the whole group and SIGKILL after the grace period, also
 * when the group's leader (a wrapper script, say) dies at once and leaves the real agent cleaning up.
 * When the agent exits by itself, whatever it left running in its group is killed, and `sweep`
 * finds what it left elsewhere.
 */
export function runProcess(invocation: ProcessInvocation, options: RunProcessOptions): Promise<ProcessOutput> {
  const started = Date.now();
  return new Promise((resolve) => {
    let stdout = '';
    let tail = '';
    let timedOut = false;
    let idle = false;
    let lastOutput = started;
    let interrupted = false;
    let stopping = false;
    let graceOver = false;
    let closed = false;
    let drained = false;
    let exit: { code: number | null; signal: string | null } | undefined;
    let groupLeft = false;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const partial = { stdout: '', stderr: '' };

    let child: SpawnedChild;
    try {
      child = spawnDetached(
        invocation.command,
        invocation.args,
        {
          cwd: invocation.cwd,
          // PWD names the agent's own directory, as a shell would set it: an inherited one (ralph's, the
          // user's checkout) would send a CLI that trusts PWD over getcwd (opencode, a Bun binary) there.
          env: { ...(options.baseEnv ?? process.env), ...invocation.env, PWD: absolute(invocation.cwd) },
          input: invocation.stdin,
          drainMs: DRAIN_MS,
        },
        options.backend,
      );
    } catch (error) {
      // Some failures are thrown, not emitted: all of them from posix_spawn, E2BIG (an environment
      // too large for exec) from child_process.
      resolve({
        stdout: '',
        combinedTail: '',
        exitCode: null,
        signal: null,
        timedOut: false,
        interrupted: false,
        spawnError: error as Error,
        durationMs: Date.now() - started,
      });
      return;
    }

    const killGroup = (signal: NodeJS.Signals) => {
      if (child.pid !== undefined) signalProcess(-child.pid, signal);
    };
    const groupGone = () => child.pid === undefined || !signalProcess(-child.pid, 0);
    const sweep = (phase: SweepPhase) => {
      if (child.pid === undefined || !options.sweep) return;
      try {
        options.sweep(child.pid, phase);
      } catch {
        /* a sweep never stops the run */
      }
    };

    const finish = (spawnError?: Error) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      options.signal?.removeEventListener('abort', onAbort);
      if (stopping || groupLeft) sweep('end');
      for (const stream of ['stdout', 'stderr'] as const) {
        if (partial[stream] !== '') options.onLine?.(stream, partial[stream]);
      }
      const output: ProcessOutput = {
        stdout,
        combinedTail: tail,
        exitCode: exit?.code ?? null,
        signal: exit?.signal ?? null,
        timedOut,
        interrupted,
        durationMs: Date.now() - started,
      };
      if (idle) output.idleMs = options.idleTimeoutMs;
      if (spawnError) output.spawnError = spawnError;
      resolve(output);
    };
    // Done when the leader has exited, its output is read (or given up on), and, after a stop,
    // the group is gone or its grace period is over.
    const maybeFinish = () => {
      if (exit && (closed || drained) && (!stopping || graceOver)) finish();
    };

    const stop = (why: 'timeout' | 'idle' | 'interrupt') => {
      if (stopping || settled) return;
      stopping = true;
      if (why === 'timeout') timedOut = true;
      else if (why === 'idle') idle = true;
      else interrupted = true;
      killGroup('SIGTERM');
      timers.push(
        setTimeout(() => {
          killGroup('SIGKILL');
          graceOver = true;
          maybeFinish();
        }, options.graceMs),
      );
      const poll = setInterval(() => {
        sweep('reap');
        if (!groupGone()) return;
        clearInterval(poll);
        graceOver = true;
        maybeFinish();
      }, GROUP_POLL_MS);
      timers.push(poll);
    };

    const onData = (stream: 'stdout' | 'stderr') => (text: string) => {
      lastOutput = Date.now();
      if (stream === 'stdout') {
        stdout += text;
        if (stdout.length > MAX_STDOUT) stdout = stdout.slice(-MAX_STDOUT);
      }
      tail += text;
      if (tail.length > MAX_TAIL) tail = tail.slice(-MAX_TAIL);
      if (!options.onLine) return;
      const lines = (partial[stream] + text).split('\n');
      let rest = lines.pop() ?? '';
      for (const line of lines) emitLine(stream, line);
      // A line with no end in sight goes out in pieces rather than growing without bound.
      while (rest.length >= MAX_LINE) {
        emitLine(stream, rest.slice(0, MAX_LINE));
        rest = rest.slice(MAX_LINE);
      }
      partial[stream] = rest;
    };
    const emitLine = (stream: 'stdout' | 'stderr', line: string) => {
      if (line.length <= MAX_LINE) options.onLine?.(stream, line);
      else for (let at = 0; at < line.length; at += MAX_LINE) options.onLine?.(stream, line.slice(at, at + MAX_LINE));
    };

    const onAbort = () => stop('interrupt');

    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', onData('stdout'));
    child.stderr.on('data', onData('stderr'));
    child.on('error', (error) => {
      if (child.pid === undefined) finish(error);
    });
    child.on('spawn', () => {
      if (child.pid !== undefined) options.onSpawn?.(child.pid);
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      // The leader is gone. Unless a stop is under way (then the grace timer decides), nothing it
      // started may outlive it.
      if (!stopping) {
        // What the group held when its leader exited may leave orphans behind as it dies: another
        // sweep at the end then. (After a stop there is always one.)
        groupLeft = child.pid !== undefined && signalProcess(-child.pid, 'SIGKILL');
        sweep('exit');
      }
      timers.push(
        setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
          drained = true;
          maybeFinish();
        }, DRAIN_MS),
      );
      maybeFinish();
    });
    child.on('close', () => {
      closed = true;
      maybeFinish();
    });

    if (options.timeoutMs !== undefined) timers.push(setTimeout(() => stop('timeout'), options.timeoutMs));
    // One timer for the idle limit, set again for what is left of it whenever output came meanwhile
    // (cheaper than a new timer for every chunk of output).
    const idleLimit = options.idleTimeoutMs;
    const watchIdle = (waitMs: number) => {
      timers.push(
        setTimeout(() => {
          if (exit || stopping || settled) return;
          const quiet = Date.now() - lastOutput;
          if (quiet >= idleLimit!) stop('idle');
          else watchIdle(idleLimit! - quiet);
        }, waitMs),
      );
    };
    if (idleLimit !== undefined) watchIdle(idleLimit);
    if (options.signal?.aborted) stop('interrupt');
    else options.signal?.addEventListener('abort', onAbort);
  });
}
