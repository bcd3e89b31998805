// Many machines, one queue (issue 16): the real CLI against a real PostgreSQL server. A "machine" is
// a directory of its own (its own --dir for logs and prompts) sharing nothing with the others but the
// database URL. The fake agent records each start in a file outside every machine, so that a task run
// twice is seen.
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { queueOf, ralph, readJson, resultsOf, script, startRalph, tempDir, waitFor, writeTasks } from '../helpers/index.js';
import type { Result } from '../helpers/index.js';
import { untilRunActive, usePostgres, withClient } from '../helpers/postgres.js';
import { FAKE_CLAUDE } from '../helpers/fake-claude.js';

interface Machine {
  dir: string;
}

function machine(name: string, agent: string): Machine {
  const dir = tempDir(`ralph-${name}-`);
  script(dir, 'agent.sh', agent);
  return { dir };
}

/** What the database says of every task and result (through a client of the test's own). */
async function recorded(url: string) {
  return withClient(url, async (c) => ({
    tasks: (await c.query('SELECT id, status, task FROM ralph_tasks ORDER BY seq')).rows,
    findings: (await c.query("SELECT task_id FROM ralph_results WHERE kind = 'finding' ORDER BY seq")).rows.map((r) => r.task_id as string),
    issues: (await c.query("SELECT task_id, body FROM ralph_results WHERE kind = 'issue' ORDER BY seq")).rows,
  }));
}

function startsIn(file: string): Map<string, number> {
  const counts = new Map<string, number>();
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return counts;
  }
  for (const id of text.split('\n').filter(Boolean)) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

// It also notes a database URL in its environment: the password must not reach agents.
const AGENT =
  'printf "%s\\n" "$RALPH_TASK_ID" >> "$STARTS"\nif [ -n "$RALPH_QUEUE" ]; then echo "$RALPH_TASK_ID" >> "$STARTS.leaked"; fi\ncat > /dev/null\necho "did $RALPH_TASK_ID"\n';

describe('a queue on PostgreSQL shared by several machines', () => {
  const server = usePostgres();

  /** Starts `n` workers on a machine: `ralph worker --workers n` (the queue's URL from the environment). */
  function workers(m: Machine, n: number, env: NodeJS.ProcessEnv): Array<Promise<Result>> {
    return [startRalph(['worker', '--workers', String(n), '--agent-cmd', './agent.sh'], { cwd: m.dir, env }).done];
  }

  it('3 machines × 4 workers work 1,000 tasks: every task run once and recorded once; status shows every machine', async () => {
    const url = await server().database();
    const shared = tempDir('ralph-shared-');
    const starts = join(shared, 'starts');
    const env = { RALPH_QUEUE: url, STARTS: starts };
    const [a, b, c] = ['a', 'b', 'c'].map((n) => machine(n, AGENT)) as [Machine, Machine, Machine];
    writeTasks(
      a.dir,
      Array.from({ length: 1000 }, (_, i) => ({ id: `t${i}`, type: 'noop' })),
    );
    // Machine A's run applies its workers' steps for them (batched in one database transaction); B's
    // and C's workers apply their own.
    const run = startRalph(['run', '--tasks', 'tasks.json', '--workers', '4', '--agent-cmd', './agent.sh'], {
      cwd: a.dir,
      env: { ...env, RALPH_STEPS: 'run' },
    });
    await untilRunActive(url);
    const others = [...workers(b, 4, env), ...workers(c, 4, env)];
    const ran = await run.done;
    expect(ran.stdout).toContain('Stopped: every task completed.');
    expect(ran.code).toBe(0);
    const joined = await Promise.all(others);
    for (const w of joined) expect(w.code, w.stderr).toBe(0);
    const db = await recorded(url);
    expect(db.tasks.length).toBe(1000);
    expect(db.tasks.every((t) => t.status === 'completed' && t.task.attempts === 1)).toBe(true);
    expect(db.findings.length).toBe(1000);
    expect(new Set(db.findings).size).toBe(1000);
    expect(db.issues).toEqual([]);
    const counts = startsIn(starts);
    expect(counts.size).toBe(1000);
    expect(startsIn(`${starts}.leaked`).size, 'agents that saw RALPH_QUEUE').toBe(0);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    // Every machine did some of the work, and `status` shows all twelve workers.
    const byHostDir = new Set(db.tasks.map((t) => t.task.worker_id));
    expect(byHostDir.size).toBe(12);
    const status = await ralph(['status', '--queue', url, '--json'], { cwd: tempDir() });
    expect(status.code).toBe(0);
    const view = JSON.parse(status.stdout);
    expect(view.counts).toEqual({ pending: 0, claimed: 0, completed: 1000, failed: 0 });
    expect(view.workers.length).toBe(12);
    expect(status.stdout).not.toContain('test-only-password');
    // Each machine kept its own logs: four workers' logs each, with ids no other machine has.
    const ids = (m: Machine) => readdirSync(join(m.dir, '.ralph')).filter((f) => /^worker-\d+\.log$/.test(f));
    expect([...ids(a), ...ids(b), ...ids(c)].length).toBe(12);
    expect(new Set([...ids(a), ...ids(b), ...ids(c)]).size).toBe(12);
    const report = (m: Machine) => readFileSync(join(m.dir, '.ralph', 'ORCHESTRATOR-REPORT.md'), 'utf8');
    expect(report(a)).toContain('1000');
    // Any machine can write the report of the whole fleet's work.
    const written = await ralph(['report', '--json'], { cwd: b.dir, env });
    expect(written.code, written.stderr).toBe(0);
    expect(JSON.parse(written.stdout).counts).toEqual({ pending: 0, claimed: 0, completed: 1000, failed: 0 });
    expect(report(b)).not.toContain('test-only-password');
  }, 240_000);

  it("completes the task of a worker SIGKILLed on one machine on another machine's worker, recorded once", async () => {
    const url = await server().database();
    const shared = tempDir('ralph-shared-');
    const starts = join(shared, 'starts');
    const pids = join(shared, 'pids');
    mkdirSync(pids);
    // The first start of `slow` hangs (its worker is killed then); every other start is quick.
    const agent = `printf "%s\\n" "$RALPH_TASK_ID" >> "$STARTS"
cat > /dev/null
if [ "$RALPH_TASK_ID" = slow ] && [ ! -e "$PIDS/slow-started" ]; then echo $$ > "$PIDS/slow-started"; sleep 300; fi
echo "did $RALPH_TASK_ID"
`;
    const a = machine('a', agent);
    const b = machine('b', agent);
    const env = { RALPH_QUEUE: url, STARTS: starts, PIDS: pids };
    expect((await ralph(['queue', 'init'], { cwd: a.dir, env })).code).toBe(0);
    writeTasks(a.dir, [{ id: 'slow', type: 't' }]);
    expect((await ralph(['queue', 'add', 'tasks.json'], { cwd: a.dir, env })).code).toBe(0);
    // Machine B's worker takes `slow` and is killed while its agent runs.
    const victim = startRalph(['worker', '--agent-cmd', './agent.sh'], { cwd: b.dir, env });
    await waitFor('the slow task to start', () => startsIn(starts).get('slow') === 1, 30_000);
    victim.child.kill('SIGKILL');
    await victim.done;
    // Machine A joins: it reaps the dead worker's claim and runs the task again.
    const rescuer = await ralph(['worker', '--agent-cmd', './agent.sh'], { cwd: a.dir, env });
    expect(rescuer.code).toBe(0);
    const db = await recorded(url);
    expect(db.tasks.map((t) => [t.id, t.status, t.task.attempts])).toEqual([['slow', 'completed', 2]]);
    expect(db.findings).toEqual(['slow']);
    expect(db.issues.map((i) => i.body.reason)).toEqual(['worker-died']);
    expect(startsIn(starts).get('slow')).toBe(2);
    // The killed worker's agent was killed too (found by its claim token), not left running.
    const orphan = Number(readFileSync(join(pids, 'slow-started'), 'utf8'));
    await waitFor('the orphaned agent to be gone', () => {
      try {
        process.kill(orphan, 0);
        return false;
      } catch {
        return true;
      }
    });
  }, 120_000);

  for (const fault of ['the server restarted', 'its connections terminated (pg_terminate_backend)'] as const) {
    it(`loses and doubles nothing when the database is cut off mid-run: ${fault}`, async () => {
      const url = await server().database();
      const shared = tempDir('ralph-shared-');
      const starts = join(shared, 'starts');
      // Each agent runs for a while: the cut comes while agents run, and their reports wait for the reconnect.
      const a = machine('a', `printf "%s\\n" "$RALPH_TASK_ID" >> "$STARTS"\ncat > /dev/null\nsleep 0.4\necho "did $RALPH_TASK_ID"\n`);
      const env = { RALPH_QUEUE: url, STARTS: starts };
      writeTasks(
        a.dir,
        Array.from({ length: 24 }, (_, i) => ({ id: `t${i}`, type: 't' })),
      );
      // The run applies its workers' steps in one case, the workers their own in the other.
      const steps = fault === 'the server restarted' ? 'run' : 'worker';
      const run = startRalph(['run', '--tasks', 'tasks.json', '--workers', '4', '--agent-cmd', './agent.sh'], {
        cwd: a.dir,
        env: { ...env, RALPH_STEPS: steps },
      });
      await waitFor('some tasks to start', () => startsIn(starts).size >= 6, 60_000);
      // The cut comes mid-run: tasks are left to record.
      expect((await recorded(url)).findings.length, 'findings recorded before the cut').toBeLessThan(20);
      if (fault === 'the server restarted') await server().restart();
      else
        await withClient(url, (c) =>
          c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'ralph%' AND pid <> pg_backend_pid()"),
        );
      const ran = await run.done;
      const said = `${ran.stdout}\n${ran.stderr}`;
      expect(ran.stdout, said).toContain('Stopped: every task completed.');
      const db = await recorded(url);
      expect(
        db.tasks.every((t) => t.status === 'completed'),
        said,
      ).toBe(true);
      expect(db.findings.length).toBe(24);
      expect(new Set(db.findings).size).toBe(24);
      // An agent run may be repeated only when its claim was lost; none is here.
      expect([...startsIn(starts).values()].every((n) => n === 1)).toBe(true);
    }, 120_000);
  }

  it('says in one line, exit 2, when the database cannot be reached or refuses the credentials; never the password', async () => {
    const dir = tempDir();
    writeTasks(dir, [{ id: 'a', type: 't' }]);
    const refused = await ralph(['run', '--queue', 'postgres://ralph:hunter2-secret@127.0.0.1:1/ralph', '--tasks', 'tasks.json', '--agent-cmd', 'true'], {
      cwd: dir,
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/cannot reach the queue at postgres:\/\/ralph@127\.0\.0\.1:1\/ralph: connection refused/);
    const wrong = new URL(server().url);
    wrong.password = 'hunter2-secret';
    const denied = await ralph(['status', '--queue', wrong.toString()], { cwd: dir });
    expect(denied.code).toBe(2);
    expect(denied.stderr).toMatch(/refused the credentials/);
    for (const out of [refused.stderr, refused.stdout, denied.stderr, denied.stdout]) expect(out).not.toContain('hunter2-secret');
    const notPg = await ralph(['status', '--queue', 'mysql://x@y/z'], { cwd: dir });
    expect(notPg.code).toBe(2);
    expect(notPg.stderr).toMatch(/--queue must be a PostgreSQL URL/);
  });

  it('a worker started by hand on another machine takes the settings of the run it joins from the database (its agent)', async () => {
    const url = await server().database();
    const shared = tempDir('ralph-shared-');
    const agent = 'printf "%s\\n" "$RALPH_TASK_ID" >> "$STARTS"\ncat > /dev/null\nsleep 0.2\necho "did $RALPH_TASK_ID"\n';
    const [a, b] = [machine('a', agent), machine('b', agent)];
    writeTasks(
      a.dir,
      Array.from({ length: 12 }, (_, i) => ({ id: `t${i}`, type: 'noop' })),
    );
    const env = { RALPH_QUEUE: url, STARTS: join(shared, 'starts') };
    const run = startRalph(['run', '--tasks', 'tasks.json', '--workers', '1', '--agent-cmd', './agent.sh', '--max-attempts', '7'], { cwd: a.dir, env });
    await untilRunActive(url);
    // No agent given: the run's, as recorded in the database.
    const joined = await ralph(['worker'], { cwd: b.dir, env });
    expect(joined.code, joined.stderr).toBe(0);
    expect((await run.done).code).toBe(0);
    const log = readdirSync(join(b.dir, '.ralph')).find((f) => /^worker-\d+\.log$/.test(f))!;
    const text = readFileSync(join(b.dir, '.ralph', log), 'utf8');
    expect(text).toContain('agent: sh -c "./agent.sh"');
    expect(text).toMatch(/stopped \(no work left\): [1-9]\d* completed/);
    const db = await recorded(url);
    expect(db.tasks.every((t) => t.status === 'completed')).toBe(true);
    expect(new Set(db.tasks.map((t) => t.task.worker_id)).size).toBe(2);
  });

  it("a run on a database's queue never takes the settings of a file queue's last run under --dir", async () => {
    const url = await server().database();
    const dir = tempDir();
    script(dir, 'agent.sh', 'cat > /dev/null\necho ran >> "$0.ran"\necho did it');
    writeTasks(dir, [{ id: 'a', type: 't' }]);
    const local = await ralph(['run', '--tasks', 'tasks.json', '--agent-cmd', './agent.sh'], { cwd: dir });
    expect(local.code, local.stderr).toBe(0);
    expect(readFileSync(join(dir, 'agent.sh.ran'), 'utf8')).toBe('ran\n');
    // No agent named: the default agent (whose binary is not there), not the file queue's ./agent.sh.
    const onDb = await ralph(['run', '--tasks', 'tasks.json', '--agent-bin', join(dir, 'no-such-claude')], { cwd: dir, env: { RALPH_QUEUE: url } });
    expect(onDb.code).toBe(2);
    expect(onDb.stderr).toMatch(/claude/i);
    expect(readFileSync(join(dir, 'agent.sh.ran'), 'utf8')).toBe('ran\n');
  });

  it('ralph doctor --queue: the database unreachable, the queue missing, then the counts, the failures and the idle queue', async () => {
    const dir = tempDir();
    const unreachable = await ralph(['doctor', '--queue', 'postgres://ralph:hunter2-secret@127.0.0.1:1/ralph', '--agent-cmd', 'true'], { cwd: dir });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stdout).toMatch(/^ERROR queue: cannot reach the queue at postgres:\/\/ralph@127\.0\.0\.1:1\/ralph: connection refused/m);
    expect(unreachable.stdout + unreachable.stderr).not.toContain('hunter2-secret');
    const url = await server().database();
    const env = { RALPH_QUEUE: url };
    const missing = await ralph(['doctor', '--agent-cmd', 'true'], { cwd: dir, env });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/^ERROR queue: .* has no queue yet/m);
    expect(missing.stdout).toContain('ralph queue init --queue URL');
    script(dir, 'agent.sh', 'cat > /dev/null\nif [ "$RALPH_TASK_ID" = bad ]; then echo "it broke" >&2; exit 3; fi\necho did it');
    writeTasks(dir, [
      { id: 'good', type: 't' },
      { id: 'bad', type: 't' },
    ]);
    const ran = await ralph(['run', '--tasks', 'tasks.json', '--agent-cmd', './agent.sh', '--max-attempts', '1'], { cwd: dir, env });
    expect(ran.code, ran.stderr).toBe(1);
    writeTasks(dir, [{ id: 'later', type: 't' }]);
    expect((await ralph(['queue', 'add', 'tasks.json'], { cwd: dir, env })).code).toBe(0);
    const doctor = await ralph(['doctor', '--json'], { cwd: dir, env });
    expect(doctor.code, doctor.stderr).toBe(0);
    const checks = JSON.parse(doctor.stdout).checks as Array<{ level: string; check: string; found: string }>;
    const found = (name: string) => checks.filter((c) => c.check === name).map((c) => `${c.level}: ${c.found.split('\n')[0]}`);
    expect(found('queue')).toEqual([
      expect.stringMatching(/^ok: queue "default" at postgres:\/\/ralph_test@.* is readable: pending 1, claimed 0, completed 1, failed 1$/),
    ]);
    expect(found('failed task')).toEqual([expect.stringMatching(/^warn: bad: .*exit(ed with)? (code )?3/)]);
    expect(found('workers')).toEqual(['warn: 1 task(s) pending but no live worker']);
    expect(found('agent')).toEqual(['ok: agent command found: ./agent.sh']);
    expect(checks.some((c) => c.check === 'lock')).toBe(false);
    expect(doctor.stdout).not.toContain('test-only-password');
  });

  it('moves a file queue into the database (queue migrate) and writes it back as files (queue export), nothing lost', async () => {
    const url = await server().database();
    const dir = tempDir();
    script(dir, 'agent.sh', 'cat > /dev/null\nif [ "$RALPH_TASK_ID" = bad ]; then echo "no good" >&2; exit 3; fi\necho "did $RALPH_TASK_ID"');
    writeTasks(dir, [
      { id: 'a', type: 't', data: { n: 1 } },
      { id: 'bad', type: 't' },
      { id: 'b', type: 't' },
    ]);
    expect((await ralph(['run', '--tasks', 'tasks.json', '--workers', '2', '--agent-cmd', './agent.sh', '--retries', '0'], { cwd: dir })).code).toBe(1);
    const before = { queue: queueOf(dir), results: resultsOf(dir) };
    const page = async (...where: string[]) =>
      JSON.parse((await ralph(['queue', 'list', '--limit', '2', '--offset', '1', '--json', ...where], { cwd: dir })).stdout);
    expect((await page()).map((t: { id: string }) => t.id)).toEqual(['bad', 'b']);
    const moved = await ralph(['queue', 'migrate', '--to', url, '--json'], { cwd: dir });
    expect(moved.code, moved.stderr).toBe(0);
    expect(JSON.parse(moved.stdout)).toMatchObject({ tasks: 3, findings: 2, issues: 1 });
    // A page of the database's queue, read there (in queue order, as the file store's).
    expect(await page('--queue', url)).toEqual(before.queue.tasks.slice(1, 3));
    expect(moved.stdout).not.toContain('test-only-password');
    // A second move into the same queue is refused: it is not empty.
    const again = await ralph(['queue', 'migrate', '--to', url], { cwd: dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds a queue \(3 task\(s\), 3 result\(s\)\); nothing was copied/);
    const out = join(tempDir(), 'exported');
    const exported = await ralph(['queue', 'export', '--queue', url, '--to', out], { cwd: dir });
    expect(exported.code, exported.stderr).toBe(0);
    const after = { queue: readJson(join(out, 'work-queue.json')), results: readJson(join(out, 'results.json')) };
    expect(after.queue.tasks).toEqual(before.queue.tasks);
    expect(after.results.findings).toEqual(before.results.findings);
    expect(after.results.issues).toEqual(before.results.issues);
    // And the database's queue goes on: the failed task retried and run there.
    expect((await ralph(['queue', 'retry', '--failed', '--queue', url], { cwd: dir })).code).toBe(0);
    const list = await ralph(['queue', 'list', '--queue', url, '--status', 'pending', '--json'], { cwd: dir });
    expect(JSON.parse(list.stdout).map((t: { id: string }) => t.id)).toEqual(['bad']);
  }, 60_000);

  it('ralph status --watch --queue follows a run of another directory until it ends', async () => {
    const url = await server().database();
    const a = machine('a', 'cat > /dev/null\nsleep 0.3\necho done');
    writeTasks(
      a.dir,
      Array.from({ length: 6 }, (_, i) => ({ id: `w${i}`, type: 't' })),
    );
    const env = { RALPH_QUEUE: url };
    const run = startRalph(['run', '--tasks', 'tasks.json', '--workers', '2', '--agent-cmd', './agent.sh'], { cwd: a.dir, env });
    await untilRunActive(url);
    const watched = await ralph(['status', '--watch', '--json', '--interval', '0.2'], { cwd: tempDir(), env });
    expect(watched.code, watched.stderr).toBe(0);
    const lines = watched.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(2);
    expect(lines.at(-1).counts).toMatchObject({ completed: 6, pending: 0, claimed: 0 });
    expect((await run.done).code).toBe(0);
  }, 60_000);

  it('holds two machines to one budget: once the recorded cost reaches --max-cost-usd, no machine claims again', async () => {
    const url = await server().database();
    const [a, b] = ['a', 'b'].map((n) => machine(n, '')) as [Machine, Machine];
    // The fake Claude Code, a moment slower: B's workers join while A's are still at work.
    for (const m of [a, b]) {
      script(m.dir, 'claude-fast', FAKE_CLAUDE);
      script(m.dir, 'claude', 'sleep 0.3\nexec ./claude-fast "$@"');
    }
    writeTasks(
      a.dir,
      Array.from({ length: 30 }, (_, i) => ({ id: `c${i}`, type: 't' })),
    );
    // Each run costs $1 and takes a moment; the budget is $4; 2 + 2 workers have at most 4 runs in flight.
    const env = { RALPH_QUEUE: url, MODE: 'ok', COST: '1' };
    const agent = ['--agent-bin', './claude', '--max-cost-usd', '4'];
    const run = startRalph(['run', '--tasks', 'tasks.json', '--workers', '2', ...agent], { cwd: a.dir, env: { ...env, REC: join(a.dir, 'rec') } });
    await untilRunActive(url);
    const joined = await ralph(['worker', '--workers', '2', ...agent], { cwd: b.dir, env: { ...env, REC: join(b.dir, 'rec') } });
    const ran = await run.done;
    expect(ran.stdout, ran.stderr).toMatch(/^Stopped: the budget was reached: \$\d+\.0000 of \$4 \(--max-cost-usd\)/m);
    // B's workers stop claiming too (a worker ends as having no more work; it does not fail).
    expect(joined.code, joined.stderr).toBe(0);
    const db = await recorded(url);
    const cost = await withClient(url, async (c) => Number((await c.query("SELECT meta->>'cost_usd' AS c FROM ralph_queues")).rows[0].c));
    expect(cost).toBe(db.findings.length);
    expect(cost).toBeGreaterThanOrEqual(4);
    expect(cost).toBeLessThanOrEqual(4 + 3);
    expect(db.tasks.filter((t) => t.status === 'pending').length).toBe(30 - db.findings.length);
  }, 90_000);
});
