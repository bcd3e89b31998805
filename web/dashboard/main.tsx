// The dashboard's page: live from /api/events (one status snapshot per change), the tasks a page at
// a time from /api/tasks. Preact renders every piece of queue text as text, never as HTML.
import { render } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { IterationView, LogLine, LoopsView, Snapshot, StatusView, Task, TaskDetail, TaskStatus, WorkerView } from './types';

const STATUSES: TaskStatus[] = ['pending', 'claimed', 'completed', 'failed'];
const PAGE = 100;
/** An agent that has printed nothing for this long shows as quiet, as in the terminal's live view. */
const QUIET_MS = 60_000;

const quiet = (w: WorkerView): boolean => w.alive && w.current_task !== null && (w.last_output_age_ms ?? 0) >= QUIET_MS;

/** The token: in the address of this script's own tag (the page was asked for with it). */
const TOKEN = new URL((document.getElementById('ralph-app') as HTMLScriptElement).src).searchParams.get('token') ?? '';
const AUTH = { authorization: `Bearer ${TOKEN}` };

/** An action (a POST to this server); its answer, or an Error with the server's one-line reason. */
async function post<T>(path: string, body?: string): Promise<T> {
  const response = await fetch(path, {
    method: 'POST',
    headers: { ...AUTH, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body }),
  });
  const answer = (await response.json().catch(() => ({}))) as T & { error?: string };
  if (!response.ok) throw new Error(answer.error ?? `${path}: ${response.status}`);
  return answer;
}

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: AUTH });
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return (await response.json()) as T;
}

/**
 * The server's events, read with the token (an EventSource cannot send one): `onEvent` with each
 * event's name and data; started again a second after the stream ends or fails, until `stop`.
 */
/** See follow(). */
const STALL_MS = 8000;

function follow(onEvent: (name: string, data: string) => void, onLive: (live: boolean) => void): () => void {
  let stopped = false;
  const abort = new AbortController();
  const run = async () => {
    while (!stopped) {
      // The server sends something every 2 s: a stream silent for longer than STALL_MS has stalled
      // (a proxy, a sleeping laptop), and is opened again rather than left showing old numbers.
      const attempt = new AbortController();
      const onAbort = () => attempt.abort();
      abort.signal.addEventListener('abort', onAbort);
      let watchdog = setTimeout(onAbort, STALL_MS);
      try {
        const response = await fetch('/api/events', { headers: AUTH, signal: attempt.signal });
        if (!response.ok || !response.body) throw new Error(String(response.status));
        onLive(true);
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        let text = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          clearTimeout(watchdog);
          watchdog = setTimeout(onAbort, STALL_MS);
          text += decoder.decode(value, { stream: true });
          for (let end = text.indexOf('\n\n'); end >= 0; end = text.indexOf('\n\n')) {
            const lines = text.slice(0, end).split('\n');
            text = text.slice(end + 2);
            const name =
              lines
                .find((l) => l.startsWith('event:'))
                ?.slice(6)
                .trim() ?? 'message';
            const data = lines
              .filter((l) => l.startsWith('data:'))
              .map((l) => l.slice(5).replace(/^ /, ''))
              .join('\n');
            onEvent(name, data);
          }
        }
      } catch {
        /* shown as not live; tried again below */
      } finally {
        clearTimeout(watchdog);
        abort.signal.removeEventListener('abort', onAbort);
      }
      onLive(false);
      if (!stopped) await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  };
  void run();
  return () => {
    stopped = true;
    abort.abort();
  };
}

/** The latest snapshot, and the rate of completions over the last minute of them. */
/** A point of the page's history: when, how many tasks were done (completed or failed), the cost so far. */
interface Point {
  t: number;
  done: number;
  cost: number;
}

/** The most points the page keeps (one every 2 s or so: about two hours of them); older ones are thinned. */
const MAX_POINTS = 4000;

/** Keeps the newest half whole and every other point of the older half, once there are too many. */
function thin(points: Point[]): Point[] {
  if (points.length <= MAX_POINTS) return points;
  const half = points.length - MAX_POINTS / 2;
  return [...points.slice(0, half).filter((_, i) => i % 2 === 0), ...points.slice(half)];
}

function useLive(): { snapshot: Snapshot | undefined; live: boolean; rate: number | undefined; problem: string; history: Point[] } {
  const [snapshot, setSnapshot] = useState<Snapshot>();
  const [live, setLive] = useState(false);
  const [history, setHistory] = useState<Point[]>([]);
  const [problem, setProblem] = useState('');
  const seeded = useRef(false);
  useEffect(
    () =>
      follow((name, data) => {
        if (name === 'problem') {
          setProblem((JSON.parse(data) as { message: string }).message);
          return;
        }
        if (name !== 'status') return;
        const next = JSON.parse(data) as Snapshot;
        setProblem('');
        setSnapshot(next);
        if (!next.status) return;
        const t = Date.parse(next.at);
        const done = next.status.counts.completed + next.status.counts.failed;
        const cost = next.status.cost_usd;
        setHistory((h) => thin([...h, { t, done, cost }]));
        // The charts' past, from the queue: since the run began (the server's /api/history), once.
        if (!seeded.current) {
          seeded.current = true;
          getJson<{ points: Point[] }>('/api/history').then(
            ({ points }) => setHistory((h) => [...points.filter((p) => p.t < (h[0]?.t ?? Infinity)), ...h]),
            () => undefined,
          );
        }
      }, setLive),
    [],
  );
  const rate = useMemo(() => {
    const last60 = history.filter((p) => (history[history.length - 1]?.t ?? 0) - p.t <= 60_000);
    const first = last60[0];
    const last = history[history.length - 1];
    if (!first || !last || last.t - first.t < 1000) return undefined;
    return ((last.done - first.done) * 1000) / (last.t - first.t);
  }, [history]);
  return { snapshot, live, rate, problem, history };
}

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

function firstLine(text: string | undefined): string {
  return (
    (text ?? '')
      .split('\n')
      .find((line) => line.trim() !== '')
      ?.trim() ?? ''
  );
}

/**
 * uPlot, loaded when first drawn: it reads the browser's language when loaded, and a browser started
 * with LANG=C says `en-US@posix`, which its number format refuses. Then the charts are left out, not
 * the page.
 */
let charting: Promise<typeof uPlot> | undefined;
const loadCharting = () => {
  charting ??= import('uplot').then((m) => m.default);
  return charting;
};

/** One line chart (uPlot) of `values` over `times` (seconds), with a dashed limit line when given. */
function Chart({ title, times, values, limit, unit }: { title: string; times: number[]; values: number[]; limit?: number; unit: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const [broken, setBroken] = useState('');
  const data = () => [times, values, ...(limit !== undefined ? [times.map(() => limit)] : [])] as uPlot.AlignedData;
  useEffect(() => {
    let gone = false;
    loadCharting().then(
      (UPlot) => {
        if (gone || !box.current) return;
        const series: uPlot.Series[] = [{}, { label: title, stroke: '#2f6fd6', width: 2, value: (_u, v) => (v == null ? '–' : `${v.toFixed(2)} ${unit}`) }];
        if (limit !== undefined) series.push({ label: 'budget', stroke: '#c4302b', dash: [6, 4], width: 1 });
        plot.current = new UPlot({ width: box.current.clientWidth || 520, height: 160, series, scales: { x: { time: true } } }, data(), box.current);
      },
      (error: Error) => setBroken(`no charts in this browser (${error.message})`),
    );
    return () => {
      gone = true;
      plot.current?.destroy();
      plot.current = undefined;
    };
  }, [limit !== undefined]);
  useEffect(() => {
    plot.current?.setData(data());
  }, [times, values, limit]);
  return (
    <div class="chart" data-chart={title}>
      <div class="chart-title">{title}</div>
      {broken ? <p class="none">{broken}</p> : <div ref={box} />}
    </div>
  );
}

/** Tasks/s (over the 10 s before each point) and the cost, since the run began (the server's history, then the live figures). */
function Charts({ history, budget }: { history: Point[]; budget: number | undefined }) {
  const times = history.map((p) => p.t / 1000);
  // At each point, over the 10 s before it (or since the point before it, where they are further apart).
  const rates = history.map((p, i) => {
    let j = i - 1;
    while (j > 0 && p.t - history[j]!.t < 10_000) j--;
    const before = history[j];
    return before && p.t > before.t ? ((p.done - before.done) * 1000) / (p.t - before.t) : 0;
  });
  return (
    <section class="charts" aria-label="charts">
      <Chart title="tasks/s" unit="/s" times={times} values={rates} />
      <Chart title="cost" unit="$" times={times} values={history.map((p) => p.cost)} {...(budget === undefined ? {} : { limit: budget })} />
    </section>
  );
}

function Overview({ status, rate }: { status: StatusView; rate: number | undefined }) {
  const left = status.counts.pending + status.counts.claimed;
  const budget = status.run?.max_cost_usd;
  return (
    <section class="overview" aria-label="overview">
      {STATUSES.map((name) => (
        <div class={`card ${name}`} data-status={name} key={name}>
          <div class="n">{status.counts[name]}</div>
          <div class="label">{name}</div>
        </div>
      ))}
      <div class="card">
        <div class="n">{rate === undefined ? '–' : rate.toFixed(1)}</div>
        <div class="label">tasks/s</div>
      </div>
      <div class="card">
        <div class="n">{rate && rate > 0 && left > 0 ? duration((left / rate) * 1000) : '–'}</div>
        <div class="label">ETA</div>
      </div>
      <div class="card cost">
        <div class="n">${status.cost_usd.toFixed(2)}</div>
        <div class="label">{budget === undefined ? 'cost' : `of $${budget.toFixed(2)} budget`}</div>
        {budget !== undefined && (
          <div class="bar">
            <div style={{ width: `${Math.min(100, (status.cost_usd / budget) * 100)}%` }} />
          </div>
        )}
      </div>
    </section>
  );
}

function Countdown({ until }: { until: string }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return <span class="countdown">{duration(Date.parse(until) - now)}</span>;
}

function Attention({ status, failed, conflicts, say }: { status: StatusView; failed: Task[]; conflicts: Task[]; say: (text: string) => void }) {
  const retry = (id: string) =>
    post<{ retried: string[] }>(`/api/tasks/${encodeURIComponent(id)}/retry`).then(
      () => say(`${id}: back to pending`),
      (error: Error) => say(error.message),
    );
  const dead = status.workers.filter((w) => !w.alive && w.status !== 'stopped');
  const items = [
    ...(status.paused_at
      ? [
          <li key="paused" class="paused">
            Claiming is paused (since {status.paused_at}): no worker takes a new task.
          </li>,
        ]
      : []),
    ...(status.stop
      ? [
          <li key="stop" class="stop">
            Claiming stopped ({status.stop.reason}): {status.stop.detail}
          </li>,
        ]
      : []),
    ...(status.usage_limit
      ? [
          <li key="limit" class="limit">
            {status.usage_limit.agent} hit its usage limit ({firstLine(status.usage_limit.message)}); claims resume in{' '}
            <Countdown until={status.usage_limit.until} />
          </li>,
        ]
      : []),
    ...status.workers.filter(quiet).map((w) => (
      <li key={`quiet-${w.worker_id}`} class="quiet">
        Worker {w.worker_id} on {w.host}: its agent has printed nothing for {duration(w.last_output_age_ms ?? 0)} (task {w.current_task})
      </li>
    )),
    ...dead.map((w) => (
      <li key={`dead-${w.worker_id}`} class="dead">
        Worker {w.worker_id} on {w.host} is dead{w.current_task ? ` (task ${w.current_task})` : ''}
      </li>
    )),
    ...conflicts
      .filter((t) => !failed.some((f) => f.id === t.id))
      .map((t) => (
        <li key={`conflict-${t.id}`} class="conflict" data-task={t.id}>
          <span class="id">{t.id}</span>: its branch {t.branch ?? ''} did not merge ({t.status})
          {t.conflict_paths?.length ? `; conflicts in ${t.conflict_paths.join(', ')}` : ''}
        </li>
      )),
    ...failed.map((t) => (
      <li key={`failed-${t.id}`} class="failed" data-task={t.id}>
        <span class="id">{t.id}</span> failed after {t.attempts} attempt{t.attempts === 1 ? '' : 's'}: {firstLine(t.error) || 'no error given'}{' '}
        <button type="button" class="retry" onClick={() => retry(t.id)}>
          retry
        </button>
      </li>
    )),
  ];
  return (
    <section class="attention" aria-label="needs attention">
      <h2>Needs attention</h2>
      {items.length === 0 ? <p class="none">Nothing.</p> : <ul>{items}</ul>}
    </section>
  );
}

/** working, stalled (no output for a minute), idle, waiting for a usage limit, stopped or dead. */
function workerState(w: WorkerView, waiting: boolean): string {
  if (!w.alive) return w.status === 'stopped' ? 'stopped' : 'dead';
  if (w.current_task) return quiet(w) ? 'stalled' : 'working';
  return waiting ? 'waiting for a usage limit' : w.status;
}

function Workers({ status }: { status: StatusView }) {
  const waiting = status.usage_limit !== null && Date.parse(status.usage_limit.until) > Date.now();
  return (
    <section aria-label="workers">
      <h2>Workers</h2>
      <table class="workers">
        <thead>
          <tr>
            <th>id</th>
            <th>host</th>
            <th>state</th>
            <th>task</th>
            <th>last output</th>
            <th>heartbeat</th>
          </tr>
        </thead>
        <tbody>
          {status.workers.map((w) => (
            <tr key={`${w.host}-${w.worker_id}`} data-worker={w.worker_id}>
              <td>{w.worker_id}</td>
              <td>{w.host}</td>
              <td class="state">{workerState(w, waiting)}</td>
              <td>
                {w.current_task ?? ''}
                {w.current_task && w.task_age_ms !== undefined && <span class="age"> for {duration(w.task_age_ms)}</span>}
              </td>
              <td class="output">
                {w.last_output ?? ''}
                {w.last_output_age_ms !== undefined && <span class="age"> ({duration(w.last_output_age_ms)} ago)</span>}
              </td>
              <td>{duration(w.heartbeat_age_ms)} ago</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** One task: its fields, every attempt's result, and its lines in this machine's logs (read again each second while it runs). */
function TaskPanel({ id, version, close }: { id: string; version: string; close: () => void }) {
  const [detail, setDetail] = useState<TaskDetail>();
  const [lines, setLines] = useState<LogLine[]>([]);
  const [missing, setMissing] = useState('');
  const running = detail?.task.status === 'claimed';
  useEffect(() => {
    let gone = false;
    const look = () => {
      const path = `/api/tasks/${encodeURIComponent(id)}`;
      getJson<TaskDetail>(path).then(
        (d) => {
          if (gone) return;
          setDetail(d);
          setMissing('');
        },
        (error: Error) => !gone && setMissing(error.message),
      );
      getJson<{ lines: LogLine[] }>(`${path}/log`).then(
        (l) => !gone && setLines(l.lines),
        () => undefined,
      );
    };
    look();
    const timer = running ? setInterval(look, 1000) : undefined;
    return () => {
      gone = true;
      if (timer) clearInterval(timer);
    };
  }, [id, version, running]);
  const t = detail?.task;
  const base = `/api/tasks/${encodeURIComponent(id)}`;
  const prompt = useAnswer<{ prompt?: string; template?: string; none?: string }>(`${base}/prompt`, id);
  // The diff once the task has a branch, read again when its state changes (a merge).
  const diff = useAnswer<{ diff?: string; of?: string; truncated?: boolean; none?: string }>(
    t?.branch ? `${base}/diff` : undefined,
    `${t?.status}/${t?.merge}/${t?.commit}`,
  );
  const facts: Array<[string, string | undefined]> = t
    ? [
        ['status', t.status],
        ['type', t.type],
        ['attempts', String(t.attempts)],
        ['worker', t.worker_id == null ? undefined : `${t.worker_id}${t.worker_host ? ` on ${t.worker_host}` : ''}`],
        ['claimed', t.claimed_at],
        ['completed', t.completed_at],
        ['failed', t.failed_at],
        ['duration', t.duration_ms === undefined ? undefined : duration(t.duration_ms)],
        ['agent', [t.agent, t.model].filter(Boolean).join(' ') || undefined],
        ['cost', t.cost_usd === undefined ? undefined : `$${t.cost_usd.toFixed(4)}`],
        [
          'tokens',
          t.tokens
            ? Object.entries(t.tokens)
                .map(([k, v]) => `${k} ${v}`)
                .join(', ')
            : undefined,
        ],
        ['branch', t.branch],
        ['commit', t.commit],
        ['merge', t.merge ? `${t.merge}${t.merged_into ? ` into ${t.merged_into}` : ''}` : undefined],
        ['files changed', t.files_changed?.join(', ')],
        ['conflicts', t.conflict_paths?.join(', ')],
        ['finding', t.finding],
        ['error', t.error ?? t.last_error],
        ['data', t.data === undefined ? undefined : JSON.stringify(t.data)],
      ]
    : [];
  return (
    <section class="task-panel" aria-label="task">
      <h2>
        Task <span class="id">{id}</span>{' '}
        <button type="button" class="close" onClick={close}>
          close
        </button>
      </h2>
      {missing && <p class="problem">{missing}</p>}
      {t && (
        <table class="facts">
          <tbody>
            {facts
              .filter(([, v]) => v !== undefined && v !== '')
              .map(([k, v]) => (
                <tr key={k}>
                  <th>{k}</th>
                  <td>{v}</td>
                </tr>
              ))}
          </tbody>
        </table>
      )}
      {detail && detail.issues.length + detail.findings.length > 0 && (
        <>
          <h3>Attempts</h3>
          <ul class="attempts">
            {detail.issues.map((i) => (
              <li key={`i-${i.timestamp}`} class="issue">
                attempt {i.attempt} ({i.timestamp}): {i.outcome ?? i.reason}: {firstLine(i.error)}
              </li>
            ))}
            {detail.findings.map((f) => (
              <li key={`f-${f.timestamp}`} class="finding">
                attempt {f.attempt ?? '?'} ({f.timestamp}): completed: {firstLine(f.finding)}
              </li>
            ))}
          </ul>
        </>
      )}
      {prompt && (
        <details class="prompt">
          <summary>Prompt{prompt.template ? ` (${prompt.template === 'default' ? "Ralph's default template" : prompt.template}, rendered now)` : ''}</summary>
          {prompt.none ? <p class="problem">{prompt.none}</p> : <pre class="prompt">{prompt.prompt}</pre>}
        </details>
      )}
      {diff && (
        <>
          <h3>Changes{diff.of ? `: ${diff.of}` : ''}</h3>
          {diff.none ? (
            <p class="none">{diff.none}</p>
          ) : (
            <pre class="diff">
              {(diff.diff ?? '').split('\n').map((line, i) => (
                <div key={i} class={diffLineClass(line)}>
                  {line}
                </div>
              ))}
              {diff.truncated && <div class="hunk">… (cut at 512 KiB)</div>}
            </pre>
          )}
        </>
      )}
      <h3>Output{running ? ' (as it runs)' : ''}</h3>
      {lines.length === 0 ? (
        <p class="none">No lines of it in this machine's worker logs{t?.worker_host ? ` (it ran on ${t.worker_host})` : ''}.</p>
      ) : (
        <pre class="log">
          {lines.map((l, i) => (
            <div key={i} class={l.stream ?? 'worker'}>
              {l.time.slice(11, 23)} {l.text}
            </div>
          ))}
        </pre>
      )}
    </section>
  );
}

function Tasks({ version, say, open }: { version: string; say: (text: string) => void; open: (id: string) => void }) {
  const stop = (id: string) =>
    post<{ killed: string[] }>(`/api/tasks/${encodeURIComponent(id)}/stop`).then(
      (r) => say(`${id}: stopped${r.killed.length ? ` (killed ${r.killed.join(', ')})` : ''}`),
      (error: Error) => say(error.message),
    );
  const [status, setStatus] = useState<TaskStatus | ''>('');
  const [filters, setFilters] = useState({ type: '', worker: '', text: '', sort: 'queue' });
  const [offset, setOffset] = useState(0);
  const [tasks, setTasks] = useState<Task[]>([]);
  const [problem, setProblem] = useState('');
  useEffect(() => {
    const given = Object.fromEntries(Object.entries({ ...filters, status }).filter(([, v]) => v !== '' && v !== 'queue'));
    const query = new URLSearchParams({ offset: String(offset), limit: String(PAGE), ...given });
    // Typing in a box asks once it pauses; only the last answer is shown.
    let current = true;
    const timer = setTimeout(() => {
      getJson<{ tasks: Task[] }>(`/api/tasks?${query}`).then(
        (page) => {
          if (!current) return;
          setTasks(page.tasks);
          setProblem('');
        },
        (error: Error) => current && setProblem(error.message),
      );
    }, 150);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [status, filters, offset, version]);
  const filter = (name: keyof typeof filters) => (e: Event) => {
    setFilters({ ...filters, [name]: (e.currentTarget as HTMLInputElement).value });
    setOffset(0);
  };
  return (
    <section aria-label="tasks">
      <h2>Tasks</h2>
      <div class="controls">
        <select
          aria-label="status"
          value={status}
          onChange={(e) => {
            setStatus((e.currentTarget as HTMLSelectElement).value as TaskStatus | '');
            setOffset(0);
          }}
        >
          <option value="">all</option>
          {STATUSES.map((s) => (
            <option value={s} key={s}>
              {s}
            </option>
          ))}
        </select>
        <input aria-label="type" placeholder="type" value={filters.type} onInput={filter('type')} size={10} />
        <input aria-label="worker" placeholder="worker" value={filters.worker} onInput={filter('worker')} size={6} inputMode="numeric" />
        <input aria-label="text" placeholder="id, finding or error" value={filters.text} onInput={filter('text')} size={22} />
        <select aria-label="sort" value={filters.sort} onChange={filter('sort')}>
          {[
            ['queue', 'queue order'],
            ['id', 'by id'],
            ['attempts', 'most attempts'],
            ['duration', 'longest'],
            ['finished', 'recently finished'],
          ].map(([value, label]) => (
            <option value={value} key={value}>
              {label}
            </option>
          ))}
        </select>
        <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
          previous
        </button>
        <span class="range">{tasks.length === 0 ? 'none' : `${offset + 1}–${offset + tasks.length}`}</span>
        <button type="button" disabled={tasks.length < PAGE} onClick={() => setOffset(offset + PAGE)}>
          next
        </button>
      </div>
      {problem && <p class="problem">{problem}</p>}
      <table class="tasks">
        <thead>
          <tr>
            <th>id</th>
            <th>type</th>
            <th>status</th>
            <th>attempts</th>
            <th>worker</th>
            <th>finding / error</th>
          </tr>
        </thead>
        <tbody>
          {tasks.map((t) => (
            <tr key={t.id} data-task={t.id} class={t.status}>
              <td class="id">
                <button type="button" class="link" onClick={() => open(t.id)}>
                  {t.id}
                </button>
              </td>
              <td>{t.type}</td>
              <td class="status">{t.status}</td>
              <td>{t.attempts}</td>
              <td>{t.worker_id ?? ''}</td>
              <td>
                {firstLine(t.status === 'failed' ? t.error : t.finding)}
                {t.status === 'claimed' && (
                  <button type="button" class="stop" onClick={() => stop(t.id)}>
                    stop
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** The supervisor/engineer loops: whose turn, the iteration, the lease counting down, who holds the turn. */
function Loops({ loops }: { loops: LoopsView }) {
  const s = loops.state;
  return (
    <section class="loops" aria-label="loops">
      <h2>Loops</h2>
      {!s ? (
        <p class="problem">
          {loops.path} cannot be read as a sync state ({loops.problem ?? 'unreadable'}): <code>ralph stamp-handoff --repair</code> restores it.
        </p>
      ) : (
        <table class="loops">
          <tbody>
            <tr>
              <th>turn</th>
              <td class="turn" data-actor={s.expected_actor}>
                {s.expected_actor === 'galph' ? 'the supervisor (galph)' : 'the engineer (ralph)'}: {s.status}
              </td>
            </tr>
            <tr>
              <th>iteration</th>
              <td>{s.iteration}</td>
            </tr>
            {s.holder && (
              <tr>
                <th>running</th>
                <td>
                  pid {s.holder.pid} on {s.holder.host}, since {s.holder.since}
                </td>
              </tr>
            )}
            {s.status.startsWith('running-') && s.lease_expires_at && (
              <tr>
                <th>lease</th>
                <td>{loops.lease_expired ? `expired at ${s.lease_expires_at}` : <Countdown until={s.lease_expires_at} />}</td>
              </tr>
            )}
            <tr>
              <th>last update</th>
              <td>
                {s.last_update ?? 'unknown'}
                {loops.branch ? ` on ${loops.branch}` : ''}
              </td>
            </tr>
          </tbody>
        </table>
      )}
      {s && <Iterations turn={`${s.iteration}/${s.status}/${s.last_update}`} />}
    </section>
  );
}

/** The last iterations, newest first: each actor's summary (result, prompt, finding) and the [SYNC …] commit that handed the turn over. */
function Iterations({ turn }: { turn: string }) {
  const [iterations, setIterations] = useState<IterationView[] | undefined>();
  // Read again when the turn changes (a handoff), not at every snapshot.
  useEffect(() => {
    let gone = false;
    getJson<{ iterations: IterationView[] }>('/api/loops/iterations').then(
      (answer) => !gone && setIterations(answer.iterations),
      () => undefined,
    );
    return () => {
      gone = true;
    };
  }, [turn]);
  if (!iterations) return null;
  return (
    <div class="iterations">
      <h3>Last iterations</h3>
      {iterations.length === 0 ? (
        <p class="none">No iteration summaries yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>iteration</th>
              <th>actor</th>
              <th>result</th>
              <th>prompt</th>
              <th>took</th>
              <th>finding</th>
              <th>handoff</th>
            </tr>
          </thead>
          <tbody>
            {iterations.map((it) => (
              <tr key={it.file} class="iteration" data-actor={it.actor} data-iteration={it.iteration}>
                <td>{it.iteration}</td>
                <td>{it.actor === 'galph' ? 'supervisor (galph)' : 'engineer (ralph)'}</td>
                <td class={it.result?.startsWith('ok') ? 'ok' : 'bad'}>{it.result ?? '?'}</td>
                <td>{it.prompt ?? ''}</td>
                <td>{it.duration ?? ''}</td>
                <td title={it.finding ?? ''}>{firstLine(it.finding)}</td>
                <td class="sync">{it.commit ? `${it.commit.sha} ${it.commit.subject}` : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function Actions({ status, say }: { status: StatusView; say: (text: string) => void }) {
  const paused = status.paused_at !== null;
  const toggle = () =>
    post(paused ? '/api/resume' : '/api/pause').then(
      () => say(paused ? 'Claiming resumed.' : 'Claiming paused.'),
      (error: Error) => say(error.message),
    );
  const add = async (input: HTMLInputElement) => {
    const file = input.files?.[0];
    if (!file) return;
    try {
      const result = await post<{ added: number; skipped: number }>('/api/tasks', await file.text());
      say(`Queued ${result.added} task(s) from ${file.name}${result.skipped ? `; skipped ${result.skipped} already in the queue` : ''}.`);
    } catch (error) {
      say((error as Error).message);
    }
    input.value = '';
  };
  return (
    <div class="actions">
      <button type="button" class="pause" onClick={toggle}>
        {paused ? 'resume claiming' : 'pause claiming'}
      </button>
      <label class="add">
        add tasks from a file <input type="file" accept=".json,.jsonl,application/json" onChange={(e) => add(e.currentTarget as HTMLInputElement)} />
      </label>
      {status.active && (
        <form
          class="scale"
          onSubmit={(e) => {
            e.preventDefault();
            const n = (e.currentTarget.elements.namedItem('workers') as HTMLInputElement).value;
            // The same call as `ralph ctl scale N`.
            post<{ message: string }>(`/api/run/scale?workers=${encodeURIComponent(n)}`).then(
              (answer) => say(`The run: ${answer.message}.`),
              (error: Error) => say(error.message),
            );
          }}
        >
          <label>
            workers <input name="workers" type="number" min="1" size={3} value={String(status.workers.filter((w) => w.alive).length || 1)} />
          </label>
          <button type="submit">set</button>
        </form>
      )}
    </div>
  );
}

/** The tasks `query` selects (none when it is undefined), read again with each `version` of the counts. */
/** A diff line's colour: the file headers (`--- a/…`, `+++ b/…`) are not additions or removals. */
function diffLineClass(line: string): string {
  if (/^(\+\+\+|---) (a\/|b\/|\/dev\/null)/.test(line)) return 'file';
  if (line.startsWith('@@')) return 'hunk';
  return line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : '';
}

/** The JSON at `path` (none: nothing), read again when `key` changes. */
function useAnswer<T>(path: string | undefined, key: string): T | undefined {
  const [answer, setAnswer] = useState<T>();
  useEffect(() => {
    let gone = false;
    if (path === undefined) return setAnswer(undefined);
    getJson<T>(path).then(
      (a) => !gone && setAnswer(a),
      // Not the answer of another path (a task opened before) in its place.
      () => !gone && setAnswer(undefined),
    );
    return () => {
      gone = true;
    };
  }, [path, key]);
  return answer;
}

function useTaskList(query: string | undefined, version: string): Task[] {
  return useAnswer<{ tasks: Task[] }>(query === undefined ? undefined : `/api/tasks?${query}`, version)?.tasks ?? [];
}

function App() {
  const { snapshot, live, rate, problem, history } = useLive();
  const [message, setMessage] = useState('');
  const [selected, setSelected] = useState<string>();
  const counts = snapshot?.status?.counts;
  // The tasks on show are read again when the counts change (not on every heartbeat).
  const version = counts ? STATUSES.map((s) => counts[s]).join('/') : '';
  const failed = useTaskList(counts && counts.failed > 0 ? 'status=failed&limit=20' : undefined, version);
  const conflicts = useTaskList(counts ? 'merge=conflict&limit=20' : undefined, version);
  if (!snapshot) return <p class="loading">Connecting…</p>;
  const s = snapshot.status;
  const loops = snapshot.loops;
  const state = !s ? 'no queue here' : s.active ? 'a run is active' : s.run?.stopped_by ? `the last run stopped: ${s.run.stopped_by}` : 'no run is active';
  return (
    <main>
      <header>
        <h1>ralph</h1>
        <span class="where">{s ? (s.queue ?? s.dir) : (loops?.path ?? '')}</span>
        <span class="state">{state}</span>
        <span class={live ? 'live' : 'live off'}>{live ? 'live' : 'reconnecting…'}</span>
      </header>
      {problem && (
        <p class="problem" role="alert">
          {problem}
        </p>
      )}
      {message && (
        <p class="message" role="status">
          {message}
        </p>
      )}
      {loops?.lease_expired && (
        <section class="attention" aria-label="loops need attention">
          <ul>
            <li class="lease">
              The loops' lease expired at {loops.state?.lease_expires_at}: the turn's actor stopped renewing it (crashed, killed or disconnected).
            </li>
          </ul>
        </section>
      )}
      {loops && <Loops loops={loops} />}
      {s && (
        <>
          <Actions status={s} say={setMessage} />
          <Overview status={s} rate={rate} />
          <Charts history={history} budget={s.run?.max_cost_usd} />
          <Attention status={s} failed={failed} conflicts={conflicts} say={setMessage} />
          <Workers status={s} />
          {selected !== undefined && <TaskPanel key={selected} id={selected} version={version} close={() => setSelected(undefined)} />}
          <Tasks version={version} say={setMessage} open={setSelected} />
        </>
      )}
    </main>
  );
}

render(<App />, document.getElementById('app')!);
