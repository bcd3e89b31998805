import { spawn as nodeSpawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { Socket } from 'node:net';
import { constants as osConstants } from 'node:os';
import { delimiter, join } from 'node:path';
import { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { executableProblem } from './executable.js';

/**
 * The part of a ChildProcess that the runner uses: pipes for stdin/stdout/stderr and the events
 * 'spawn', 'exit' (code, signal), 'close' (after exit and both output pipes closed) and 'error'.
 */
export interface SpawnedChild extends EventEmitter {
  readonly pid: number | undefined;
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
}

export interface SpawnOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** How agents are started here: `posix_spawn` through the native helper, or Node's child_process. */
export type SpawnBackend = 'posix_spawn' | 'child_process';

interface NativeSpawn {
  spawn(file: string, argv: string[], envp: string[], cwd: string, onExit: (pid: number, code: number, signal: number) => void): [number, number, number, number];
}

const NATIVE_PATH = new URL('../../build/Release/ralph_spawn.node', import.meta.url);
let native: NativeSpawn | null | undefined;
let nativeProblem = '';

function loadNative(): NativeSpawn | null {
  if (native !== undefined) return native;
  native = null;
  if (process.env.RALPH_SPAWN === 'node') {
    nativeProblem = 'RALPH_SPAWN=node';
  } else if (process.platform !== 'linux') {
    nativeProblem = `not built on ${process.platform}`;
  } else {
    try {
      native = createRequire(import.meta.url)(NATIVE_PATH.pathname) as NativeSpawn;
    } catch (error) {
      nativeProblem = `build/Release/ralph_spawn.node not loaded (${(error as Error).message.split('\n')[0]}); run npm ci or npm run build:native`;
    }
  }
  return native;
}

/** Which backend starts agents in this process, and why not the fast one when it is not used. */
export function spawnBackend(): { backend: SpawnBackend; why?: string } {
  return loadNative() ? { backend: 'posix_spawn' } : { backend: 'child_process', why: nativeProblem };
}

/**
 * Starts `command args` in a new session (its own process group), with piped stdio, like
 * child_process.spawn(..., { detached: true }). Uses posix_spawn when the native helper is built:
 * libuv's fork() costs ~2 ms of CPU per spawn in a Node-sized process, posix_spawn almost nothing.
 * Errors from exec (ENOENT, E2BIG…) are thrown by the native path and emitted as 'error' by the
 * child_process path; callers handle both.
 */
export function spawnDetached(command: string, args: string[], options: SpawnOptions, backend?: SpawnBackend): SpawnedChild {
  const helper = backend === 'child_process' ? null : loadNative();
  if (backend === 'posix_spawn' && !helper) throw new Error(`the native spawn helper is not available: ${nativeProblem}`);
  if (!helper) {
    return nodeSpawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] }) as SpawnedChild;
  }
  return new NativeChild(helper, command, args, options);
}

const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(
  Object.entries(osConstants.signals).map(([name, number]) => [number, name as NodeJS.Signals]),
);

class NativeChild extends EventEmitter implements SpawnedChild {
  readonly pid: number;
  readonly stdin: Socket;
  readonly stdout: Socket;
  readonly stderr: Socket;
  private exited = false;
  private openPipes = 2;

  constructor(helper: NativeSpawn, command: string, args: string[], options: SpawnOptions) {
    super();
    const file = resolveCommand(command, options.env.PATH, options.cwd);
    const envp = Object.entries(options.env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
    let fds: [number, number, number, number];
    try {
      fds = helper.spawn(file, [command, ...args], envp, options.cwd, (_pid, code, signal) => this.onExit(code, signal));
    } catch (error) {
      throw spawnError(command, error as NodeJS.ErrnoException);
    }
    this.pid = fds[0];
    this.stdin = new Socket({ fd: fds[1], readable: false, writable: true });
    this.stdout = new Socket({ fd: fds[2], readable: true, writable: false });
    this.stderr = new Socket({ fd: fds[3], readable: true, writable: false });
    for (const pipe of [this.stdout, this.stderr]) {
      pipe.on('error', () => { /* the read end only fails when the child is gone: close follows */ });
      pipe.once('close', () => {
        this.openPipes--;
        this.maybeClose();
      });
    }
    process.nextTick(() => this.emit('spawn'));
  }

  private onExit(code: number, signal: number): void {
    this.exited = true;
    this.emit('exit', code >= 0 ? code : null, signal > 0 ? (SIGNAL_NAMES.get(signal) ?? `SIG${signal}`) : null);
    this.maybeClose();
  }

  private maybeClose(): void {
    if (this.exited && this.openPipes === 0) {
      this.openPipes = -1;
      this.stdin.destroy();
      this.emit('close');
    }
  }
}

/** Like Node's error for a failed spawn: `spawn <command> ENOENT`, with code, errno, syscall, path. */
function spawnError(command: string, cause: NodeJS.ErrnoException): NodeJS.ErrnoException {
  if (cause.syscall !== 'spawn') return cause;
  const error: NodeJS.ErrnoException = new Error(`spawn ${command} ${cause.code}`);
  error.code = cause.code;
  error.errno = cause.errno;
  error.syscall = `spawn ${command}`;
  error.path = command;
  return error;
}

/** A command without a slash is looked up on the child's PATH, as child_process does. */
export function resolveCommand(command: string, path: string | undefined, cwd: string): string {
  if (command.includes('/')) return command;
  for (const dir of (path ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    const candidate = join(dir === '' ? cwd : dir, command);
    if (executableProblem(candidate) === undefined) return candidate;
  }
  const error: NodeJS.ErrnoException = new Error(`spawn ${command} ENOENT`);
  error.code = 'ENOENT';
  error.errno = -osConstants.errno.ENOENT;
  error.syscall = `spawn ${command}`;
  error.path = command;
  throw error;
}
