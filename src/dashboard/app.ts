import { Hono } from 'hono';
import type { Context, Next } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { streamSSE } from 'hono/streaming';
import { InputError, RalphError, errorMessage } from '../errors.js';
import { askRun } from '../orchestrator/control.js';
import type { ControlAnswer } from '../orchestrator/control.js';
import { appendTasks } from '../orchestrator/boot.js';
import { setPaused } from '../orchestrator/pause.js';
import { retryFailed } from '../orchestrator/retry.js';
import { stopTask } from '../orchestrator/stop-task.js';
import { parseTasksFile } from '../queue/tasks-file.js';
import type { TaskStatus } from '../queue/types.js';
import { TASK_SORTS } from '../queue/task-query.js';
import type { TaskSort } from '../queue/task-query.js';
import { taskDiff } from '../git/task-diff.js';
import { recentIterations } from '../loops/recent.js';
import { bucketSize, historyPoints } from '../report/history.js';
import type { Store } from '../store/store.js';
import { LogReader } from '../view/log-files.js';
import { runEndedAt } from '../view/status-watch.js';
import { runIsLive } from '../queue/liveness.js';
import { HOST } from '../process/machine.js';
import { isAlive } from '../process/alive.js';
import type { LogRecord } from '../view/log-records.js';
import type { LiveHub } from './hub.js';
import type { PageFiles } from './page.js';
import { taskPrompt } from './task-prompt.js';
import { tokenMatches } from './token.js';

const STATUSES: readonly TaskStatus[] = ['pending', 'claimed', 'completed', 'failed'];
const MAX_PAGE = 500;
const MAX_TASKS_FILE = 16 << 20;
/** The charts go back at most this far (a run started long ago). */
const WEEK_MS = 7 * 24 * 3_600_000;
/** A task's log as the page shows it: its last lines. */
const MAX_LOG_LINES = 2000;

/** Sent with every answer: nothing but this server's own script and data, no framing, no referrer (the URL has the token). */
const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
};

/**
 * The dashboard's HTTP app: the page, its script, and JSON endpoints a script may use as well
 * (`/api/status` is what `ralph status --json` prints; `/api/tasks` pages through the queue;
 * `/api/events` is a server-sent event stream of status snapshots, fed by one watch on the queue).
 * Every request needs the token. The page and its script and stylesheet take it in the query
 * (`?token=`, as printed); the API takes it only as `Authorization: Bearer TOKEN`, which the page's
 * script sends and which no other site can make a browser send. No cookie: one would go to every
 * port of the host, other users' servers on it included.
 */
export function dashboardApp(
  store: Store | undefined,
  hub: LiveHub,
  token: string,
  page: PageFiles,
  workspace: Workspace = { cwd: process.cwd(), logdir: 'logs' },
): Hono {
  const app = new Hono();
  app.use('*', async (c: Context, next: Next) => {
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
  });
  app.use('*', async (c: Context, next: Next) => {
    const api = c.req.path.startsWith('/api/');
    const given = api ? c.req.header('authorization')?.match(/^Bearer\s+(.+)$/i)?.[1] : c.req.query('token');
    if (!tokenMatches(given, token)) {
      const how = api ? 'send "Authorization: Bearer TOKEN"' : 'open the URL `ralph dashboard` printed (it carries the token)';
      return c.json({ error: `unauthorized: ${how}` }, 401);
    }
    // A change asked by a page of another site is refused (it could not carry the token anyway).
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && c.req.header('origin') !== undefined && !sameOrigin(c))
      return c.json({ error: 'cross-site request refused' }, 403);
    await next();
  });

  app.get('/', (c) => c.html(page.html(token)));
  app.get('/app.js', (c) => c.body(page.script, 200, { 'Content-Type': 'text/javascript; charset=utf-8' }));
  app.get('/app.css', (c) => c.body(page.css, 200, { 'Content-Type': 'text/css; charset=utf-8' }));
  app.get('/api/loops', async (c) => {
    const { loops } = await hub.current();
    return loops ? c.json(loops) : c.json({ error: 'no loops here (no sync/state.json)' }, 404);
  });
  // The last iterations' summaries of the branch checked out, newest first, each with its [SYNC …] handoff commit.
  app.get('/api/loops/iterations', async (c) => {
    const { loops } = await hub.current();
    if (!loops) return c.json({ error: 'no loops here (no sync/state.json)' }, 404);
    const count = whole(c.req.query('count'), 5);
    if (count === undefined || count < 1 || count > 50) return c.json({ error: 'count must be a whole number from 1 to 50' }, 400);
    const iterations = loops.branch ? await recentIterations(workspace.cwd, { logdir: workspace.logdir, branch: loops.branch, count }) : [];
    return c.json({ branch: loops.branch ?? null, logdir: workspace.logdir, iterations });
  });
  app.get('/api/events', (c) =>
    streamSSE(c, async (stream) => {
      let id = 0;
      let queued: Promise<void> = Promise.resolve();
      const unsubscribe = hub.subscribe((event) => {
        const message =
          event.kind === 'status'
            ? { event: 'status', id: String(++id), data: JSON.stringify(event.snapshot) }
            : { event: 'problem', id: String(++id), data: JSON.stringify({ message: event.message }) };
        queued = queued.then(() => stream.writeSSE(message)).catch(() => undefined);
      });
      await new Promise<void>((resolve) => stream.onAbort(resolve));
      unsubscribe();
    }),
  );
  if (store) queueApi(app, store, hub, workspace);
  else app.all('/api/*', (c) => c.json({ error: 'no queue here (only the loops)' }, 404));
  return app;
}

/** Where the dashboard runs: the repository (tasks' diffs, the loops, a relative prompt template), and the loops' logs in it (`--logdir`). */
export interface Workspace {
  cwd: string;
  logdir: string;
}

/** The endpoints of the queue: its status, its tasks, and the actions on them. */
function queueApi(app: Hono, store: Store, hub: LiveHub, workspace: Workspace): void {
  app.get('/api/status', async (c) => c.json((await hub.current()).status));
  // The charts' past: tasks done and money spent from the start of the queue's last run to its end (or now), at most 240 points.
  app.get('/api/history', async (c) => {
    const { counts, meta } = await store.overview();
    const now = Date.now();
    const started = Date.parse(meta.run?.started_at ?? '');
    if (Number.isNaN(started) || started >= now) return c.json({ from: null, bucket_ms: null, points: [] });
    // A run that ended (or whose orchestrator was killed: its workers' last heartbeat) ends the window.
    const ended = runEndedAt(meta, runIsLive(meta, HOST, isAlive), store.sessions.readAll());
    const end = ended === undefined || ended > now ? now : Math.max(started, ended);
    const from = Math.max(started, end - WEEK_MS);
    const bucketMs = bucketSize(from, end);
    const buckets = await store.finishSeries(new Date(from), bucketMs);
    const totals = { done: counts.completed + counts.failed, cost: meta.cost_usd ?? 0 };
    return c.json({ from: new Date(from).toISOString(), bucket_ms: bucketMs, points: historyPoints(buckets, totals, { from, end, now, bucketMs }) });
  });
  app.get('/api/tasks/:id', async (c) => {
    const detail = await store.taskDetail(c.req.param('id'));
    return detail ? c.json(detail) : notInQueue(c);
  });
  // The task's lines in this machine's worker logs (what `ralph logs --task` prints): its start, its agent's output, its end.
  app.get('/api/tasks/:id/log', async (c) => {
    const records: LogRecord[] = [];
    await new LogReader(store.dir, { task: c.req.param('id') }).read(true, (batch) => {
      records.push(...batch);
      if (records.length > MAX_LOG_LINES) records.splice(0, records.length - MAX_LOG_LINES);
    });
    return c.json({ lines: records });
  });
  // The prompt its agent is given (rendered now from the run's template) and, under --isolate worktree, the changes it made.
  app.get('/api/tasks/:id/prompt', async (c) => {
    const [detail, { meta }] = await Promise.all([store.taskDetail(c.req.param('id')), store.overview()]);
    return detail ? c.json(await taskPrompt(detail.task, meta.run ?? undefined, workspace.cwd)) : notInQueue(c);
  });
  app.get('/api/tasks/:id/diff', async (c) => {
    const [detail, { meta }] = await Promise.all([store.taskDetail(c.req.param('id')), store.overview()]);
    if (!detail) return notInQueue(c);
    return c.json(await taskDiff(workspace.cwd, detail.task, meta.run?.base));
  });
  app.get('/api/tasks', async (c) => {
    const status = c.req.query('status');
    if (status !== undefined && !STATUSES.includes(status as TaskStatus)) return c.json({ error: `status must be one of ${STATUSES.join(', ')}` }, 400);
    const offset = whole(c.req.query('offset'), 0);
    const asked = whole(c.req.query('limit'), 100);
    if (offset === undefined || asked === undefined) return c.json({ error: 'offset and limit must be whole numbers' }, 400);
    const limit = Math.min(MAX_PAGE, asked);
    const sort = c.req.query('sort');
    if (sort !== undefined && !TASK_SORTS.includes(sort as TaskSort)) return c.json({ error: `sort must be one of ${TASK_SORTS.join(', ')}` }, 400);
    const worker = c.req.query('worker');
    if (worker !== undefined && worker !== '' && whole(worker, 0) === undefined) return c.json({ error: 'worker must be a whole number' }, 400);
    const [type, text, merge] = [c.req.query('type'), c.req.query('text'), c.req.query('merge')];
    const tasks = await store.listTasks({
      ...(status ? { status: status as TaskStatus } : {}),
      ...(type ? { type } : {}),
      ...(worker ? { worker: Number(worker) } : {}),
      ...(text ? { text } : {}),
      ...(merge ? { merge } : {}),
      ...(sort ? { sort: sort as TaskSort } : {}),
      offset,
      limit,
    });
    return c.json({ offset, limit, tasks });
  });
  // Actions: the same functions as `ralph queue retry`, `stop`, `add`, `pause` and `resume`.
  app.post('/api/tasks/:id/retry', (c) => act(c, async () => retryFailed(store, { ids: [c.req.param('id')], allFailed: false })));
  app.post('/api/tasks/:id/stop', (c) => act(c, () => stopTask(store, c.req.param('id'))));
  // The live run's workers, through the same calls as `ralph ctl` (refused, 400, when no run is live here).
  app.post('/api/run/scale', async (c) => {
    const workers = whole(c.req.query('workers'), -1);
    if (workers === undefined || workers < 1) return c.json({ error: 'workers must be a whole number, at least 1' }, 400);
    return act(c, () => runAnswer(askRun(store, { command: 'scale', workers })));
  });
  app.post('/api/run/stop-worker', async (c) => {
    const worker = whole(c.req.query('worker'), -1);
    if (worker === undefined || worker < 1) return c.json({ error: 'worker must be a worker id' }, 400);
    return act(c, () => runAnswer(askRun(store, { command: 'stop-worker', worker })));
  });
  app.post('/api/pause', (c) => act(c, () => setPaused(store, true)));
  app.post('/api/resume', (c) => act(c, () => setPaused(store, false)));
  app.post(
    '/api/tasks',
    bodyLimit({ maxSize: MAX_TASKS_FILE, onError: (c) => c.json({ error: `a tasks file of at most ${MAX_TASKS_FILE / (1 << 20)} MiB` }, 413) }),
    async (c) => {
      const text = await c.req.text();
      return act(c, async () => {
        const result = await appendTasks(store, parseTasksFile(text, 'the file sent'));
        return { added: result.added, skipped: result.skipped.length };
      });
    },
  );
}

function notInQueue(c: Context): Response {
  return c.json({ error: `task ${JSON.stringify(c.req.param('id'))} is not in the queue` }, 404);
}

/** The run's answer to a request; one it refused is an error in one line (400). */
async function runAnswer(answer: Promise<ControlAnswer>): Promise<ControlAnswer> {
  const given = await answer;
  if (!given.ok) throw new InputError(given.message);
  return given;
}

/** An action's answer: its result, or its error in one line (400 for what the user can fix). */
async function act(c: Context, action: () => Promise<unknown>): Promise<Response> {
  try {
    return c.json((await action()) as object);
  } catch (error) {
    return c.json({ error: errorMessage(error) }, error instanceof RalphError && (error.exitCode === 2 || error.code === 'RALPH_NO_RUN') ? 400 : 500);
  }
}

function whole(text: string | undefined, fallback: number): number | undefined {
  if (text === undefined || text === '') return fallback;
  return /^\d{1,9}$/.test(text) ? Number(text) : undefined;
}

function sameOrigin(c: Context): boolean {
  const origin = c.req.header('origin');
  if (!origin) return false;
  try {
    return new URL(origin).host === new URL(c.req.url).host;
  } catch {
    return false;
  }
}
