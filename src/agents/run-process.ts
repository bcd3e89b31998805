import { spawn } from 'node:child_process';
import type { AgentInvocation, ProcessOutput } from './agent.js';

export interface RunProcessOptions {
  /** Kill the process group after this long (undefined: no limit). */
  timeoutMs?: number;
  /** Time between SIGTERM and SIGKILL to the process group. */
  graceMs: number;
  /** Aborting interrupts the run the same way a timeout does (shutdown). */
  signal?: AbortSignal;
  /** Each complete output line as it arrives. */
  onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
  onSpawn?: (pid: number) => void;
  /** Environment the invocation's variables are laid over (default: this process's). */
  baseEnv?: NodeJS.ProcessEnv;
}

const MAX_STDOUT = 1 << 20;
const MAX_TAIL = 1 << 16;
const DRAIN_MS = 2000;

/**
 * Runs an agent in its own process group, stdout and stderr read concurrently (no pipe deadlock).
 * A timeout or an abort sends SIGTERM to the whole group and SIGKILL after the grace period; when
 * the agent exits, whatever it left running in its group is killed too.
 */
export function runProcess(invocation: AgentInvocation, options: RunProcessOptions): Promise<ProcessOutput> {
  const started = Date.now();
  return new Promise((resolve) => {
    let stdout = '';
    let tail = '';
    let timedOut = false;
    let interrupted = false;
    let exit: { code: number | null; signal: string | null } | undefined;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const partial = { stdout: '', stderr: '' };

    const child = spawn(invocation.command, invocation.args, {
      cwd: invocation.cwd,
      env: { ...(options.baseEnv ?? process.env), ...invocation.env },
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });

    const killGroup = (signal: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try { process.kill(-child.pid, signal); } catch { /* group already gone */ }
    };

    const stop = (why: 'timeout' | 'interrupt') => {
      if (exit || settled) return;
      if (why === 'timeout') timedOut = true; else interrupted = true;
      killGroup('SIGTERM');
      timers.push(setTimeout(() => killGroup('SIGKILL'), options.graceMs));
    };

    const finish = (spawnError?: Error) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      options.signal?.removeEventListener('abort', onAbort);
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
      if (spawnError) output.spawnError = spawnError;
      resolve(output);
    };

    const onData = (stream: 'stdout' | 'stderr') => (text: string) => {
      if (stream === 'stdout') {
        stdout += text;
        if (stdout.length > MAX_STDOUT) stdout = stdout.slice(-MAX_STDOUT);
      }
      tail += text;
      if (tail.length > MAX_TAIL) tail = tail.slice(-MAX_TAIL);
      if (!options.onLine) return;
      const lines = (partial[stream] + text).split('\n');
      partial[stream] = lines.pop() ?? '';
      for (const line of lines) options.onLine(stream, line);
    };

    const onAbort = () => stop('interrupt');

    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', onData('stdout'));
    child.stderr.on('data', onData('stderr'));
    child.stdin.on('error', () => { /* the agent did not read its stdin: fine */ });
    child.on('error', (error) => {
      if (child.pid === undefined) finish(error);
    });
    child.on('spawn', () => {
      if (child.pid !== undefined) options.onSpawn?.(child.pid);
      child.stdin.end(invocation.stdin);
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      // The leader is gone; nothing it started may outlive it.
      killGroup('SIGKILL');
      timers.push(setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish();
      }, DRAIN_MS));
    });
    child.on('close', () => {
      if (exit) finish();
    });

    if (options.timeoutMs !== undefined) timers.push(setTimeout(() => stop('timeout'), options.timeoutMs));
    if (options.signal?.aborted) stop('interrupt');
    else options.signal?.addEventListener('abort', onAbort);
  });
}
