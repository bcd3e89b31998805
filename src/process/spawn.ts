import { spawn as nodeSpawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { delimiter, join } from 'node:path';
import { EventEmitter } from 'node:events';
import { StringDecoder } from 'node:string_decoder';
import { executableProblem } from './executable.js';
import { nativeHelper, nativeProblem as helperProblem } from './native.js';
import type { NativeHelper } from './native.js';

/** What the runner reads from a child's stdout or stderr (a Readable is one). */
export interface OutputStream {
  setEncoding(encoding: 'utf8'): unknown;
  on(event: 'data', listener: (text: string) => void): unknown;
  /** Stops reading: nothing more is delivered. */
  destroy(): unknown;
}

/**
 * The part of a ChildProcess that the runner uses: its output streams and the events 'spawn',
 * 'exit' (code, signal), 'close' (after exit and both output streams ended) and 'error'. Its stdin
 * gets `SpawnOptions.input` and is closed.
 */
export interface SpawnedChild extends EventEmitter {
  readonly pid: number | undefined;
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
}

export interface SpawnOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Written to the child's stdin, which is then closed (an agent that does not read it is fine). */
  input?: string;
  /**
   * After the child exits, how long its output is still read while something it started keeps the
   * pipes open (default 2 s); the runner gives up on it then too.
   */
  drainMs?: number;
}

/** How agents are started here: `posix_spawn` through the native helper, or Node's child_process. */
export type SpawnBackend = 'posix_spawn' | 'child_process';

interface NativeSpawn {
  spawnPiped: NonNullable<NativeHelper['spawnPiped']>;
}

let native: NativeSpawn | null | undefined;
let nativeProblem = '';

function loadNative(): NativeSpawn | null {
  if (native !== undefined) return native;
  native = null;
  if (process.env.RALPH_SPAWN === 'node') {
    nativeProblem = 'RALPH_SPAWN=node';
    return native;
  }
  const helper = nativeHelper();
  if (helper && typeof helper.spawnPiped === 'function') native = helper as NativeSpawn;
  else nativeProblem = helper ? 'build/Release/ralph_spawn.node is from an older version; run npm run build:native' : helperProblem();
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
    const child = nodeSpawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.on('error', () => {
      /* the agent did not read its stdin: fine */
    });
    child.once('spawn', () => child.stdin.end(options.input ?? ''));
    return child as SpawnedChild;
  }
  try {
    return new PipedChild(helper, command, args, options);
  } catch (error) {
    // A kernel without pidfds (Linux before 5.3): child_process from now on.
    if ((error as NodeJS.ErrnoException).syscall !== 'pidfd_open' || backend === 'posix_spawn') throw error;
    native = null;
    nativeProblem = 'pidfd_open is not supported by this kernel (Linux 5.3 or later is needed)';
    return spawnDetached(command, args, options, 'child_process');
  }
}

/**
 * Sends `signal` to a process (a process group when `pid` is negative); false when there is none.
 * Through the native helper when there is one: after nearly every task the agent's group is already
 * gone, and process.kill would build an exception with a stack to say so.
 */
export function signalProcess(pid: number, signal: NodeJS.Signals | 0): boolean {
  const kill = nativeHelper()?.kill;
  const number = signal === 0 ? 0 : osConstants.signals[signal];
  if (kill && number !== undefined) return kill(pid, number) === 0;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

const envp = (env: NodeJS.ProcessEnv) =>
  Object.entries(env)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v}`);

/** One output stream of a PipedChild: chunks from the native thread, decoded as UTF-8. */
class PipedOutput extends EventEmitter implements OutputStream {
  private decoder = new StringDecoder('utf8');
  private destroyed = false;

  setEncoding(): this {
    return this;
  }

  push(chunk: Buffer): void {
    if (this.destroyed) return;
    const text = this.decoder.write(chunk);
    if (text !== '') this.emit('data', text);
  }

  end(): void {
    if (this.destroyed) return;
    const text = this.decoder.end();
    if (text !== '') this.emit('data', text);
  }

  destroy(): this {
    this.destroyed = true;
    return this;
  }
}

/**
 * A child started with spawnPiped: its stdin, stdout and stderr are served by the native thread
 * that also waits for it, so no socket is made per task.
 */
class PipedChild extends EventEmitter implements SpawnedChild {
  readonly pid: number;
  readonly stdout = new PipedOutput();
  readonly stderr = new PipedOutput();

  constructor(helper: NativeSpawn, command: string, args: string[], options: SpawnOptions) {
    super();
    const file = resolveCommand(command, options.env.PATH, options.cwd);
    try {
      this.pid = helper.spawnPiped(
        file,
        [command, ...args],
        envp(options.env),
        options.cwd,
        Buffer.from(options.input ?? '', 'utf8'),
        options.drainMs ?? 2000,
        (kind, a, b) => this.onEvent(kind, a, b),
      );
    } catch (error) {
      throw spawnError(command, error as NodeJS.ErrnoException);
    }
    process.nextTick(() => this.emit('spawn'));
  }

  private onEvent(kind: number, a: Buffer | number, b: number | undefined): void {
    if (kind === 1) this.stdout.push(a as Buffer);
    else if (kind === 2) this.stderr.push(a as Buffer);
    else if (kind === 3) {
      const code = a as number;
      const signal = b ?? 0;
      this.emit('exit', code >= 0 ? code : null, signal > 0 ? (SIGNAL_NAMES.get(signal) ?? `SIG${signal}`) : null);
    } else {
      this.stdout.end();
      this.stderr.end();
      this.emit('close');
    }
  }
}

const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(Object.entries(osConstants.signals).map(([name, number]) => [number, name as NodeJS.Signals]));

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
