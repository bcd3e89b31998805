import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAlive } from '../../src/process/alive.js';
import { deadPid, ralph, script, startRalph, tempDir, waitFor, writeTasks } from '../helpers/index.js';

function writeLock(dir: string, pid: number): string {
  const path = join(dir, '.ralph', '.lock');
  const now = new Date().toISOString();
  writeFileSync(path, JSON.stringify({ pid, host: hostname(), token: 'someone-else', acquired_at: now, refreshed_at: now, lease_ms: 30_000 }));
  return path;
}

async function seeded(tasks: unknown = [{ id: 'a', type: 't' }], agent = 'echo "FINDINGS: ok"'): Promise<string> {
  const dir = tempDir();
  script(dir, 'agent.sh', agent);
  writeTasks(dir, tasks);
  await ralph(['run', '--tasks', 'tasks.json', '--agent-cmd', './agent.sh'], { cwd: dir });
  return dir;
}

const checks = (stdout: string) => JSON.parse(stdout).checks as Array<{ level: string; check: string; found: string }>;

describe('status, doctor, unlock and report', () => {
  it('warns about a stale lock left by a dead process, and unlock removes it with the reason', async () => {
    const dir = await seeded();
    const lock = writeLock(dir, deadPid());
    const status = await ralph(['status'], { cwd: dir });
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/Warning: stale lock .*is not running.*ralph unlock/);
    expect(status.stdout).toMatch(/worker 1: stopped, 1 task\(s\) run \(completed or failed\), heartbeat/);
    expect(JSON.parse((await ralph(['status', '--json'], { cwd: dir })).stdout).lock.state).toBe('stale');
    expect(checks((await ralph(['doctor', '--json'], { cwd: dir })).stdout)).toContainEqual(expect.objectContaining({ level: 'warn', check: 'lock' }));
    const unlock = await ralph(['unlock'], { cwd: dir });
    expect(unlock.code).toBe(0);
    expect(unlock.stdout).toMatch(/Removed stale lock .*\.lock: its owner \(pid \d+ on .*\) is not running/);
    expect(existsSync(lock)).toBe(false);
  });

  it('takes over a stale lock by itself when running', async () => {
    const dir = await seeded();
    writeLock(dir, deadPid());
    writeTasks(dir, [{ id: 'b', type: 't' }], 'more.json');
    const run = await ralph(['run', '--tasks', 'more.json', '--agent-cmd', './agent.sh'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(existsSync(join(dir, '.ralph', '.lock'))).toBe(false);
  });

  it('never removes a live lock without --force', async () => {
    const dir = await seeded();
    const holder = spawn('sleep', ['30']);
    try {
      const lock = writeLock(dir, holder.pid!);
      const refused = await ralph(['unlock'], { cwd: dir });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/held by pid \d+ .*which is alive; not removed/);
      expect(readFileSync(lock, 'utf8')).toContain('someone-else');
      const forced = await ralph(['unlock', '--force'], { cwd: dir });
      expect(forced.code).toBe(0);
      expect(forced.stdout).toContain('Removed live lock');
      expect(existsSync(lock)).toBe(false);
    } finally {
      holder.kill();
    }
  });

  it('doctor explains a failed task with the log lines of its run', async () => {
    const dir = await seeded([{ id: 'broken', type: 't' }], 'echo "compiling the thing"\necho "error: missing semicolon" >&2\nexit 4');
    const doctor = await ralph(['doctor'], { cwd: dir });
    expect(doctor.code).toBe(0);
    expect(doctor.stdout).toMatch(/WARN +failed task: broken: agent exited with code 4/);
    expect(doctor.stdout).toContain('error: missing semicolon');
    expect(doctor.stdout).toContain('ralph queue retry --failed');
  });

  it('doctor finds pending tasks without a live worker, a missing agent, and lost results', async () => {
    const dir = await seeded([{ id: 'done', type: 't' }]);
    writeTasks(dir, [{ id: 'waiting', type: 't' }], 'more.json');
    expect((await ralph(['queue', 'add', 'more.json'], { cwd: dir })).code).toBe(0);
    writeFileSync(join(dir, '.ralph', 'results.json'), '{"findings": [], "issues": [], "timestamp": "2026-01-01T00:00:00.000Z"}\n');
    const doctor = await ralph(['doctor', '--json', '--agent-cmd', './gone.sh'], { cwd: dir });
    expect(doctor.code).toBe(1);
    const found = checks(doctor.stdout);
    expect(found).toContainEqual(expect.objectContaining({ level: 'warn', check: 'workers', found: '1 task(s) pending but no live worker' }));
    expect(found).toContainEqual(expect.objectContaining({ level: 'error', check: 'agent', found: expect.stringContaining('gone.sh') }));
    expect(found).toContainEqual(expect.objectContaining({ level: 'error', check: 'results' }));
    expect((await ralph(['doctor', '--json'], { cwd: tempDir() })).code).toBe(1);
  });

  it('doctor finds a task claimed by a worker that died', async () => {
    const dir = tempDir();
    script(dir, 'agent.sh', 'echo $$ > started\nsleep 30');
    writeTasks(dir, [{ id: 'orphan', type: 't' }]);
    await ralph(['queue', 'add', 'tasks.json'], { cwd: dir });
    const worker = startRalph(['worker', '--id', '1', '--agent-cmd', './agent.sh'], { cwd: dir });
    const agentPid = await waitFor('the agent to start', () => existsSync(join(dir, 'started')) && Number(readFileSync(join(dir, 'started'), 'utf8')));
    worker.child.kill('SIGKILL');
    await worker.done;
    expect(isAlive(agentPid)).toBe(true);
    const found = checks((await ralph(['doctor', '--json'], { cwd: dir })).stdout);
    expect(found).toContainEqual(expect.objectContaining({ check: 'claims', found: expect.stringMatching(/orphan \(worker 1: worker-died\)/) }));
    // Resuming puts it back to pending and kills the orphaned agent before running it again.
    script(dir, 'agent.sh', 'echo "FINDINGS: second try"');
    const resumed = await ralph(['run', '--agent-cmd', './agent.sh'], { cwd: dir });
    expect(resumed.code).toBe(0);
    expect(isAlive(agentPid)).toBe(false);
  });

  it('report rewrites the markdown from the files and exits like the run', async () => {
    const dir = await seeded([
      { id: 'a', type: 't' },
      { id: 'b', type: 't' },
    ]);
    const path = join(dir, '.ralph', 'ORCHESTRATOR-REPORT.md');
    writeFileSync(path, 'stale');
    const report = await ralph(['report', '--json'], { cwd: dir });
    expect(report.code).toBe(0);
    expect(JSON.parse(report.stdout)).toMatchObject({ ok: true, counts: { completed: 2 }, stopped_by: 'completed' });
    expect(readFileSync(path, 'utf8')).toMatch(/^# Orchestrator report/);
  });

  it.each([[[]], [['run']], [['worker']], [['status']], [['report']], [['queue']], [['queue', 'retry']], [['doctor']], [['unlock']], [['init']]])(
    'explains `ralph %s --help`',
    async (args) => {
      const help = await ralph([...args, '--help'], { cwd: tempDir() });
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/^Usage: ralph/);
      expect(help.stdout).toMatch(/--help/);
    },
  );
});
