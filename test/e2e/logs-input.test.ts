// `ralph logs` given what it cannot use: a --since out of range, a date that does not exist, a date in
// local time (here Asia/Kolkata, UTC+05:30). One line and exit 2, never an "unexpected error".
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ralph, startRalph, tempDir, waitFor } from '../helpers/index.js';

const KOLKATA = { TZ: 'Asia/Kolkata' };

function logDir(lines: string[]): string {
  const dir = tempDir('ralph-logs-input-');
  mkdirSync(join(dir, '.ralph'));
  writeFileSync(join(dir, '.ralph', 'worker-1.log'), lines.map((l) => `${l}\n`).join(''));
  return dir;
}

const texts = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { text: string }).text);

describe('ralph logs --since', () => {
  it('a duration back past any date: one line, exit 2', async () => {
    const dir = logDir(['2026-05-01T12:00:00.000Z worker 1 stopped']);
    const r = await ralph(['logs', '--since', '99999999999d'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ralph: Expected --since .*`99999999999d`.*\n$/);
    expect(r.stderr).not.toContain('unexpected');
  });

  it('a date, or a date and time, is local time (Asia/Kolkata here); a day that does not exist is refused', async () => {
    // Midnight of 7 December in Kolkata is 18:30 UTC on the 6th.
    const dir = logDir(['2026-12-06T18:00:00.000Z before', '2026-12-06T18:45:00.000Z after', '2026-12-06T19:00:00.000Z later']);
    const since = async (when: string) => {
      const r = await ralph(['logs', '--json', '--since', when], { cwd: dir, env: KOLKATA });
      expect(r.stderr).toBe('');
      return texts(r.stdout);
    };
    expect(await since('2026-12-07')).toEqual(['after', 'later']);
    expect(await since('2026-12-07T00:10')).toEqual(['after', 'later']);
    expect(await since('2026-12-07T00:15:00')).toEqual(['after', 'later']);
    expect(await since('2026-12-07T00:16')).toEqual(['later']);
    expect(await since('2026-12-06T18:30:00Z')).toEqual(['after', 'later']); // an offset says otherwise
    for (const when of ['2026-02-30T10:00', '2026-02-29', '2026-12-06T18:30:00+25:00', '2026-12-07T24:00']) {
      const r = await ralph(['logs', '--since', when], { cwd: dir, env: KOLKATA });
      expect([r.code, r.stdout]).toEqual([2, '']);
      expect(r.stderr).toMatch(new RegExp(`^ralph: Expected --since [^\\n]*\`${when.replace(/[+]/g, '\\+')}\`\\.\\n$`));
    }
  });
});

describe('ralph logs --task, --worker of nothing logged', () => {
  it('an unknown task or worker: one line, exit 2; one queued or registered without log lines: said, exit 0', async () => {
    const dir = tempDir('ralph-logs-unknown-');
    writeFileSync(join(dir, 'done.json'), JSON.stringify({ tasks: [{ id: 't-done', type: 'work' }] }));
    writeFileSync(join(dir, 'waiting.json'), JSON.stringify({ tasks: [{ id: 't-waiting', type: 'work' }] }));
    expect((await ralph(['queue', 'add', 'done.json'], { cwd: dir })).code).toBe(0);
    const worker = (id: string) => ralph(['worker', '--id', id, '--agent-cmd', 'echo "FINDINGS: ok"'], { cwd: dir });
    expect((await worker('4')).code).toBe(0); // does t-done, then stops: the queue is empty
    expect((await worker('5')).code).toBe(0); // registers, finds nothing to do
    rmSync(join(dir, '.ralph', 'worker-5.log'));
    expect((await ralph(['queue', 'add', 'waiting.json'], { cwd: dir })).code).toBe(0);
    const logs = (...args: string[]) => ralph(['logs', ...args], { cwd: dir });

    const done = await logs('--task', 't-done', '--json');
    expect([done.code, done.stderr]).toEqual([0, '']);
    expect(texts(done.stdout)[0]).toBe('▶ task t-done (work) attempt 1');

    const nosuch = await logs('--task', 'nosuch');
    expect([nosuch.code, nosuch.stdout]).toEqual([2, '']);
    expect(nosuch.stderr).toMatch(/^ralph: Task "nosuch" is not in the queue in \.ralph, and no worker log there names it\.\n$/);
    // Following, it is said, and the follower waits: the task may be about to be queued.
    const follow = startRalph(['logs', '-f', '--task', 'nosuch'], { cwd: dir });
    let said = '';
    follow.child.stderr!.on('data', (d: Buffer) => {
      said += d.toString();
    });
    await waitFor('the note', () => said.includes('\n'));
    expect(said).toMatch(
      /^ralph: Task "nosuch" is not in the queue in \.ralph, and no worker log there names it; following in case it comes \(Ctrl-C to stop\)\n$/,
    );
    follow.child.kill('SIGINT');
    expect((await follow.done).code).toBe(130);
    const waiting = await logs('--task', 't-waiting');
    expect([waiting.code, waiting.stdout]).toEqual([0, '']);
    expect(waiting.stderr).toMatch(/^ralph: task "t-waiting" is pending and has no log lines yet\n$/);
    const before = await logs('--task', 't-done', '--since', '2999-01-01');
    expect([before.code, before.stdout]).toEqual([0, '']);
    expect(before.stderr).toMatch(/^ralph: task "t-done" has no log lines since 2999-01-01\n$/);

    const unknown = await logs('--worker', '9');
    expect([unknown.code, unknown.stdout]).toEqual([2, '']);
    expect(unknown.stderr).toMatch(/^ralph: Worker 9 has no log in \.ralph and is not registered there; the logs there are of worker\(s\) 4\.\n$/);
    const gone = await logs('--worker', '5');
    expect([gone.code, gone.stdout]).toEqual([0, '']);
    expect(gone.stderr).toMatch(/^ralph: worker 5 is registered in \.ralph but has no log there[^\n]*\n$/);
  });
});
