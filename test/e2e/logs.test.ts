// `ralph logs`: the workers' logs merged in time order, by worker, by task, since a time, as NDJSON,
// and followed as they grow; an agent's unknown JSON event in one readable line, never raw JSON.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ralph, script, startRalph, waitFor, writeTasks } from '../helpers/index.js';

let dir: string;
let agent: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ralph-logs-'));
  writeTasks(dir, { tasks: ['bad-1', 'event-1', 't-1', 't-2'].map((id) => ({ id, type: 'work' })) });
  // bad-1 and event-1 each wait (up to 20 s) until the other has started: both workers run a task and
  // write a log, however late one of them starts on a loaded machine (one worker took all four once).
  agent = script(
    dir,
    'agent.sh',
    `
touch "started-$RALPH_TASK_ID"
case "$RALPH_TASK_ID" in bad-1) other=event-1;; event-1) other=bad-1;; *) other=;; esac
i=0; while [ -n "$other" ] && [ ! -e "started-$other" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done
echo "working on $RALPH_TASK_ID"
case "$RALPH_TASK_ID" in
  bad-*) echo "boom in $RALPH_TASK_ID" >&2; exit 3;;
  event-*) echo '{"type":"mystery","status":"warming up","session_id":"s-1","progress":0.5}';;
esac
echo "FINDINGS: done"`,
  );
  const r = await ralph(['run', '--tasks', 'tasks.json', '--workers', '2', '--agent-cmd', agent], { cwd: dir });
  expect(r.code).toBe(1);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const logs = (...args: string[]) => ralph(['logs', ...args], { cwd: dir, env: { NO_COLOR: undefined, FORCE_COLOR: undefined } });
const LINE = /^\d\d:\d\d:\d\d w[12] /;

describe('ralph logs', () => {
  it("merges the workers' logs in time order, each line with its local time and worker", async () => {
    const r = await logs('--json');
    expect(r.code).toBe(0);
    const records = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const times = records.map((x: any) => x.time);
    expect(times).toEqual([...times].sort());
    expect(new Set(records.map((x: any) => x.worker))).toEqual(new Set([1, 2]));
    const human = await logs();
    expect(
      human.stdout
        .trim()
        .split('\n')
        .every((l) => LINE.test(l)),
    ).toBe(true);
    expect(human.stdout).not.toContain('\u001b'); // not a terminal: no colour
  });

  it("--task: that task's lines only, its agent's output included", async () => {
    const r = await logs('--task', 'bad-1');
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.replace(LINE, ''));
    expect(lines).toEqual([
      '▶ task bad-1 (work) attempt 1',
      '[out] working on bad-1',
      '[err] boom in bad-1',
      expect.stringMatching(/^✘ task bad-1 failed: agent exited with code 3: boom in bad-1\\nlast output:/),
    ]);
  });

  it('an unknown JSON event in one readable line; --json keeps it as logged', async () => {
    const human = await logs('--task', 'event-1');
    expect(human.stdout).toMatch(/\[out\] mystery event: status warming up, progress 0\.5$/m);
    expect(human.stdout).not.toContain('{"type"');
    const json = (await logs('--task', 'event-1', '--json')).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(json.find((x: any) => x.stream === 'out' && x.text.startsWith('{'))).toMatchObject({
      task: 'event-1',
      text: '{"type":"mystery","status":"warming up","session_id":"s-1","progress":0.5}',
    });
    for (const record of json) expect(Object.keys(record)).toEqual(['time', 'worker', 'task', 'stream', 'text']);
  });

  it('--worker, --since, -n', async () => {
    const w2 = (await logs('--worker', '2')).stdout.trim().split('\n');
    expect(w2.length).toBeGreaterThan(2);
    expect(w2.every((l) => / w2 /.test(l))).toBe(true);
    expect((await logs('--since', '1h')).stdout).toBe((await logs()).stdout);
    expect((await logs('--since', '2999-01-01')).stdout).toBe('');
    expect((await logs('-n', '3')).stdout.trim().split('\n')).toHaveLength(3);
    // -n reads each log backwards from its end: the same records, tasks included, as reading them all.
    const all = (await logs('--json')).stdout.trim().split('\n');
    for (const n of [1, 7, all.length - 1, all.length + 5]) expect((await logs('-n', String(n), '--json')).stdout.trim().split('\n')).toEqual(all.slice(-n));
    const bad = await logs('--since', 'yesterday-ish');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^ralph: Expected --since to be a duration/);
  });

  it("-f follows what is logged, new workers' logs too, until Ctrl-C (130)", async () => {
    writeTasks(dir, { tasks: ['late-1', 'late-2', 'late-3'].map((id) => ({ id, type: 'work' })) }, 'late.json');
    const follow = startRalph(['logs', '-f', '--json', '-n', '0'], { cwd: dir });
    let out = '';
    follow.child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(out).toBe(''); // -n 0: nothing of before
    // A worker whose log does not exist yet (the run before had workers 1 and 2), started by hand: a
    // run may finish its tasks with the workers that started first and stop the others before they log.
    expect((await ralph(['queue', 'add', 'late.json'], { cwd: dir })).code).toBe(0);
    const worker = await ralph(['worker', '--id', '3', '--agent-cmd', agent], { cwd: dir });
    expect(worker.code).toBe(0);
    await waitFor(
      "the late tasks' ends and worker 3's stop in the followed output",
      () => ['late-1', 'late-2', 'late-3'].every((id) => out.includes(`"✔ task ${id} completed`)) && out.includes('worker 3 stopped'),
    );
    const records = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(
      records
        .filter((x: any) => x.worker === 3)
        .map((x: any) => x.task)
        .filter(Boolean),
    ).toEqual(expect.arrayContaining(['late-1', 'late-2', 'late-3']));
    follow.child.kill('SIGINT');
    expect((await follow.done).code).toBe(130);
  });
});
