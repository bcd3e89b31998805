// `ralph dashboard --queue URL` (issue 17) on a real PostgreSQL server: the status of the queue in
// the database, a change made from another machine's directory reaching an open event stream, the
// actions on the database's queue, and the URL's password nowhere in what the dashboard says.
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { ralph, startRalph, tempDir, waitFor, writeTasks } from '../helpers/index.js';
import { usePostgres } from '../helpers/postgres.js';

describe('ralph dashboard on a queue in PostgreSQL', () => {
  const server = usePostgres();
  const running: ChildProcess[] = [];
  afterEach(() => {
    for (const child of running.splice(0)) child.kill('SIGINT');
  });

  it('shows the queue in the database live, acts on it, and never says the password', async () => {
    const url = await server().database();
    const password = new URL(url).password;
    const here = tempDir('ralph-dashboard-pg-');
    const there = tempDir('ralph-dashboard-pg-');
    expect((await ralph(['queue', 'init', '--queue', url], { cwd: here })).code).toBe(0);
    writeTasks(here, [{ id: 'a', type: 't' }]);
    expect((await ralph(['queue', 'add', 'tasks.json', '--queue', url], { cwd: here })).code).toBe(0);

    const { child } = startRalph(['dashboard', '--json', '--queue', url], { cwd: here });
    running.push(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const page = new URL(await waitFor('the dashboard prints its address', () => out.match(/"url": "([^"]+)"/)?.[1]));
    const auth = { authorization: `Bearer ${page.searchParams.get('token')}` };
    const statusText = await (await fetch(`${page.origin}/api/status`, { headers: auth })).text();
    expect(JSON.parse(statusText)).toMatchObject({ total: 1, counts: { pending: 1 }, paused_at: null });
    expect(statusText).not.toContain(password);

    // A change from another machine's directory reaches the open stream.
    const events = await fetch(`${page.origin}/api/events`, { headers: auth });
    const reader = events.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const seen = async (needle: string): Promise<void> => {
      while (!text.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`the stream ended before ${needle}: ${text}`);
        text += decoder.decode(value, { stream: true });
      }
    };
    await seen('"pending":1');
    writeTasks(there, [{ id: 'b', type: 't' }]);
    expect((await ralph(['queue', 'add', 'tasks.json', '--queue', url], { cwd: there })).code).toBe(0);
    await seen('"pending":2');

    // An action on the database's queue, seen by the CLI of the other directory.
    const paused = await fetch(`${page.origin}/api/pause`, { method: 'POST', headers: { ...auth, origin: page.origin } });
    expect(await paused.json()).toEqual({ changed: true, paused: true });
    await seen('"paused_at":"');
    expect((await ralph(['status', '--queue', url], { cwd: there })).stdout).toContain('Claiming paused since');
    const tasks = await (await fetch(`${page.origin}/api/tasks?status=pending`, { headers: auth })).json();
    expect((tasks as { tasks: Array<{ id: string }> }).tasks.map((t) => t.id)).toEqual(['a', 'b']);
    // One task's page reads it by its key (and its results), not the queue.
    const detail = (await (await fetch(`${page.origin}/api/tasks/b`, { headers: auth })).json()) as {
      task: { id: string; status: string };
      findings: unknown[];
    };
    expect(detail).toMatchObject({ task: { id: 'b', status: 'pending' }, findings: [], issues: [] });
    expect((await fetch(`${page.origin}/api/tasks/nope`, { headers: auth })).status).toBe(404);
    await reader.cancel();
    expect(out + err + text).not.toContain(password);
  });
});
