// The dashboard in a real headless Chromium (issue 17), during a real run with a fake agent: tasks
// move from pending to completed without a reload, a failed task shows under Needs attention with
// its cause and a retry from the page reruns it, claiming pauses and resumes from the page, a task whose id and error are HTML renders as text (no element made, no script run),
// and a page without the token gets 401. Screenshots go to test-artifacts/dashboard/.
import type { ChildProcess } from 'node:child_process';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/file-store.js';
import type { Task } from '../../src/queue/types.js';
import { launchBrowser, screenshotPath } from '../helpers/browser.js';
import { git } from '../helpers/git.js';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { groupAlive, ralph, script, startRalph, tempDir, waitFor, writeTasks } from '../helpers/index.js';

const HOSTILE = '<img src=x onerror="window.__pwned=1">';

describe('ralph dashboard in a browser', () => {
  let browser: Browser;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    for (const child of children) child.kill('SIGINT');
    await browser?.close();
  });

  async function dashboard(cwd: string): Promise<string> {
    const { child } = startRalph(['dashboard', '--json'], { cwd });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    return waitFor('the dashboard prints its address', () => out.match(/"url": "([^"]+)"/)?.[1]);
  }

  it('follows a run live: tasks complete without a reload, a failure needs attention, hostile text stays text', async () => {
    const dir = tempDir('ralph-dashboard-browser-');
    // Each task takes a moment; the one of type "fail" fails, with HTML in its error.
    // The first says what it is doing and takes longer: its worker's row shows that line.
    script(
      dir,
      'agent.sh',
      `if [ "$RALPH_TASK_TYPE" = slow ]; then echo "working on $RALPH_TASK_ID"; sleep 3; fi\nsleep 0.3\nif [ "$RALPH_TASK_TYPE" = fail ]; then echo '${HOSTILE} broke' >&2; exit 3; fi\necho "FINDINGS: did $RALPH_TASK_ID"`,
    );
    writeTasks(dir, [...Array.from({ length: 12 }, (_, i) => ({ id: `task-${i}`, type: i === 0 ? 'slow' : 'work' })), { id: HOSTILE, type: 'fail' }]);
    expect((await ralph(['queue', 'add', 'tasks.json'], { cwd: dir })).code).toBe(0);
    const url = await dashboard(dir);
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 }, locale: 'en-US' });
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(url);
    const count = async (status: string) => Number(await page.textContent(`.card[data-status="${status}"] .n`));
    await page.waitForSelector('.card[data-status="pending"]');
    expect(await count('pending')).toBe(13);
    expect(await count('completed')).toBe(0);
    await page.screenshot({ path: screenshotPath('before-run') });

    const run = startRalph(['run', '--workers', '2', '--agent-cmd', './agent.sh', '--retries', '0'], { cwd: dir });
    children.push(run.child);
    // Live: the same page (no reload) shows tasks completing while the run goes on, then all done.
    await page.waitForFunction(() => {
      const n = Number(document.querySelector('.card[data-status="completed"] .n')?.textContent);
      return n > 0 && n < 12;
    });
    await page.waitForFunction(() => [...document.querySelectorAll('.workers td.output')].some((td) => td.textContent?.includes('working on task-0')));
    // The running task's own page: its output as it runs.
    await page.locator('.tasks tr[data-task="task-0"] button.link').click();
    await page.locator('.task-panel pre.log', { hasText: 'working on task-0' }).waitFor();
    expect(await page.locator('.task-panel h3', { hasText: 'Output' }).textContent()).toBe('Output (as it runs)');
    // The charts of the rate and the cost over the time the page has been open.
    for (const chart of ['tasks/s', 'cost']) await page.locator(`.chart[data-chart="${chart}"] canvas`).waitFor();
    await page.screenshot({ path: screenshotPath('during-run') });
    await page
      .waitForFunction(() => document.querySelector('.card[data-status="completed"] .n')?.textContent === '12', undefined, { timeout: 30_000 })
      .catch(async (error: Error) => {
        // What the page and the queue said then, for whoever reads the failure.
        const shown = await page.evaluate(() => document.querySelector('main')?.textContent?.slice(0, 400));
        const queue = (await ralph(['status'], { cwd: dir })).stdout;
        throw new Error(`${error.message}\npage: ${shown}\nqueue: ${queue}`);
      });
    const ran = await run.done;
    expect(ran.code, ran.stderr).toBe(1); // one task failed
    await page.waitForFunction(() => document.querySelector('.card[data-status="failed"] .n')?.textContent === '1');
    expect(await count('pending')).toBe(0);

    // Needs attention: the failed task, its id and cause as text.
    const failed = page.locator('.attention li.failed');
    await failed.waitFor();
    expect(await failed.locator('.id').textContent()).toBe(HOSTILE);
    expect(await failed.textContent()).toContain(`${HOSTILE} broke`);
    // The first task's page, once it is done: its finding, and the attempt that completed it.
    await page.locator('.task-panel table.facts', { hasText: 'did task-0' }).waitFor();
    expect(await page.locator('.task-panel ul.attempts').textContent()).toContain('completed: did task-0');
    await page.locator('.task-panel button.close').click();
    // The failed one's page: its error and its output, as text.
    await page.locator(`.tasks tr[data-task="${HOSTILE.replace(/"/g, '\\"')}"] button.link`).click();
    await page.locator('.task-panel pre.log', { hasText: `${HOSTILE} broke` }).waitFor();
    expect(await page.locator('.task-panel table.facts').textContent()).toContain(`${HOSTILE} broke`);
    await page.screenshot({ path: screenshotPath('task') });
    await page.locator('.task-panel button.close').click();
    // The tasks table shows it too; nowhere did the HTML become an element or run.
    await page.locator('.tasks tr[data-task]').first().waitFor();
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(dialogs).toEqual([]);
    await page.screenshot({ path: screenshotPath('after-run'), fullPage: true });

    // Filtering the tasks by status.
    await page.selectOption('select[aria-label="status"]', 'failed');
    await page.waitForFunction(() => document.querySelectorAll('.tasks tbody tr').length === 1);
    expect(await page.locator('.tasks tbody tr td.id').textContent()).toBe(HOSTILE);
    // Text in the id, sorted by id (the same query as `ralph queue list --text task-1 --sort id`).
    await page.selectOption('select[aria-label="status"]', '');
    await page.fill('input[aria-label="text"]', 'TASK-1');
    await page.selectOption('select[aria-label="sort"]', 'id');
    await page.waitForFunction(() => document.querySelectorAll('.tasks tbody tr').length === 3);
    expect(await page.locator('.tasks tbody tr td.id').allTextContents()).toEqual(['task-1', 'task-10', 'task-11']);
    const cli = JSON.parse((await ralph(['queue', 'list', '--text', 'TASK-1', '--sort', 'id', '--json'], { cwd: dir })).stdout) as Array<{ id: string }>;
    expect(cli.map((t) => t.id)).toEqual(['task-1', 'task-10', 'task-11']);
    await page.fill('input[aria-label="text"]', '');

    // Retry from the page: the task goes back to pending; the next run reruns it (the agent now succeeds).
    script(dir, 'agent.sh', 'echo "FINDINGS: did $RALPH_TASK_ID"');
    await failed.locator('button.retry').click();
    await page.waitForFunction(() => document.querySelector('.card[data-status="failed"] .n')?.textContent === '0');
    expect(await count('pending')).toBe(1);
    const rerun = await ralph(['run', '--workers', '1', '--agent-cmd', './agent.sh'], { cwd: dir });
    expect(rerun.code, rerun.stderr).toBe(0);
    await page.waitForFunction(() => document.querySelector('.card[data-status="completed"] .n')?.textContent === '13');

    // Pause and resume claiming from the page.
    await page.locator('button.pause').click();
    await page.locator('.attention li.paused').waitFor();
    expect(JSON.parse((await ralph(['status', '--json'], { cwd: dir })).stdout).paused_at).toEqual(expect.any(String));
    await page.screenshot({ path: screenshotPath('paused') });
    await page.locator('button.pause').click();
    await page.locator('.attention li.paused').waitFor({ state: 'detached' });
    expect(JSON.parse((await ralph(['status', '--json'], { cwd: dir })).stdout).paused_at).toBeNull();
    await page.close();
  });

  it("stops a running task from the page: its agent's whole process group is killed and the task fails, not retried", async () => {
    const dir = tempDir('ralph-dashboard-browser-');
    // The agent records its process group, starts a child in it, and waits.
    script(dir, 'agent.sh', 'ps -o pgid= -p $$ | tr -d " " > "$RALPH_TASK_ID.pgid"\nsleep 60 &\nsleep 60\necho "FINDINGS: not stopped"');
    writeTasks(dir, [{ id: 'long', type: 't' }]);
    expect((await ralph(['queue', 'add', 'tasks.json'], { cwd: dir })).code).toBe(0);
    const url = await dashboard(dir);
    const run = startRalph(['run', '--workers', '1', '--agent-cmd', './agent.sh', '--retries', '2'], { cwd: dir });
    children.push(run.child);
    // A browser whose language uPlot refuses (Chromium started with LANG=C says this): the page works, without charts.
    const page = await browser.newPage({ locale: 'en-US@posix' });
    await page.goto(url);
    const stop = page.locator('.tasks tr[data-task="long"] button.stop');
    await stop.waitFor({ timeout: 20_000 });
    expect(await page.locator('.chart p.none').first().textContent()).toMatch(/^no charts in this browser/);
    const pgid = Number(
      await waitFor('the agent records its group', () => existsSync(join(dir, 'long.pgid')) && readFileSync(join(dir, 'long.pgid'), 'utf8').trim()),
    );
    expect(groupAlive(pgid)).toBe(true);
    // The worker's row, once its session says so (at the next snapshot): working on it, for how long.
    await page.locator('.workers tr[data-worker="1"] td.state', { hasText: 'working' }).waitFor();
    expect(await page.locator('.workers tr[data-worker="1"] td').nth(3).textContent()).toMatch(/^long for \d+(ms|s)/);
    await stop.click();
    await page.locator('.message', { hasText: 'long: stopped' }).waitFor();
    const ran = await run.done;
    expect(ran.code, ran.stderr).toBe(1);
    expect(groupAlive(pgid)).toBe(false);
    await page.waitForFunction(() => document.querySelector('.card[data-status="failed"] .n')?.textContent === '1');
    const [task] = JSON.parse((await ralph(['queue', 'list', '--json'], { cwd: dir })).stdout) as Array<{ status: string; attempts: number; error: string }>;
    expect(task).toMatchObject({ status: 'failed', attempts: 1 });
    expect(task!.error).toMatch(/^stopped by hand at /);
    await page.close();
  });

  it("shows a loops repository's turn live: whose turn, the lease counting down, and an expired lease under attention", async () => {
    const dir = tempDir('ralph-dashboard-loops-');
    git(dir, 'init', '-q');
    git(dir, '-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-q', '--allow-empty', '-m', 'init');
    expect((await ralph(['init', '--loops', '--start', 'ralph'], { cwd: dir })).code).toBe(0);
    // One engineer iteration on this machine: its summary is listed under the last iterations.
    const agent = script(tempDir('ralph-agent-'), 'engineer.sh', 'echo "FINDINGS: wrote <b>the parser</b>"');
    const env = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' };
    const turn = await ralph(['loop', '--sync-loops', '1', '--poll-interval', '0.2', '--agent-cmd', agent], { cwd: dir, env });
    expect(turn.code, turn.stderr).toBe(0);
    const url = await dashboard(dir); // no queue here: the loops alone
    const page = await browser.newPage();
    await page.goto(url);
    await page.locator('td.turn[data-actor="ralph"]').waitFor();
    expect(await page.locator('td.turn').textContent()).toBe('the engineer (ralph): idle');
    const iteration = page.locator('tr.iteration[data-actor="ralph"][data-iteration="1"]');
    await iteration.waitFor();
    expect(await iteration.locator('td').allTextContents()).toEqual([
      '1',
      'engineer (ralph)',
      'ok',
      'main',
      expect.stringMatching(/^\d+\.\ds$/),
      'wrote <b>the parser</b>',
      '',
    ]);
    expect(await page.locator('.overview').count()).toBe(0);
    // The supervisor's turn begins (as a pull from the other machine would bring it).
    const statePath = join(dir, 'sync', 'state.json');
    const state = JSON.parse(readFileSync(statePath, 'utf8'));
    const running = {
      ...state,
      expected_actor: 'galph',
      status: 'running-galph',
      holder: { host: 'other-host', pid: 4242, token: 'turn-token', since: new Date().toISOString() },
    };
    writeFileSync(statePath, JSON.stringify({ ...running, lease_expires_at: new Date(Date.now() + 600_000).toISOString() }));
    await page.locator('td.turn[data-actor="galph"]').waitFor();
    expect(await page.locator('td.turn').textContent()).toBe('the supervisor (galph): running-galph');
    expect(await page.locator('table.loops').textContent()).toContain('pid 4242 on other-host');
    expect(await page.locator('.countdown').textContent()).toMatch(/^(9|10)m/);
    writeFileSync(statePath, JSON.stringify({ ...running, lease_expires_at: new Date(Date.now() - 5_000).toISOString() }));
    await page.locator('.attention li.lease').waitFor();
    await page.screenshot({ path: screenshotPath('loops') });
    const status = await fetch(new URL('/api/status', url), { headers: { authorization: `Bearer ${new URL(url).searchParams.get('token')}` } });
    expect(status.status).toBe(404);
    await page.close();
  });

  it('lists a task whose branch did not merge under attention, with the paths in conflict', async () => {
    const dir = tempDir('ralph-dashboard-browser-');
    // As a worker records it under --isolate worktree with --on-conflict keep (store/ as the CLI's).
    const store = new FileStore(join(dir, '.ralph'));
    store.ensure();
    await store.transact((tx) => {
      tx.put({ id: 'clash', type: 't', status: 'completed', attempts: 1, branch: 'ralph/clash', merge: 'conflict', conflict_paths: ['src/a.ts'] } as Task);
      tx.put({ id: 'fine', type: 't', status: 'completed', attempts: 1, branch: 'ralph/fine', merge: 'merged' } as Task);
    });
    const url = await dashboard(dir);
    const page = await browser.newPage();
    await page.goto(url);
    const item = page.locator('.attention li.conflict');
    await item.waitFor();
    expect(await item.count()).toBe(1);
    expect(await item.textContent()).toBe('clash: its branch ralph/clash did not merge (completed); conflicts in src/a.ts');
    await page.close();
  });

  it("tells each worker's state: working, stalled, waiting for a usage limit, stopped or dead", async () => {
    const dir = tempDir('ralph-dashboard-browser-');
    const store = new FileStore(join(dir, '.ralph'));
    store.ensure();
    const now = Date.now();
    const ago = (ms: number) => new Date(now - ms).toISOString();
    await store.transact((tx) => {
      tx.setMeta({
        usage_limit: { agent: 'claude', message: 'limit reached', until: new Date(now + 3_600_000).toISOString(), noticed_at: ago(0), worker_id: 3 },
      });
    });
    // Sessions as workers of this machine write them: the live ones are this test's process, a dead one a process gone.
    const gone = spawnSync('true').pid!;
    const session = (worker_id: number, fields: Record<string, unknown>) =>
      store.sessions.write({
        worker_id,
        status: 'running',
        registered: ago(600_000),
        last_heartbeat: ago(1000),
        iteration: 1,
        findings: [],
        pid: process.pid,
        host: hostname(),
        current_task: null,
        agent_pgid: null,
        completed: 0,
        failed: 0,
        busy_ms: 0,
        ...fields,
      });
    session(1, { current_task: 'busy', task_started_at: ago(5000), last_output: 'compiling', last_output_at: ago(2000) });
    session(2, { current_task: 'silent', task_started_at: ago(300_000), last_output: 'thinking', last_output_at: ago(120_000) });
    session(3, { status: 'idle' });
    session(4, { status: 'stopped' });
    session(5, { pid: gone, current_task: 'orphan' });
    const url = await dashboard(dir);
    const page = await browser.newPage();
    await page.goto(url);
    await page.locator('.workers tr[data-worker="5"]').waitFor();
    const rows = await page.locator('.workers tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(rows.map((r) => [r[0], r[2], r[3]])).toEqual([
      ['1', 'working', expect.stringMatching(/^busy for \d+s$/)],
      ['2', 'stalled', expect.stringMatching(/^silent for 5m \d+s$/)],
      ['3', 'waiting for a usage limit', ''],
      ['4', 'stopped', ''],
      ['5', 'dead', 'orphan'],
    ]);
    await page.locator('.attention li.quiet').waitFor();
    await page.screenshot({ path: screenshotPath('workers'), fullPage: true });
    await page.close();
  });

  it('gives a page without the token 401', async () => {
    const dir = tempDir('ralph-dashboard-browser-');
    writeTasks(dir, [{ id: 'a', type: 't' }]);
    expect((await ralph(['queue', 'add', 'tasks.json'], { cwd: dir })).code).toBe(0);
    const url = new URL(await dashboard(dir));
    const page = await browser.newPage();
    const response = await page.goto(url.origin);
    expect(response?.status()).toBe(401);
    expect(await page.locator('#app').count()).toBe(0);
    await page.close();
  });
});
