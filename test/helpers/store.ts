// Shared by the store tests: real `node` child processes running fixtures against the built dist/.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { statePaths } from '../../src/store/paths.js';
import { ROOT, waitFor } from './index.js';
import type { Result } from './index.js';

export const DIST = join(ROOT, 'dist');
export const FIXTURES = join(ROOT, 'test', 'fixtures');

/** Fails loudly when dist/store is missing or older than src/store (run `npm run build`). */
export function assertBuilt(): void {
  const srcDir = join(ROOT, 'src', 'store');
  for (const name of readdirSync(srcDir)) {
    if (!name.endsWith('.ts')) continue;
    const built = join(DIST, 'store', name.replace(/\.ts$/, '.js'));
    if (!existsSync(built) || statSync(built).mtimeMs < statSync(join(srcDir, name)).mtimeMs) {
      throw new Error(`${built} is missing or older than src/store/${name}: run \`npm run build\` first`);
    }
  }
}

export interface Running {
  child: ChildProcess;
  pid: number;
  done: Promise<Result>;
  /** Complete stdout lines received so far. */
  lines: string[];
  stderr: () => string;
}

/** Starts `node test/fixtures/<fixture> ...args`, with `env` added to this process's environment. */
export function startFixture(fixture: string, args: string[], env: NodeJS.ProcessEnv = {}): Running {
  const child = spawn(process.execPath, [join(FIXTURES, fixture), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const lines: string[] = [];
  let stdout = '';
  let partial = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    partial += d.toString();
    const parts = partial.split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<Result>((res) => {
    child.on('close', (code, signal) => res({ code, signal, stdout, stderr }));
  });
  return { child, pid: child.pid!, done, lines, stderr: () => stderr };
}

/** Runs a fixture to the end. */
export function runFixture(fixture: string, args: string[]): Promise<Result> {
  return startFixture(fixture, args).done;
}

/** Waits for the first stdout line of a running fixture (failing early if it exits). */
export async function firstLine(running: Running, timeoutMs = 15_000): Promise<string> {
  let exited = false;
  void running.done.then(() => {
    exited = true;
  });
  return waitFor(
    'a line from the fixture',
    () => {
      if (running.lines.length > 0) return running.lines[0];
      if (exited) throw new Error(`fixture exited before printing: ${running.stderr()}`);
      return undefined;
    },
    timeoutMs,
    5,
  );
}

/** SIGKILLs a fixture and waits until it is reaped, so its pid no longer counts as alive. */
export async function kill9(running: Running): Promise<Result> {
  running.child.kill('SIGKILL');
  return running.done;
}

/** Where the state files of a store directory are, as the store itself names them. */
export function stateFiles(dir: string): { queue: string; results: string; journal: string } {
  const paths = statePaths(dir);
  return { queue: paths.queue, results: paths.results, journal: paths.journal };
}

/** Writes state files by hand, creating the directories they live in. */
export function writeState(dir: string, texts: { queue?: string; results?: string; journal?: string }): void {
  const files = stateFiles(dir);
  for (const key of ['queue', 'results', 'journal'] as const) {
    const text = texts[key];
    if (text === undefined) continue;
    mkdirSync(dirname(files[key]), { recursive: true });
    writeFileSync(files[key], text);
  }
}

/** Whether the process is stopped (SIGSTOP): its state in /proc/<pid>/stat is T. */
export function isStopped(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'T';
  } catch {
    return false;
  }
}
