import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach } from 'vitest';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'dist', 'cli', 'bin.js');

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temporary directory, removed after the test. */
export function tempDir(prefix = 'ralph-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RalphOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  wrap?: string[];
}

/**
 * Starts the real CLI (`node dist/cli/bin.js …`) in `cwd`; `wrap` is a command that runs it (such as
 * `prlimit --fsize=N --`).
 */
export function startRalph(args: string[], options: RalphOptions): { child: ChildProcess; done: Promise<Result> } {
  const [command, ...prefix] = [...(options.wrap ?? []), process.execPath];
  const child = spawn(command!, [...prefix, CLI, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<Result>((res) => {
    child.on('close', (code, signal) => res({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

export function ralph(args: string[], options: RalphOptions): Promise<Result> {
  return startRalph(args, options).done;
}

/** Writes an executable /bin/sh script. */
export function script(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

export function writeTasks(dir: string, tasks: unknown, name = 'tasks.json'): string {
  const path = join(dir, name);
  writeFileSync(path, typeof tasks === 'string' ? tasks : JSON.stringify(tasks));
  return path;
}

export function readJson<T = any>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

export function queueOf(dir: string): any {
  return readJson(join(dir, '.ralph', 'work-queue.json'));
}

export function resultsOf(dir: string): any {
  return readJson(join(dir, '.ralph', 'results.json'));
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 20_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Whether any process of the given process group still exists. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid of a process of this host that has exited and been reaped (a short-lived `sh`). */
export function deadPid(): number {
  const pid = Number(spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new Error('could not get the pid of a finished process');
  return pid;
}
