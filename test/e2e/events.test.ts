import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, queueOf, ralph, script, startRalph, tempDir, waitFor, writeTasks } from '../helpers/index.js';
import { FAST, git, pushState, twoClones } from '../helpers/loops.js';

/** A stand-in for `claude -p --output-format stream-json`: the outcome and cost depend on the task id. */
const FAKE_CLAUDE = String.raw`
cat > /dev/null
case $RALPH_TASK_ID in
  bad) printf '{"type":"result","subtype":"success","is_error":true,"result":"Invalid API key %s · Please run /login","total_cost_usd":0,"session_id":"s"}\n' "$MY_API_KEY" ;;
  limited) printf '{"type":"result","subtype":"success","is_error":true,"result":"Claude AI usage limit reached|%s","total_cost_usd":0,"session_id":"s"}\n' "$(( $(date +%s) + 3600 ))" ;;
  *) printf '{"type":"result","subtype":"success","is_error":false,"result":"FINDINGS: did %s","total_cost_usd":0.03,"session_id":"s"}\n' "$RALPH_TASK_ID" ;;
esac
`;

/** A hook that records what it was given: its arguments, RALPH_EVENT, and the JSON on its stdin. */
const RECORDING_HOOK = 'mkdir -p "$REC"\nf="$REC/$(date +%s%N)-$$"\n{ printf "%s|%s\\n" "$RALPH_EVENT" "$*"; cat; } > "$f.tmp" && mv "$f.tmp" "$f"';

interface Told {
  event: string;
  args: string;
  json: any;
}

function told(rec: string): Told[] {
  if (!existsSync(rec)) return [];
  return readdirSync(rec)
    .filter((f) => !f.endsWith('.tmp'))
    .sort()
    .map((f) => {
      const [head, body] = readFileSync(join(rec, f), 'utf8').split(/\n(.*)/s) as [string, string];
      const [event, args] = head.split('|') as [string, string];
      return { event, args, json: JSON.parse(body) };
    });
}

describe('--on-event', () => {
  it('tells a real hook (an argument array, repeatable) each event as redacted JSON: task-failed, budget-reached, usage-limit, run-finished', async () => {
    const dir = tempDir();
    script(dir, 'claude', FAKE_CLAUDE);
    script(dir, 'hook.sh', RECORDING_HOOK);
    const rec = join(dir, 'told');
    const env = { REC: rec, MY_API_KEY: 'hunter2-very-secret-value' };
    writeTasks(dir, [
      { id: 'bad', type: 't' },
      { id: 'a', type: 't' },
      { id: 'b', type: 't' },
      { id: 'c', type: 't' },
    ]);
    const hooks = ['--on-event', './hook.sh', '--on-event', "./hook.sh 'second hook' $(touch pwned)"];
    const r = await ralph(
      ['run', '--tasks', 'tasks.json', '--workers', '1', '--agent', 'claude', '--agent-bin', './claude', '--max-cost-usd', '0.05', ...hooks],
      { cwd: dir, env },
    );
    expect(r.code).toBe(1);
    const events = told(rec);
    const first = events.filter((e) => e.args === '');
    expect(first.map((e) => e.event)).toEqual(['task-failed', 'budget-reached', 'run-finished']);
    expect(first.map((e) => e.json.event)).toEqual(['task-failed', 'budget-reached', 'run-finished']);
    const [failed, budget, finished] = first.map((e) => e.json);
    expect(failed.task).toMatchObject({ id: 'bad', reason: 'agent-error', attempts: 1, worker_id: 1, log: join(dir, '.ralph', 'worker-1.log') });
    expect(failed.task.error).toContain('[REDACTED:MY_API_KEY]');
    expect(JSON.stringify(events)).not.toContain('hunter2-very-secret-value');
    expect(budget).toMatchObject({ cost_usd: 0.06, max_cost_usd: 0.05, dir: join(dir, '.ralph') });
    expect(finished).toMatchObject({ stopped_by: 'budget', exit_code: 1, total: 4, counts: { completed: 2, failed: 1, pending: 1, claimed: 0 } });
    // The second hook: the same events, its arguments split like a shell would, nothing run by a shell.
    const second = events.filter((e) => e.args !== '');
    expect(second.map((e) => e.event)).toEqual(['task-failed', 'budget-reached', 'run-finished']);
    expect(second[0]!.args).toBe('second hook $(touch pwned)');
    expect(existsSync(join(dir, 'pwned'))).toBe(false);

    // A usage limit with --on-usage-limit stop.
    writeTasks(dir, [{ id: 'limited', type: 't' }]);
    const limited = await ralph(
      [
        'run',
        '--tasks',
        'tasks.json',
        '--reset',
        '--workers',
        '1',
        '--agent',
        'claude',
        '--agent-bin',
        './claude',
        '--on-usage-limit',
        'stop',
        '--on-event',
        './hook.sh',
      ],
      { cwd: dir, env },
    );
    expect(limited.code).toBe(1);
    const later = told(rec)
      .slice(events.length)
      .map((e) => e.json);
    expect(later.map((e) => e.event)).toEqual(['usage-limit', 'run-finished']);
    expect(later[0]).toMatchObject({ policy: 'stop', detail: expect.stringContaining('usage limit reached') });
    expect(later[1]).toMatchObject({ stopped_by: 'usage-limit' });
  });

  it('a hook that fails, hangs or cannot start is logged and neither stops nor holds up the run', async () => {
    const dir = tempDir();
    const pids = join(dir, 'pids');
    mkdirSync(pids);
    script(dir, 'agent.sh', 'echo "FINDINGS: $RALPH_TASK_ID"\n[ "$RALPH_TASK_ID" != fails ]');
    script(dir, 'broken.sh', 'echo "hook broke" >&2\nexit 3');
    script(dir, 'hangs.sh', 'echo $$ > "$PIDS/$$"\nsleep 300');
    writeTasks(dir, [{ id: 'fails', type: 't' }, ...Array.from({ length: 5 }, (_, i) => ({ id: `ok${i}`, type: 't' }))]);
    const run = startRalph(
      [
        'run',
        '--tasks',
        'tasks.json',
        '--workers',
        '2',
        '--agent-cmd',
        './agent.sh',
        '--on-event',
        './broken.sh',
        '--on-event',
        './hangs.sh',
        '--on-event',
        './no-such-hook',
        '--on-event-timeout',
        '4',
      ],
      { cwd: dir, env: { PIDS: pids } },
    );
    let stdout = '';
    run.child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    // The run has done all its work and printed its summary while the hanging hook still runs.
    await waitFor('the summary', () => stdout.includes('Report:'));
    const hanging = readdirSync(pids).map(Number);
    expect(hanging.length).toBeGreaterThan(0);
    expect(
      hanging.some((pid) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      }),
    ).toBe(true);
    const result = await run.done;
    expect(result.code).toBe(1); // one task failed; the hooks change nothing
    expect(queueOf(dir).tasks.filter((t: any) => t.status === 'completed')).toHaveLength(5);
    expect(result.stderr).toMatch(/--on-event hook \.\/broken\.sh \(task-failed\) failed \(exit 3\): hook broke/);
    expect(result.stderr).toMatch(/--on-event hook \.\/no-such-hook \(task-failed\) could not start: .*ENOENT/);
    // Its first event timed out; the next (run-finished) was cut short by the end of the run.
    expect(result.stderr).toMatch(/--on-event hook \.\/hangs\.sh \(task-failed\) still ran after 4s; killed it/);
    expect(result.stderr).toMatch(/--on-event hook \.\/hangs\.sh \(run-finished\) was still running when the run ended; killed it/);
    // Nothing a hook started outlives the run.
    const alive = readdirSync(pids)
      .map(Number)
      .filter((pid) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      });
    expect(alive).toEqual([]);
  });

  it('refuses a hook command that cannot be split, before anything is touched (exit 2)', async () => {
    const dir = tempDir();
    writeTasks(dir, [{ id: 'a', type: 't' }]);
    const r = await ralph(['run', '--tasks', 'tasks.json', '--agent-cmd', 'true', '--on-event', "./hook.sh 'unclosed"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ralph: --on-event "\.\/hook\.sh 'unclosed": /);
    expect(existsSync(join(dir, '.ralph'))).toBe(false);
  });

  it("the loops tell turn-finished after each turn and lease-expired when the other side's lease ran out", async () => {
    const s = await twoClones();
    script(s.root, 'hook.sh', RECORDING_HOOK);
    const rec = join(s.root, 'told');
    const sync = ['--sync-via-git', '--branch', 'main', ...FAST, '--on-event', join(s.root, 'hook.sh')];
    const turn = await ralph(['supervisor', ...sync, '--sync-loops', '1', '--agent-cmd', join(s.agents, 'galph.sh')], { cwd: s.a, env: { REC: rec } });
    expect(turn.code, turn.stdout + turn.stderr).toBe(0);
    expect(told(rec).map((e) => e.json)).toEqual([
      expect.objectContaining({ event: 'turn-finished', actor: 'galph', iteration: 1, mode: 'sync', ok: true, next: 'ralph', branch: 'main', dir: s.a }),
    ]);
    // The engineer's machine marked its turn running and vanished: its lease is long over.
    pushState(
      s.b,
      {
        iteration: 1,
        expected_actor: 'ralph',
        status: 'running-ralph',
        last_update: '2026-01-01T00:00:00Z',
        lease_expires_at: '2026-01-01T00:05:00Z',
        holder: { host: 'gone-host', pid: 4242, token: 't', since: '2026-01-01T00:00:00Z' },
      },
      '[SYNC i=1] actor=ralph status=running lease=2026-01-01T00:05:00Z',
    );
    const waiting = await ralph(['supervisor', ...sync, '--sync-loops', '1', '--max-wait-sec', '1', '--agent-cmd', join(s.agents, 'galph.sh')], {
      cwd: s.a,
      env: { REC: rec },
    });
    expect(waiting.code).toBe(1);
    const expired = told(rec)
      .map((e) => e.json)
      .slice(1);
    expect(expired).toEqual([
      expect.objectContaining({
        event: 'lease-expired',
        actor: 'galph',
        holder: 'ralph',
        iteration: 1,
        status: 'running-ralph',
        lease_expires_at: '2026-01-01T00:05:00Z',
        detail: expect.stringContaining('stopped renewing it'),
      }),
    ]);
    expect(git(s.a, 'status', '--porcelain')).toBe('');
  });
});

describe('--bell', () => {
  /** `ralph run` on a pseudo-terminal (util-linux `script`): everything it wrote to the terminal. */
  const onTerminal = (dir: string, extra: string) =>
    spawnSync('script', ['-qec', `'${process.execPath}' '${CLI}' run --tasks tasks.json --workers 1 --agent-cmd ./agent.sh ${extra}`, '/dev/null'], {
      cwd: dir,
      encoding: 'utf8',
    });
  // Bells that end an OSC sequence (a terminal title, a link) are not the bell.
  const bells = (text: string) => text.replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)/g, '').split('\x07').length - 1;

  it('rings once at the end of a run on a terminal when asked, and never off a terminal', async () => {
    const dir = tempDir();
    script(dir, 'agent.sh', 'echo "FINDINGS: ok"');
    writeTasks(dir, [{ id: 'a', type: 't' }]);
    const asked = onTerminal(dir, '--reset --bell');
    expect(asked.status, asked.stdout).toBe(0);
    expect(asked.stdout).toContain('Report:');
    expect(bells(asked.stdout)).toBe(1);
    const unasked = onTerminal(dir, '--reset');
    expect(unasked.stdout).toContain('Report:');
    expect(bells(unasked.stdout)).toBe(0);
    const piped = await ralph(['run', '--tasks', 'tasks.json', '--reset', '--workers', '1', '--agent-cmd', './agent.sh', '--bell'], { cwd: dir });
    expect(piped.code).toBe(0);
    expect(bells(piped.stdout + piped.stderr)).toBe(0);
  });
});
