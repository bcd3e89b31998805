import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '../errors.js';
import type { StatePaths } from '../store/paths.js';

/**
 * `ralph ctl`: requests to the run that owns the queue, through its state directory. A request is a
 * file `<dir>/control/<id>.request.json` (written whole, then renamed into place); the run looks
 * each time it watches the queue, acts, and writes `<id>.answer.json`, which `ralph ctl` waits for.
 */
export type ControlCommand =
  | { command: 'status' }
  | { command: 'scale'; workers: number }
  | { command: 'stop-worker'; worker: number }
  | { command: 'pause' }
  | { command: 'resume' };

export interface ControlAnswer {
  ok: boolean;
  /** One line: what was done, or why not. */
  message: string;
  /** The run's workers as it sees them after the request. */
  workers?: Array<{ id: number; pid: number | null; running: boolean; task: string | null }>;
  target?: number;
}

export function controlDir(paths: StatePaths): string {
  return join(paths.dir, 'control');
}

/** The run's side: the requests waiting, each answered by `act`. */
export async function answerRequests(paths: StatePaths, act: (request: ControlCommand) => Promise<ControlAnswer>): Promise<void> {
  const dir = controlDir(paths);
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.request.json'));
  } catch {
    return;
  }
  for (const name of names) {
    const id = name.slice(0, -'.request.json'.length);
    let answer: ControlAnswer;
    try {
      const request = JSON.parse(readFileSync(join(dir, name), 'utf8')) as ControlCommand;
      answer = await act(request);
    } catch (error) {
      answer = { ok: false, message: errorMessage(error) };
    }
    rmSync(join(dir, name), { force: true });
    writeFileSync(join(dir, `${id}.answer.tmp`), JSON.stringify(answer));
    renameSync(join(dir, `${id}.answer.tmp`), join(dir, `${id}.answer.json`));
  }
}

/** `ralph ctl`'s side: the request sent, its answer awaited (undefined: none within `timeoutMs`). */
export async function sendRequest(paths: StatePaths, request: ControlCommand, timeoutMs = 10_000): Promise<ControlAnswer | undefined> {
  const dir = controlDir(paths);
  mkdirSync(dir, { recursive: true });
  const id = `${process.pid}-${Date.now()}`;
  writeFileSync(join(dir, `${id}.tmp`), JSON.stringify(request));
  renameSync(join(dir, `${id}.tmp`), join(dir, `${id}.request.json`));
  const answerPath = join(dir, `${id}.answer.json`);
  for (const until = Date.now() + timeoutMs; Date.now() < until; ) {
    try {
      const answer = JSON.parse(readFileSync(answerPath, 'utf8')) as ControlAnswer;
      rmSync(answerPath, { force: true });
      return answer;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  rmSync(join(dir, `${id}.request.json`), { force: true });
  return undefined;
}
