// `ralph dashboard` (issue 17), over HTTP against the real CLI on a real queue: every request needs
// the token (compared in constant time; 401 without it), the JSON endpoints answer what `ralph
// status --json` and the queue say, task text comes back as data, a change reaches an open event
// stream without a reload, another --host needs a --token, and POSTs from another site are refused.
import { spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileStore } from '../../src/store/file-store.js';
import type { Task } from '../../src/queue/types.js';
import { git } from '../helpers/git.js';
import { ralph, script, startRalph, tempDir, waitFor, writeTasks } from '../helpers/index.js';

interface Served {
  child: ChildProcess;
  url: string;
  base: string;
  token: string;
}

const running: ChildProcess[] = [];
afterEach(() => {
  for (const child of running.splice(0)) child.kill('SIGINT');
});

async function serve(cwd: string, args: string[] = []): Promise<Served> {
  const { child } = startRalph(['dashboard', '--json', ...args], { cwd });
  running.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const url = await waitFor('the dashboard prints its address', () => {
    try {
      return (JSON.parse(out) as { url: string }).url;
    } catch {
      return undefined;
    }
  });
  const parsed = new URL(url);
  return { child, url, base: parsed.origin, token: parsed.searchParams.get('token')! };
}

async function queueWith(tasks: unknown[]): Promise<string> {
  const dir = tempDir('ralph-dashboard-');
  writeTasks(dir, tasks);
  const added = await ralph(['queue', 'add', 'tasks.json'], { cwd: dir });
  expect(added.code, added.stderr).toBe(0);
  return dir;
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe('ralph dashboard', () => {
  it('needs the token on every request; with it, answers what the queue holds, its text as data', async () => {
    const hostile = '<img src=x onerror=alert(1)>';
    const dir = await queueWith([
      { id: 'a', type: 't' },
      { id: hostile, type: 't', data: { note: '<script>alert(2)</script>' } },
      ...Array.from({ length: 248 }, (_, i) => ({ id: `n${i}`, type: 't' })),
    ]);
    const d = await serve(dir);
    expect(d.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/);
    for (const path of ['/', '/app.js', '/api/status', '/api/tasks', '/api/events']) {
      expect((await fetch(d.base + path)).status, path).toBe(401);
      expect((await fetch(`${d.base}${path}?token=wrong-${d.token}`)).status, path).toBe(401);
    }
    // The page and its files take the token in the query; strict headers; no cookie (it would go to
    // every port of the host). The API takes it only as a Bearer header, which no other site's page
    // can make a browser send.
    const page = await fetch(d.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('set-cookie')).toBeNull();
    const html = await page.text();
    const script = html.match(/<script id="ralph-app" src="([^"]+)"/)?.[1];
    expect(script).toBe(`/app.js?token=${d.token}`);
    expect((await fetch(d.base + script!.replace(/&amp;/g, '&'))).status).toBe(200);
    expect((await fetch(`${d.base}/api/status?token=${d.token}`)).status).toBe(401);
    const status = (await (await fetch(`${d.base}/api/status`, bearer(d.token))).json()) as { counts: Record<string, number>; total: number };
    const cli = JSON.parse((await ralph(['status', '--json'], { cwd: dir })).stdout) as { counts: unknown; total: number };
    expect(status.counts).toEqual(cli.counts);
    expect(status.total).toBe(250);

    const page3 = (await (await fetch(`${d.base}/api/tasks?offset=200&limit=100`, bearer(d.token))).json()) as { tasks: Array<{ id: string }> };
    expect(page3.tasks.map((t) => t.id)).toEqual(Array.from({ length: 50 }, (_, i) => `n${i + 198}`));
    const first = await fetch(`${d.base}/api/tasks?limit=2`, bearer(d.token));
    expect(first.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await first.json()) as { tasks: Array<{ id: string }> }).tasks.map((t) => t.id)).toEqual(['a', hostile]);
    expect((await fetch(`${d.base}/api/tasks?status=nonsense`, bearer(d.token))).status).toBe(400);
    expect((await fetch(`${d.base}/api/tasks?limit=-1`, bearer(d.token))).status).toBe(400);
    expect((await fetch(`${d.base}/api/tasks?sort=sideways`, bearer(d.token))).status).toBe(400);
    expect((await fetch(`${d.base}/api/tasks?worker=two`, bearer(d.token))).status).toBe(400);
    const found = (await (await fetch(`${d.base}/api/tasks?text=N24&sort=id`, bearer(d.token))).json()) as { tasks: Array<{ id: string }> };
    expect(found.tasks.map((t) => t.id)).toEqual(['n24', 'n240', 'n241', 'n242', 'n243', 'n244', 'n245', 'n246', 'n247']);
  });

  it("gives the charts' past: tasks done since the run began, ending at today's totals", async () => {
    const dir = await queueWith(Array.from({ length: 6 }, (_, i) => ({ id: `h${i}`, type: 't' })));
    const d = await serve(dir);
    // No run yet: no past to show (the page draws what it sees from now on).
    expect(await (await fetch(`${d.base}/api/history`, bearer(d.token))).json()).toEqual({ from: null, bucket_ms: null, points: [] });
    const run = await ralph(['run', '--workers', '2', '--agent-cmd', 'true'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    const history = (await (await fetch(`${d.base}/api/history`, bearer(d.token))).json()) as {
      from: string;
      bucket_ms: number;
      points: Array<{ t: number; done: number; cost: number }>;
    };
    const status = JSON.parse((await ralph(['status', '--json'], { cwd: dir })).stdout) as { run: { started_at: string; ended_at: string } };
    expect(history.from).toBe(status.run.started_at);
    expect(history.bucket_ms).toBe(2000);
    const { points } = history;
    expect(points[0]).toEqual({ t: Date.parse(history.from), done: 0, cost: 0 });
    // The run's end, then now: the totals.
    expect(points.at(-2)).toEqual({ t: Date.parse(status.run.ended_at), done: 6, cost: 0 });
    expect(points.at(-1)).toMatchObject({ done: 6, cost: 0 });
    for (let i = 1; i < points.length; i++) {
      expect(points[i]!.t).toBeGreaterThan(points[i - 1]!.t);
      expect(points[i]!.done).toBeGreaterThanOrEqual(points[i - 1]!.done);
    }
  });

  it("shows a task's prompt, from the run's template, and under --isolate worktree the changes it made", async () => {
    const dir = tempDir('ralph-dashboard-wt-');
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, 'config', 'user.email', 'test@example.com');
    git(dir, 'config', 'user.name', 'Test');
    writeFileSync(join(dir, 'shared.txt'), 'one line\n');
    // Both tasks wait for each other before they write: they begin on the same base, and the second to merge conflicts.
    script(
      dir,
      'agent.sh',
      String.raw`
touch "$RALPH_DIR/../started-$RALPH_TASK_ID"
i=0; while [ "$(ls "$RALPH_DIR/.." | grep -c '^started-')" -lt 2 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
echo "written by $RALPH_TASK_ID" > shared.txt
echo "FINDINGS: wrote it"`,
    );
    writeFileSync(join(dir, 'prompt.md'), 'Do {{data.what}} for {{id}}.\n');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'seed');
    writeTasks(dir, [
      { id: 'a', type: 'edit', data: { what: 'the first edit' } },
      { id: 'b', type: 'edit', data: { what: 'the second edit' } },
    ]);
    const ran = await ralph(
      ['run', '--tasks', 'tasks.json', '--isolate', 'worktree', '--workers', '2', '--agent-cmd', './agent.sh', '--prompt-template', 'prompt.md'],
      {
        cwd: dir,
      },
    );
    expect(ran.code, ran.stderr).toBe(0);
    const d = await serve(dir);
    const get = async (path: string) => {
      const response = await fetch(`${d.base}${path}`, bearer(d.token));
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const tasks = ((await get('/api/tasks')).body.tasks as Array<{ id: string; merge: string; commit: string }>).sort((x, y) => x.merge.localeCompare(y.merge));
    const [conflict, merged] = tasks as [{ id: string; merge: string; commit: string }, { id: string; merge: string; commit: string }];
    expect([conflict.merge, merged.merge]).toEqual(['conflict', 'merged']);

    expect((await get(`/api/tasks/${merged.id}/prompt`)).body).toEqual({
      prompt: `Do the ${merged.id === 'a' ? 'first' : 'second'} edit for ${merged.id}.\n`,
      template: join(dir, 'prompt.md'),
    });
    const mergedDiff = (await get(`/api/tasks/${merged.id}/diff`)).body;
    expect(mergedDiff.of).toMatch(/^what it brought onto main \([0-9a-f]{12}\.\.[0-9a-f]{12}\)$/);
    expect(mergedDiff.diff).toContain(`-one line\n+written by ${merged.id}\n`);
    // The branch kept: what it would bring, since it left main.
    const kept = (await get(`/api/tasks/${conflict.id}/diff`)).body;
    expect(kept.of).toBe(`ralph/${conflict.id} (${conflict.commit.slice(0, 12)}) since it left main`);
    expect(kept.diff).toContain(`-one line\n+written by ${conflict.id}\n`);
    expect(kept.truncated).toBe(false);

    // A branch with a big change, recorded as a worker would: the diff is cut at a line's end, and says so.
    const mainTip = git(dir, 'rev-parse', 'main');
    git(dir, 'checkout', '-q', '-b', 'ralph/big', mainTip);
    writeFileSync(join(dir, 'big.txt'), Array.from({ length: 20_000 }, (_, i) => `line ${i} of a generated file`).join('\n'));
    git(dir, 'add', 'big.txt');
    git(dir, 'commit', '-q', '-m', 'big');
    const bigTip = git(dir, 'rev-parse', 'HEAD');
    git(dir, 'checkout', '-q', 'main');
    const store = new FileStore(join(dir, '.ralph'));
    await store.transact((tx) => {
      tx.put({ id: 'big', type: 't', status: 'completed', attempts: 1, branch: 'ralph/big', commit: bigTip, base_tip: mainTip, merge: 'skipped' } as Task);
      tx.put({
        id: 'ghost',
        type: 't',
        status: 'completed',
        attempts: 1,
        branch: 'ralph/ghost',
        commit: '0123456789abcdef0123456789abcdef01234567',
        merge: 'merged',
      } as Task);
    });
    const big = (await get('/api/tasks/big/diff')).body as { diff: string; truncated: boolean; of: string };
    expect(big.truncated).toBe(true);
    expect(big.of).toBe(`ralph/big (${bigTip.slice(0, 12)}) since it left main`);
    expect(big.diff.length).toBeLessThanOrEqual(512 * 1024);
    expect(big.diff.length).toBeGreaterThan(400 * 1024);
    expect(big.diff.endsWith('\n')).toBe(true);
    expect((await get('/api/tasks/ghost/diff')).body).toEqual({ none: '0123456789ab not in this repository (made on another machine? git fetch it first)' });

    expect((await get('/api/tasks/nope/prompt')).status).toBe(404);
    expect((await get('/api/tasks/nope/diff')).status).toBe(404);
    // Not a worktree task: no diff to show, said so; a template gone: said so in one line.
    writeTasks(dir, [{ id: 'plain', type: 't' }], 'more.json');
    expect((await ralph(['queue', 'add', 'more.json'], { cwd: dir })).code).toBe(0);
    expect((await get('/api/tasks/plain/diff')).body).toEqual({ none: 'not a worktree task (--isolate worktree): it has no branch' });
    rmSync(join(dir, 'prompt.md'));
    expect((await get('/api/tasks/plain/prompt')).body).toEqual({ none: `the run's prompt template ${join(dir, 'prompt.md')} cannot be read (ENOENT)` });
    // The path is the queue's data: a file outside the repository the dashboard serves is not read.
    const outside = join(tempDir('ralph-elsewhere-'), 'secret.txt');
    writeFileSync(outside, 'a private key');
    symlinkSync(outside, join(dir, 'prompt.md'));
    expect((await get('/api/tasks/plain/prompt')).body).toEqual({
      none: `the run's prompt template ${join(dir, 'prompt.md')} is outside ${dir}, the directory the dashboard serves: not shown`,
    });
  });

  it('scales the live run and stops one of its workers through the same calls as ralph ctl; refused without a run', async () => {
    const dir = await queueWith(Array.from({ length: 10 }, (_, i) => ({ id: `w${i}`, type: 't' })));
    const d = await serve(dir);
    const postTo = async (path: string) => {
      const response = await fetch(`${d.base}${path}`, { method: 'POST', ...bearer(d.token) });
      return { status: response.status, body: (await response.json()) as { message?: string; error?: string; target?: number } };
    };
    expect(await postTo('/api/run/scale?workers=2')).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^No run is live on /) } });
    expect((await postTo('/api/run/scale?workers=zero')).status).toBe(400);
    // Claiming paused: the run stays live, its tasks waiting, while it is steered.
    expect((await postTo('/api/pause')).status).toBe(200);
    script(dir, 'agent.sh', 'echo "FINDINGS: ok"');
    const run = startRalph(['run', '--workers', '1', '--agent-cmd', './agent.sh'], { cwd: dir });
    running.push(run.child);
    let scaled = await postTo('/api/run/scale?workers=2');
    for (const until = Date.now() + 30_000; scaled.status !== 200 && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 100));
      scaled = await postTo('/api/run/scale?workers=2');
    }
    expect(scaled).toMatchObject({ status: 200, body: { target: 2, message: expect.stringMatching(/^aiming at 2 worker\(s\) \(was 1\)/) } });
    expect(await postTo('/api/run/stop-worker?worker=9')).toMatchObject({ status: 400, body: { error: 'worker 9 is not running in this run' } });
    let stopped = await postTo('/api/run/stop-worker?worker=1');
    for (const until = Date.now() + 10_000; stopped.status !== 200 && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 100)); // worker 1 is being started
      stopped = await postTo('/api/run/stop-worker?worker=1');
    }
    expect(stopped).toMatchObject({ status: 200, body: { target: 1 } });
    expect((await postTo('/api/resume')).status).toBe(200);
    const done = await run.done;
    expect(done.code, done.stderr).toBe(0);
  });

  it('sends each change to an open event stream, without a reload', async () => {
    const dir = await queueWith([{ id: 'a', type: 't' }]);
    const d = await serve(dir);
    const response = await fetch(`${d.base}/api/events`, bearer(d.token));
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    // Reads the stream until an event says `n` tasks are pending (the test's timeout ends it otherwise).
    const pendingSeen = async (n: number): Promise<void> => {
      while (!text.includes(`"pending":${n}`)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`the event stream ended before an event with ${n} pending: ${text}`);
        text += decoder.decode(value, { stream: true });
      }
    };
    await pendingSeen(1);
    writeTasks(dir, [{ id: 'b', type: 't' }], 'more.json');
    expect((await ralph(['queue', 'add', 'more.json'], { cwd: dir })).code).toBe(0);
    await pendingSeen(2);
    await reader.cancel();
  });

  it('acts as the CLI does: pause and resume claiming, add tasks from a file (a bad one refused in one line)', async () => {
    const dir = await queueWith([{ id: 'a', type: 't' }]);
    const d = await serve(dir);
    const act = (path: string, body?: string) =>
      fetch(d.base + path, { method: 'POST', headers: { authorization: `Bearer ${d.token}`, origin: d.base }, ...(body === undefined ? {} : { body }) });
    // Asked before and after: the answer is the queue as it is now, with no page open too.
    expect(((await (await fetch(`${d.base}/api/status`, bearer(d.token))).json()) as { paused_at: string | null }).paused_at).toBeNull();
    expect(await (await act('/api/pause')).json()).toEqual({ changed: true, paused: true });
    const status = (await (await fetch(`${d.base}/api/status`, bearer(d.token))).json()) as { paused_at: string | null };
    expect(status.paused_at).toEqual(expect.any(String));
    expect((await ralph(['status'], { cwd: dir })).stdout).toContain('Claiming paused since');
    expect(await (await act('/api/pause')).json()).toEqual({ changed: false, paused: true });
    expect(await (await act('/api/resume')).json()).toEqual({ changed: true, paused: false });
    expect((await ralph(['status'], { cwd: dir })).stdout).not.toContain('Claiming paused');

    const added = await act(
      '/api/tasks',
      JSON.stringify([
        { id: 'a', type: 't' },
        { id: 'b', type: 't' },
      ]),
    );
    expect(await added.json()).toEqual({ added: 1, skipped: 1 });
    const bad = await act('/api/tasks', '[{"id": "c"}');
    expect(bad.status).toBe(400);
    const why = ((await bad.json()) as { error: string }).error;
    expect(why).toContain('the file sent');
    expect(why.split('\n')).toHaveLength(1);
    const retryPending = await act('/api/tasks/b/retry');
    expect(retryPending.status).toBe(400);
    expect(((await retryPending.json()) as { error: string }).error).toContain('is pending, not failed');
    const list = JSON.parse((await ralph(['queue', 'list', '--json'], { cwd: dir })).stdout) as Array<{ id: string }>;
    expect(list.map((t) => t.id)).toEqual(['a', 'b']);
  });

  it('ralph run --dashboard serves the page for the duration of the run', async () => {
    const dir = tempDir('ralph-dashboard-');
    script(dir, 'agent.sh', 'sleep 0.4\necho "FINDINGS: ok"');
    writeTasks(dir, [
      { id: 'a', type: 't' },
      { id: 'b', type: 't' },
      { id: 'c', type: 't' },
    ]);
    const run = startRalph(['run', '--tasks', 'tasks.json', '--workers', '1', '--agent-cmd', './agent.sh', '--dashboard'], { cwd: dir });
    let err = '';
    run.child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const url = new URL(await waitFor('the run prints the dashboard', () => err.match(/dashboard at (\S+)/)?.[1]));
    const token = url.searchParams.get('token')!;
    const status = (await (await fetch(`${url.origin}/api/status`, bearer(token))).json()) as { active: boolean; total: number };
    expect(status).toMatchObject({ active: true, total: 3 });
    const done = await run.done;
    expect(done.code, done.stderr).toBe(0);
    await expect(fetch(`${url.origin}/api/status`, bearer(token))).rejects.toThrow();
  });

  it('refuses POSTs from another site, and takes those of a script (no Origin)', async () => {
    const dir = await queueWith([{ id: 'a', type: 't' }]);
    const d = await serve(dir);
    const other = await fetch(`${d.base}/api/pause`, { method: 'POST', headers: { authorization: `Bearer ${d.token}`, origin: 'http://evil.example' } });
    expect(other.status).toBe(403);
    const noToken = await fetch(`${d.base}/api/pause?token=${d.token}`, { method: 'POST', headers: { origin: d.base } });
    expect(noToken.status).toBe(401);
    expect(JSON.parse((await ralph(['status', '--json'], { cwd: dir })).stdout).paused_at).toBeNull();
    const script = spawnSync('curl', ['-s', '-X', 'POST', '-H', `Authorization: Bearer ${d.token}`, `${d.base}/api/pause`], { encoding: 'utf8' });
    expect(JSON.parse(script.stdout)).toEqual({ changed: true, paused: true });
  });

  it('needs a --token of its own to listen on another address than loopback; says so in one line', async () => {
    const dir = await queueWith([{ id: 'a', type: 't' }]);
    const refused = await ralph(['dashboard', '--host', '0.0.0.0'], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toContain('--token');
    const short = await ralph(['dashboard', '--token', 'short'], { cwd: dir });
    expect(short.code).toBe(2);
    const none = await ralph(['dashboard'], { cwd: tempDir('ralph-dashboard-') });
    expect(none.code).toBe(2);
    expect(none.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('takes a token of its own, and stops on Ctrl-C', async () => {
    const dir = await queueWith([{ id: 'a', type: 't' }]);
    const token = 'a-token-of-my-own-choosing';
    const d = await serve(dir, ['--token', token]);
    expect(d.token).toBe(token);
    expect((await fetch(`${d.base}/api/status`, bearer(token))).status).toBe(200);
    const exited = new Promise<number | null>((resolve) => d.child.on('exit', (code) => resolve(code)));
    d.child.kill('SIGINT');
    expect(await exited).toBe(130);
  });
});
