import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RalphError, errorMessage } from '../errors.js';
import { isAlive } from '../process/alive.js';
import { HOST } from '../process/machine.js';
import { runIsLive } from '../queue/liveness.js';
import type { Store } from '../store/store.js';
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

/** How long `ralph ctl` waits for an answer; a request older than that is not acted on. */
const ANSWER_MS = 10_000;
const STALE_MS = ANSWER_MS;

/** Empties the control directory (a run starting: what is there is not for it). */
export function clearRequests(paths: StatePaths): void {
  rmSync(controlDir(paths), { recursive: true, force: true });
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
      const request = JSON.parse(readFileSync(join(dir, name), 'utf8')) as ControlCommand & { sent_at?: number };
      // One older than ralph ctl waits for was given up: not done now, behind its back.
      answer = typeof request.sent_at === 'number' && Date.now() - request.sent_at > STALE_MS ? { ok: false, message: 'request too old' } : await act(request);
    } catch (error) {
      answer = { ok: false, message: errorMessage(error) };
    }
    rmSync(join(dir, name), { force: true });
    writeFileSync(join(dir, `${id}.answer.tmp`), JSON.stringify(answer));
    renameSync(join(dir, `${id}.answer.tmp`), join(dir, `${id}.answer.json`));
  }
}

/** `ralph ctl`'s side: the request sent, its answer awaited (undefined: none within `timeoutMs`). */
export async function sendRequest(paths: StatePaths, request: ControlCommand, timeoutMs = ANSWER_MS): Promise<ControlAnswer | undefined> {
  const dir = controlDir(paths);
  mkdirSync(dir, { recursive: true });
  const id = `${process.pid}-${Date.now()}`;
  writeFileSync(join(dir, `${id}.tmp`), JSON.stringify({ ...request, sent_at: Date.now() }));
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

/**
 * A request to the live run of `store`'s queue on this machine (what `ralph ctl` and the dashboard
 * send), and its answer; refused (exit 1) when no run is live here or it does not answer.
 */
export async function askRun(store: Store, request: ControlCommand): Promise<ControlAnswer> {
  await store.refresh();
  const { meta } = await store.overview();
  if (!runIsLive(meta, HOST, isAlive))
    throw new RalphError('RALPH_NO_RUN', `No run is live on ${store.location}: \`ralph ctl\` steers a running \`ralph run\`.`, { exitCode: 1 });
  if (meta.run?.host !== undefined && meta.run.host !== HOST)
    throw new RalphError('RALPH_NO_RUN', `The run is on ${meta.run.host}: run \`ralph ctl\` there (it goes through the run's state directory).`, {
      exitCode: 1,
    });
  const answer = await sendRequest(store.paths, request);
  if (!answer) throw new RalphError('RALPH_NO_ANSWER', `The run (pid ${meta.run?.pid ?? '?'}) did not answer within 10 s.`, { exitCode: 1 });
  return answer;
}
