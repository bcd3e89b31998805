import { describe, expect, it } from 'vitest';
import { ansi, plain } from '../../src/view/color.js';
import { EventFeed, oneLineCause } from '../../src/view/feed.js';
import { clock, failureLine, liveFrame, totalsLine, workerLine } from '../../src/view/frame.js';
import { runWorkers } from '../../src/view/run-view.js';
import { runEndedAt } from '../../src/view/status-watch.js';
import { buildSnapshot } from '../../src/view/snapshot.js';
import type { ViewSnapshot, WorkerRow } from '../../src/view/snapshot.js';
import { displayWidth } from '../../src/view/width.js';
import type { Issue, QueueState, Task } from '../../src/queue/types.js';
import type { WorkerSession } from '../../src/store/sessions.js';

const snapshot = (over: Partial<ViewSnapshot> = {}): ViewSnapshot => ({
  at: '2026-05-01T12:00:00.000Z',
  dir: '.ralph',
  active: true,
  total: 40,
  counts: { pending: 24, claimed: 3, completed: 12, failed: 1 },
  finished: 13,
  elapsed_ms: 65_000,
  tasks_per_second: 0.2,
  eta_ms: 130_000,
  cost_usd: 0.42,
  cost_estimated: false,
  cost_unknown: 0,
  max_cost_usd: 5,
  usage_limit: null,
  stop: null,
  workers: [],
  ...over,
});

describe('totalsLine', () => {
  it.each<[number, string]>([
    [200, '13/40 done · 1 failed · 3 running · 24 pending · 0.2 tasks/s · 1m05s elapsed · ETA 2m10s · $0.42 of $5.00'],
    [100, '13/40 done · 1 failed · 3 running · 24 pending · 0.2/s · 1m05s elapsed · ETA 2m10s · $0.42 of $5.00'],
    [90, '13/40 done · 1 failed · 3 running · 0.2/s · 1m05s elapsed · ETA 2m10s · $0.42 of $5.00'],
    [79, '13/40 done · 1 failed · 3 run · 0.2/s · 1m05s elapsed · ETA 2m10s · $0.42/$5.00'],
    [60, '13/40 done · 1 failed · 1m05s · ETA 2m10s · $0.42/$5.00'],
    [50, '13/40 done · 1✘ · 1m05s · ETA 2m10s · $0.42/$5.00'],
    [39, '13/40 done · 1✘ · 1m05s · ETA 2m10s'],
    [20, '13/40 done · 1✘'],
    [12, '13/40 · 1✘'],
    [9, '13/40'],
    [4, '13/…'],
  ])('at %d columns: %s', (columns, line) => {
    const out = totalsLine(snapshot(), columns, plain);
    expect(out).toBe(line);
    expect(displayWidth(out)).toBeLessThanOrEqual(columns);
  });

  it('tells a usage limit and a stop, and the cost without a budget', () => {
    const limit = snapshot({ usage_limit: { agent: 'claude', message: 'limit', until: '2026-05-01T14:05:00.000Z' }, max_cost_usd: null });
    expect(totalsLine(limit, 200, plain)).toBe(
      `13/40 done · 1 failed · usage limit until ${clock('2026-05-01T14:05:00.000Z')} · 3 running · 24 pending · 0.2 tasks/s · 1m05s elapsed · ETA 2m10s · $0.42`,
    );
    const stop = snapshot({ stop: { reason: 'budget', detail: 'x' }, cost_usd: 5.01 });
    expect(totalsLine(stop, 200, plain)).toContain('budget reached: no new tasks');
    expect(totalsLine(stop, 200, plain)).toContain('$5.01 of $5.00');
    expect(totalsLine(snapshot({ cost_usd: 0, max_cost_usd: null }), 200, plain)).not.toContain('$');
  });

  it.each<[string, Partial<ViewSnapshot>, string]>([
    ['an estimated cost with a budget', { cost_estimated: true }, '~$0.42 of $5.00'],
    ['an estimated cost without a budget', { cost_estimated: true, max_cost_usd: null }, '· ~$0.42'],
    ['runs whose cost is unknown, and no known cost (never $0.00)', { cost_usd: 0, cost_unknown: 3 }, '· cost unknown of $5.00'],
    ['runs whose cost is unknown, no budget', { cost_usd: 0, cost_unknown: 3, max_cost_usd: null }, '· cost unknown'],
    ['a known cost and runs whose cost is unknown', { cost_unknown: 1 }, '· $0.42+? of $5.00'],
  ])('shows %s', (_what, over, text) => {
    expect(totalsLine(snapshot(over), 200, plain).endsWith(text)).toBe(true);
  });

  it('colours after fitting: the escapes never count as width', () => {
    const out = totalsLine(snapshot(), 39, ansi);
    expect(out).toContain('\u001b[31m1✘\u001b[39m');
    expect(displayWidth(out.replace(/\u001b\[\d+m/g, ''))).toBeLessThanOrEqual(39);
  });
});

describe('workerLine and liveFrame', () => {
  const running: WorkerRow = {
    id: 2,
    state: 'running',
    task: 't-0042',
    for_ms: 133_000,
    last_output: 'tool Bash: npm test -- --run a long command line here',
    last_output_age_ms: 2_000,
  };
  it.each<[string, WorkerRow, number, string]>([
    ['running, with the last output line', running, 80, 'w2 t-0042 2m13s  tool Bash: npm test -- --run a long command line here'],
    ['running, cut to the width', running, 30, 'w2 t-0042 2m13s  tool Bash: n…'],
    ['quiet for a while', { ...running, last_output_age_ms: 125_000 }, 80, 'w2 t-0042 2m13s quiet 2m05s  tool Bash: npm test -- --run a long command line h…'],
    ['a long task id is cut to leave room', { ...running, task: 'a-very-long-task-identifier-0001' }, 40, 'w2 a-very-long-tas… 2m13s  tool Bash: n…'],
    ['just started, nothing yet', { id: 1, state: 'running', task: 't1', for_ms: 800 }, 40, 'w1 t1 800ms'],
    ['silent for long', { id: 1, state: 'running', task: 't1', for_ms: 9_000 }, 40, 'w1 t1 9s  (no output yet)'],
    [
      'waiting for a usage limit',
      { id: 3, state: 'waiting', until: '2026-05-01T14:05:00.000Z' },
      80,
      `w3 waiting for usage limit until ${clock('2026-05-01T14:05:00.000Z')}`,
    ],
    ['idle', { id: 4, state: 'idle' }, 80, 'w4 idle'],
    ['gone', { id: 5, state: 'gone' }, 80, 'w5 gone (its process died)'],
    // A tab moves a terminal's cursor up to 8 columns: shown as one space, as it is counted.
    ['tabs in the task id and the last output line are spaces', { ...running, task: 't\t1', last_output: 'a\tb\t\tc' }, 80, 'w2 t 1 2m13s  a b  c'],
    ['any other control character that got here is a space too', { ...running, task: 't1', last_output: 'a\u001b[2Jb\u0085c' }, 80, 'w2 t1 2m13s  a [2Jb c'],
  ])('%s', (_what, row, columns, line) => {
    expect(workerLine(row, columns, plain)).toBe(line);
  });

  it('fits the rows it is given: those that do not fit are summed up', () => {
    const workers: WorkerRow[] = Array.from({ length: 10 }, (_, i) => ({ id: i + 1, state: i < 7 ? 'running' : 'idle', task: `t${i}`, for_ms: 1000 }));
    const frame = liveFrame(snapshot({ workers }), 60, 6, plain);
    expect(frame).toHaveLength(6);
    expect(frame.slice(1, 5).map((l) => l.split(' ')[0])).toEqual(['w1', 'w2', 'w3', 'w4']);
    expect(frame[5]).toBe('… 6 more worker(s), 3 running');
    expect(liveFrame(snapshot({ workers: workers.slice(0, 3) }), 60, 6, plain)).toHaveLength(4);
  });
});

describe('failureLine', () => {
  const f = { task: 't-0042', cause: 'agent exited with code 3; last output: boom', log: '.ralph/worker-2.log', retrying: false };
  it('on one line where it fits', () => {
    expect(failureLine(f, 100, plain)).toBe('✘ t-0042 failed: agent exited with code 3; last output: boom (log .ralph/worker-2.log)');
    expect(failureLine({ ...f, retrying: true }, 120, plain)).toBe(
      '✘ t-0042 failed, will retry: agent exited with code 3; last output: boom (log .ralph/worker-2.log)',
    );
  });
  it('a tab in the task or the cause is a space', () => {
    expect(failureLine({ ...f, task: 't\t42', cause: 'boom\there' }, 100, plain)).toBe('✘ t 42 failed: boom here (log .ralph/worker-2.log)');
  });
  it('the log file on a line of its own where it does not, each line fitted', () => {
    const lines = failureLine(f, 40, plain).split('\n');
    expect(lines).toEqual(['✘ t-0042 failed: agent exited with code…', '  log .ralph/worker-2.log']);
  });
});

describe('oneLineCause', () => {
  it.each<[string, string]>([
    ['agent exited with code 3; last output:\nstep 1\nboom', 'agent exited with code 3; last output: boom'],
    ['API Error: 529 overloaded\nmore detail', 'API Error: 529 overloaded'],
    ['\n\n  timed out after 60s  \n', 'timed out after 60s'],
    ['', 'unknown error'],
    ['ends with a colon:', 'ends with a colon:'],
  ])('%j', (error, cause) => {
    expect(oneLineCause(error)).toBe(cause);
  });
});

const task = (id: string, over: Partial<Task> = {}): Task => ({ id, type: 'x', status: 'pending', attempts: 0, ...over });
const state = (tasks: Task[], over: Partial<QueueState> = {}): QueueState => ({
  tasks,
  meta: { active: true, worker_count: 2 },
  findings: [],
  issues: [],
  ...over,
});
const session = (id: number, over: Partial<WorkerSession> = {}): WorkerSession => ({
  worker_id: id,
  status: 'running',
  registered: '',
  last_heartbeat: '',
  iteration: 0,
  findings: [],
  pid: 1,
  host: 'h',
  current_task: null,
  agent_pgid: null,
  completed: 0,
  failed: 0,
  busy_ms: 0,
  ...over,
});

describe('buildSnapshot', () => {
  const now = Date.parse('2026-05-01T12:00:10.000Z');
  const base = {
    now,
    dir: '.ralph',
    finished: 2,
    startedAt: now - 10_000,
    maxCostUsd: undefined,
    clean: (t: string) => t.replace(/\u001b/g, '\\x1b'),
    counts: { pending: 1, claimed: 2, completed: 2, failed: 0 },
    alive: () => true,
  };
  const tasks = [
    task('a', { status: 'claimed', worker_id: 1, claimed_at: '2026-05-01T12:00:07.000Z' }),
    task('b\u001b', { status: 'claimed', worker_id: 2, claimed_at: '2026-05-01T12:00:09.500Z' }),
    task('c'),
  ];

  it('a row per worker: its task from the queue, for how long, its last output line once the session tells of that task', () => {
    const s = buildSnapshot({
      ...base,
      state: state(tasks),
      workerIds: [1, 2, 3, 4],
      sessions: new Map([
        [1, session(1, { current_task: 'a', last_output: 'assistant: hi', last_output_at: '2026-05-01T12:00:08.000Z' })],
        [2, session(2, { current_task: 'old', last_output: 'of the task before' })],
        [4, session(4, { status: 'stopped' })],
      ]),
    });
    expect(s.workers).toEqual([
      { id: 1, state: 'running', task: 'a', for_ms: 3000, last_output: 'assistant: hi', last_output_age_ms: 2000 },
      { id: 2, state: 'running', task: 'b\\x1b', for_ms: 500 },
      { id: 3, state: 'starting' },
      { id: 4, state: 'stopped' },
    ]);
    expect(s).toMatchObject({ elapsed_ms: 10_000, tasks_per_second: 0.2, eta_ms: 15_000, total: 3 });
  });

  it('a worker whose process died is gone; an idle one waits while a usage limit holds', () => {
    const until = '2026-05-01T12:05:00.000Z';
    const s = buildSnapshot({
      ...base,
      state: state([task('c')], {
        meta: { active: true, worker_count: 2, usage_limit: { agent: 'claude', message: 'limit', until, noticed_at: '', worker_id: 1 } },
      }),
      workerIds: [1, 2],
      sessions: new Map([
        [1, session(1, { status: 'idle' })],
        [2, session(2, { pid: 2 })],
      ]),
      alive: (x) => x.pid !== 2,
    });
    expect(s.workers).toEqual([
      { id: 1, state: 'waiting', until },
      { id: 2, state: 'gone' },
    ]);
    expect(s.usage_limit).toEqual({ agent: 'claude', message: 'limit', until });
  });
});

describe('EventFeed', () => {
  const issue = (task_id: string, outcome: Issue['outcome'], over: Partial<Issue> = {}): Issue => ({
    task_id,
    worker_id: 2,
    error: 'agent exited with code 3; last output:\nboom',
    reason: 'exit',
    timestamp: '2026-05-01T12:00:00.000Z',
    attempt: 1,
    exit_code: 3,
    signal: null,
    duration_ms: 5,
    outcome,
    ...over,
  });
  const options = { logOf: (id: number) => `.ralph/worker-${id}.log`, clean: (t: string) => t, now: () => Date.parse('2026-05-01T12:00:00.000Z') };

  it('tells each failure once, from the first look on; a deferral is not a failure', () => {
    const before = state([], { issues: [issue('old', 'failed')] });
    const feed = new EventFeed(before, options);
    expect(feed.next(before)).toEqual([]);
    const after = state([], { issues: [issue('old', 'failed'), issue('t1', 'requeued'), issue('t2', 'deferred'), issue('t3', 'failed')] });
    expect(feed.next(after)).toEqual([
      { kind: 'failure', failure: { task: 't1', cause: 'agent exited with code 3; last output: boom', log: '.ralph/worker-2.log', retrying: true } },
      { kind: 'failure', failure: { task: 't3', cause: 'agent exited with code 3; last output: boom', log: '.ralph/worker-2.log', retrying: false } },
    ]);
    expect(feed.next(after)).toEqual([]);
  });

  it('from elsewhere: the failures since the run started, at most the last few, the rest counted', () => {
    const issues = ['a', 'b', 'c', 'd'].map((id, i) => issue(id, 'failed', { timestamp: `2026-05-01T12:00:0${i}.000Z` }));
    const feed = new EventFeed(state([], { issues }), { ...options, since: '2026-05-01T12:00:01.000Z', backlog: 2 });
    const events = feed.next(state([], { issues }));
    expect(events.map((e) => (e.kind === 'failure' ? e.failure.task : e.text))).toEqual([
      '1 earlier failure(s) of this run not shown (`ralph report` lists them)',
      'c',
      'd',
    ]);
  });

  it('tells a usage limit, its end, and a stop', () => {
    const meta = { active: true, worker_count: 1 };
    const feed = new EventFeed(state([]), options);
    const limited = state([], {
      meta: { ...meta, usage_limit: { agent: 'claude', message: 'hit the limit', until: '2026-05-01T14:05:00.000Z', noticed_at: '', worker_id: 1 } },
    });
    expect(feed.next(limited)).toEqual([
      { kind: 'notice', text: `usage limit (claude): hit the limit; claiming again at ${clock('2026-05-01T14:05:00.000Z')}`, warn: true },
    ]);
    expect(feed.next(limited)).toEqual([]);
    expect(feed.next(state([], { meta: { ...meta, usage_limit: null } }))).toEqual([{ kind: 'notice', text: 'usage limit over: claiming again', warn: false }]);
    expect(feed.next(state([], { meta: { ...meta, stop: { reason: 'budget', at: 'x', detail: 'recorded cost $5.01 reached --max-cost-usd 5' } } }))).toEqual([
      { kind: 'notice', text: 'no new tasks: recorded cost $5.01 reached --max-cost-usd 5', warn: true },
    ]);
  });
});

describe('runWorkers', () => {
  const claimed = (id: string, worker: number): Task => ({ id, type: 'w', status: 'claimed', worker_id: worker }) as Task;
  it('the workers the run started, and any other holding a task; not the rest of --workers', () => {
    expect(runWorkers([1, 2], state([]))).toEqual([1, 2]);
    expect(runWorkers([], state([]))).toEqual([]);
    expect(runWorkers([2], state([claimed('a', 7), { id: 'b', type: 'w', status: 'pending' } as Task]))).toEqual([2, 7]);
    expect(runWorkers([1], undefined)).toEqual([1]);
  });
});

describe('runEndedAt and the elapsed time of a run that is over', () => {
  const started = '2026-05-01T12:00:00.000Z';
  const meta = (run: Partial<QueueState['meta']['run']> = {}) =>
    ({ active: false, worker_count: 2, run: { started_at: started, workers: 2, ...run } }) as QueueState['meta'];
  it.each<[string, QueueState['meta'], boolean, WorkerSession[], number | undefined]>([
    ['going on', meta(), true, [], undefined],
    ['ended: its end', meta({ ended_at: '2026-05-01T12:00:42.000Z' }), false, [], Date.parse('2026-05-01T12:00:42.000Z')],
    [
      "died: its workers' last heartbeat",
      meta(),
      false,
      [session(1, { last_heartbeat: '2026-05-01T12:00:20.000Z' }), session(2, { last_heartbeat: '2026-05-01T12:00:30.000Z' })],
      Date.parse('2026-05-01T12:00:30.000Z'),
    ],
    ['died: heartbeats of an earlier run do not count', meta(), false, [session(1, { last_heartbeat: '2026-05-01T11:00:00.000Z' })], undefined],
    ['no run at all', { active: false, worker_count: 0 } as QueueState['meta'], false, [], undefined],
  ])('%s', (_what, m, live, sessions, ended) => {
    expect(runEndedAt(m, live, sessions)).toBe(ended);
  });

  it("the snapshot's elapsed time and rate stop at the end", () => {
    const now = Date.parse('2026-05-01T13:00:00.000Z');
    const s = buildSnapshot({
      now,
      dir: '.ralph',
      state: state([]),
      counts: { pending: 0, claimed: 0, completed: 10, failed: 0 },
      finished: 10,
      startedAt: Date.parse(started),
      endedAt: Date.parse('2026-05-01T12:00:20.000Z'),
      workerIds: [],
      sessions: new Map(),
      alive: () => false,
      maxCostUsd: undefined,
      clean: (t) => t,
    });
    expect(s.elapsed_ms).toBe(20_000);
    expect(s.tasks_per_second).toBe(0.5);
  });
});
