import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, deadPid, tempDir, waitFor } from '../helpers/index.js';
import { isAlive } from '../../src/process/alive.js';
import { FAST, git, handoffSubjects, ralphWithin, remoteRev, remoteState, runRalph, startWatched, twoClones, writeAgent } from '../helpers/loops.js';

const SYNC = ['--sync-via-git', '--branch', 'main', ...FAST, '--max-wait-sec', '20'];
const sha = /[0-9a-f]{7,}$/;
/** The remote moves on: B pushes a commit of its own. */
function pushFromB(s: { b: string }): void {
  writeFileSync(join(s.b, 'notes.txt'), 'from b\n');
  git(s.b, 'add', 'notes.txt');
  git(s.b, 'commit', '--quiet', '-m', 'b: notes');
  git(s.b, 'push', '--quiet', 'origin', 'HEAD:main');
}
const names = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);

describe('loops over real git', () => {
  it('a: refuses to run on another branch than --branch, touching nothing', async () => {
    const s = await twoClones();
    git(s.a, 'checkout', '--quiet', '-b', 'other');
    const head = git(s.a, 'rev-parse', 'HEAD');
    const remote = remoteRev(s.remote);
    const r = await ralphWithin(['supervisor', ...SYNC, '--sync-loops', '1', '--agent-cmd', join(s.agents, 'galph.sh')], { cwd: s.a });
    expect(r.code, r.stderr + r.stdout).toBe(2);
    expect(r.stderr).toMatch(/current branch is other, not main/);
    expect(r.stderr).toContain('git checkout main');
    expect(git(s.a, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(s.a, 'branch', '--show-current')).toBe('other');
    expect(remoteRev(s.remote)).toBe(remote);
    expect(remoteRev(s.remote, 'other')).toBe('');
    expect(git(s.a, 'status', '--porcelain')).toBe('');
    expect(existsSync(join(s.a, 'logs'))).toBe(false);
  });

  it('b: a dirty tracked file outside every policy aborts the handoff and is kept', async () => {
    const s = await twoClones();
    // README.md is a .md file, which the default reports policy would take; restrict reports to reports/.
    const agent = writeAgent(
      s.agents,
      'galph-dirty.sh',
      `
echo "galph iteration $RALPH_ITERATION" >> input.md
echo "edited by galph" >> README.md
echo "FINDINGS: edited the readme"`,
    );
    const r = await ralphWithin(['supervisor', ...SYNC, '--sync-loops', '1', '--report-path-globs', 'reports/**', '--agent-cmd', agent], { cwd: s.a });
    const out = r.stdout + r.stderr;
    expect(r.code, out).toBe(1);
    expect(out).toMatch(/handoff aborted.*README\.md/);
    expect(r.stderr).toMatch(/ralph: handoff aborted, state not changed: .*README\.md/);
    const state = remoteState(s.remote);
    expect(state.expected_actor).toBe('galph');
    expect(state.status).not.toBe('waiting-ralph');
    expect(handoffSubjects(s.remote)).toEqual([]);
    // The change is still in the working tree, neither lost nor committed anywhere.
    expect(git(s.a, 'status', '--porcelain', '--', 'README.md')).toBe('M README.md');
    expect(readFileSync(join(s.a, 'README.md'), 'utf8')).toBe('# project\nedited by galph\n');
    expect(git(s.a, 'show', 'HEAD:README.md')).toBe('# project');
    expect(git(s.remote, 'show', 'main:README.md')).toBe('# project');
  });

  it('c: a push rejected because someone else pushed meanwhile is rebased and retried, never forced', async () => {
    const s = await twoClones();
    const third = join(s.root, 'c');
    // The other side pushes at the worst moment: right before the engineer's first push (a pre-push
    // hook in B, once), so that push is rejected.
    const marker = join(s.root, 'raced');
    writeAgent(
      join(s.b, '.git', 'hooks'),
      'pre-push',
      `
[ -e '${marker}' ] && exit 0
touch '${marker}'
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE
git clone --quiet '${s.remote}' '${third}'
cd '${third}'
git config user.name other && git config user.email other@example.com
echo unrelated > other.txt
git add other.txt && git commit --quiet -m "unrelated: other.txt"
git push --quiet origin HEAD:main`,
    );
    const agent = join(s.agents, 'ralph.sh');
    const sup = startWatched(['supervisor', ...SYNC, '--sync-loops', '1', '--agent-cmd', join(s.agents, 'galph.sh')], { cwd: s.a });
    const eng = startWatched(['loop', ...SYNC, '--sync-loops', '1', '--agent-cmd', agent], { cwd: s.b });
    const [a, b] = await Promise.all([sup.done, eng.done]);
    expect(a.code, a.stdout + a.stderr).toBe(0);
    expect(b.code, b.stdout + b.stderr).toBe(0);
    expect(b.stdout).toMatch(/push rejected .*rebasing/);
    const unrelated = git(third, 'rev-parse', 'HEAD');
    const tip = remoteRev(s.remote);
    // The unrelated commit was not overwritten: it is below the tip, and the history is linear.
    expect(git(s.remote, 'merge-base', '--is-ancestor', unrelated, tip)).toBe('');
    expect(git(s.remote, 'rev-list', '--merges', 'main')).toBe('');
    expect(git(s.remote, 'log', '-1', '--format=%s', 'main')).toMatch(/^\[SYNC i=2\] actor=ralph → next=galph status=ok [0-9a-f]{7,}$/);
    expect(git(s.remote, 'show', 'main:other.txt')).toBe('unrelated');
    expect(git(s.remote, 'show', 'main:work/ralph-1.txt')).toBe('done 1');
    expect(handoffSubjects(s.remote).map((x) => x.replace(sha, ''))).toEqual([
      '[SYNC i=1] actor=galph → next=ralph status=ok ',
      '[SYNC i=2] actor=ralph → next=galph status=ok ',
    ]);
    expect(remoteState(s.remote)).toMatchObject({ iteration: 2, expected_actor: 'galph', status: 'complete' });
  });

  it('d: an engineer killed mid-turn: the supervisor reports the expired lease, a restarted loop resumes the turn', async () => {
    const s = await twoClones();
    const marker = join(s.root, 'first-run-done');
    const pidFile = join(s.root, 'agent.pid');
    const agent = writeAgent(
      s.agents,
      'ralph-slow.sh',
      `
if [ ! -e '${marker}' ]; then
  touch '${marker}'
  echo $$ > '${pidFile}'
  exec sleep 30
fi
mkdir -p work && echo "done $RALPH_ITERATION" > "work/ralph-$RALPH_ITERATION.txt"
git add work && git commit --quiet -m "ralph: step $RALPH_ITERATION"
echo "FINDINGS: did step $RALPH_ITERATION"`,
    );
    const sup = startWatched(['supervisor', ...SYNC, '--sync-loops', '2', '--agent-cmd', join(s.agents, 'galph.sh')], { cwd: s.a }, 45_000);
    const first = startWatched(['loop', ...SYNC, '--sync-loops', '1', '--lease-sec', '3', '--agent-cmd', agent], { cwd: s.b }, 45_000);
    try {
      await waitFor('the first agent to start', () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', 15_000);
      await waitFor('running-ralph on the remote', () => remoteState(s.remote).status === 'running-ralph', 10_000, 100);
      const agentPid = Number(readFileSync(pidFile, 'utf8').trim());
      // The agent runs in its own process group: kill the loop and that group, as a crash would leave nothing.
      const pgid = Number(readFileSync(`/proc/${agentPid}/stat`, 'utf8').split(') ')[1]!.split(' ')[2]);
      first.child.kill('SIGKILL');
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        /* gone */
      }
      try {
        process.kill(agentPid, 'SIGKILL');
      } catch {
        /* gone */
      }
      const killed = await first.done;
      expect(killed.signal).toBe('SIGKILL');
      await waitFor('LEASE EXPIRED in the supervisor output', () => /LEASE EXPIRED: ralph's turn \(iteration 1\)/.test(sup.output()), 10_000, 50);
      const line = sup
        .output()
        .split('\n')
        .find((l) => l.includes('LEASE EXPIRED'))!;
      expect(line).toMatch(
        /^ralph galph: LEASE EXPIRED: ralph's turn \(iteration 1\) started at \d{4}-\d\d-\d\dT[\d:.]+Z and its lease expired at .*Restart `ralph loop` on ralph's machine.*`ralph stamp-handoff ralph fail`/,
      );
      expect(remoteState(s.remote).status).toBe('running-ralph');

      const second = await ralphWithin(['loop', ...SYNC, '--sync-loops', '1', '--lease-sec', '3', '--agent-cmd', agent], { cwd: s.b });
      expect(second.code, second.stdout + second.stderr).toBe(0);
      expect(second.stdout).toContain('ralph ralph: resuming my own turn of iteration 1');
      const a = await sup.done;
      expect(a.code, a.stdout + a.stderr).toBe(0);
    } finally {
      first.child.kill('SIGKILL');
      sup.child.kill('SIGKILL');
    }
    expect(remoteState(s.remote)).toMatchObject({ iteration: 2, expected_actor: 'ralph', status: 'waiting-ralph' });
    expect(handoffSubjects(s.remote).map((x) => x.replace(sha, ''))).toEqual([
      '[SYNC i=1] actor=galph → next=ralph status=ok ',
      '[SYNC i=2] actor=ralph → next=galph status=ok ',
      '[SYNC i=2] actor=galph → next=ralph status=ok ',
    ]);
    expect(git(s.remote, 'show', 'main:work/ralph-1.txt')).toBe('done 1');
  });

  it('d2: the lease of a live engineer with --lease-sec 3 (the minimum) is renewed in time and never reported expired', async () => {
    const s = await twoClones('ralph');
    // The agent does not run git itself (see d3); ralph commits its report afterwards.
    const agent = writeAgent(
      s.agents,
      'ralph-4s.sh',
      `
sleep 4
echo "evidence $RALPH_ITERATION" > evidence.txt
echo "FINDINGS: wrote evidence"`,
    );
    const eng = startWatched(['loop', ...SYNC, '--sync-loops', '1', '--lease-sec', '3', '--agent-cmd', agent], { cwd: s.b });
    const sup = startWatched(
      [
        'supervisor',
        '--sync-via-git',
        '--branch',
        'main',
        '--poll-interval',
        '0.05',
        '--grace',
        '1',
        '--max-wait-sec',
        '15',
        '--sync-loops',
        '1',
        '--agent-cmd',
        join(s.agents, 'galph.sh'),
      ],
      { cwd: s.a },
    );
    const [a, b] = await Promise.all([sup.done, eng.done]);
    expect(b.code, b.stdout + b.stderr).toBe(0);
    expect(a.code, a.stdout + a.stderr).toBe(0);
    expect(a.stdout, 'ralph was alive and renewing its lease all along').not.toContain('LEASE EXPIRED');
  });

  it("d3: lease renewals do not break the agent's own git commits in the same clone", async () => {
    const s = await twoClones('ralph');
    // About three seconds of commits, one after the other, while ralph renews its 3 s lease every second.
    const agent = writeAgent(
      s.agents,
      'ralph-busy.sh',
      `
mkdir -p work
end=$(( $(date +%s) + 3 ))
i=0
while [ "$(date +%s)" -lt "$end" ]; do
  i=$((i + 1))
  echo "$i" > work/counter.txt
  git add work
  git commit --quiet -m "ralph: commit $i"
done
echo "FINDINGS: made $i commits"`,
    );
    const r = await ralphWithin(['loop', ...SYNC, '--sync-loops', '1', '--lease-sec', '3', '--agent-cmd', agent], { cwd: s.b });
    expect(r.stdout, "the agent's git met the index.lock of a lease renewal").not.toMatch(/Unable to create .*index\.lock/);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(git(s.remote, 'log', '-1', '--format=%s', 'main')).toMatch(/^\[SYNC i=2\] actor=ralph → next=galph status=ok /);
  });

  describe('e: stale locks', () => {
    it('(i) an index.lock two minutes old is removed and the run succeeds', async () => {
      const s = await twoClones();
      const lock = join(s.b, '.git', 'index.lock');
      writeFileSync(lock, '');
      const old = new Date(Date.now() - 120_000);
      utimesSync(lock, old, old);
      // Each git command on its own line, so that `set -e` stops the agent if its commit fails.
      const agent = writeAgent(
        s.agents,
        'ralph-strict.sh',
        `
mkdir -p work && echo "done $RALPH_ITERATION" > "work/ralph-$RALPH_ITERATION.txt"
git add work
git commit --quiet -m "ralph: step $RALPH_ITERATION"
echo "FINDINGS: did step $RALPH_ITERATION"`,
      );
      const before = git(s.b, 'rev-parse', 'HEAD');
      const r = await ralphWithin(['loop', '--sync-loops', '1', ...FAST, '--agent-cmd', agent], { cwd: s.b });
      expect(r.stdout, "the agent's own git met the stale index.lock (removed only after the agent ran?)").not.toMatch(/Unable to create .*index\.lock/);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/removed a stale .*index\.lock/);
      expect(existsSync(lock)).toBe(false);
      expect(git(s.b, 'log', '--format=%s', `${before}..HEAD`)).toBe('ralph: step 1');
    });

    it('(ii) a live index.lock is waited for (bounded) and the run succeeds once it goes', async () => {
      const s = await twoClones();
      const lock = join(s.b, '.git', 'index.lock');
      const agentDone = join(s.root, 'agent-done');
      // The agent leaves a report for ralph to commit: ralph's own git meets the lock.
      const agent = writeAgent(
        s.agents,
        'ralph-report.sh',
        `
echo "evidence $RALPH_ITERATION" > evidence.txt
touch '${agentDone}'
echo "FINDINGS: wrote evidence"`,
      );
      writeFileSync(lock, '');
      const run = startWatched(['loop', '--sync-loops', '1', ...FAST, '--agent-cmd', agent], { cwd: s.b });
      await waitFor('the agent to finish', () => existsSync(agentDone), 15_000);
      await new Promise((r) => setTimeout(r, 1000));
      expect(run.child.exitCode).toBe(null); // still waiting for the lock
      const removedAt = Date.now();
      rmSync(lock);
      const r = await run.done;
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(Date.now() - removedAt).toBeLessThan(5000);
      expect(git(s.b, 'show', 'HEAD:evidence.txt')).toBe('evidence 1');
      expect(git(s.b, 'status', '--porcelain')).toBe('');
    });

    it('(iii) an orchestrator.lock left by a dead process is taken over', async () => {
      const s = await twoClones();
      const lock = join(s.b, '.git', 'orchestrator.lock');
      const now = new Date().toISOString();
      const pid = deadPid();
      writeFileSync(
        lock,
        JSON.stringify({ pid, host: hostname(), token: 'left-by-a-dead-process', acquired_at: now, refreshed_at: now, lease_ms: 120_000, purpose: 'handoff' }),
      );
      const before = git(s.b, 'rev-parse', 'HEAD');
      // Without a takeover the mutex would wait for minutes: give it 20 s.
      const r = await ralphWithin(['loop', '--sync-loops', '1', ...FAST, '--agent-cmd', join(s.agents, 'ralph.sh')], { cwd: s.b }, 20_000);
      expect(r.signal, 'killed after 20 s: the stale lock was not taken over').toBe(null);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(git(s.b, 'log', '--format=%s', `${before}..HEAD`)).toBe('ralph: step 1');
      expect(existsSync(lock)).toBe(false); // taken over, then released
    });
  });

  it('f: async mode runs the turns back to back locally, with logs and summaries, and pushes nothing', async () => {
    const s = await twoClones();
    const remote = remoteRev(s.remote);
    const stateBefore = readFileSync(join(s.b, 'sync', 'state.json'), 'utf8');
    const r = await ralphWithin(['loop', '--sync-loops', '2', ...FAST, '--agent-cmd', join(s.agents, 'ralph.sh')], { cwd: s.b });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const logs = names(join(s.b, 'logs', 'main', 'ralph'));
    expect(logs).toHaveLength(2);
    for (const [i, n] of logs.entries()) expect(n).toMatch(new RegExp(`^iter-0000${i + 1}_\\d{8}_\\d{6}_main\\.log$`));
    const summaries = names(join(s.b, 'logs', 'main', 'ralph-summaries'));
    expect(summaries.map((n) => n.replace(/_\d{8}_\d{6}/, ''))).toEqual(['iter-00001-summary.md', 'iter-00002-summary.md']);
    expect(readFileSync(join(s.b, 'logs', 'main', 'ralph-summaries', summaries[1]!), 'utf8')).toContain('- mode: async');
    expect(remoteRev(s.remote)).toBe(remote);
    expect(git(s.b, 'log', '--format=%s', 'origin/main..HEAD').split('\n')).toEqual(['ralph: step 2', 'ralph: step 1']);
    expect(readFileSync(join(s.b, 'sync', 'state.json'), 'utf8')).toBe(stateBefore);
  });

  describe('g: stamp-handoff', () => {
    it('flips the state, commits and pushes it; --no-push keeps it local; --json prints the state', async () => {
      const s = await twoClones();
      const headA = git(s.a, 'rev-parse', '--short', 'HEAD');
      const g = await ralphWithin(['stamp-handoff', 'galph', 'ok', '--branch', 'main'], { cwd: s.a });
      expect(g.code, g.stderr).toBe(0);
      expect(g.stdout).toBe(`[SYNC i=1] actor=galph → next=ralph status=ok ${headA}\npushed to origin/main\n`);
      expect(remoteState(s.remote)).toMatchObject({ iteration: 1, expected_actor: 'ralph', status: 'waiting-ralph', galph_commit: headA });
      expect(git(s.remote, 'log', '-1', '--format=%s', 'main')).toBe(`[SYNC i=1] actor=galph → next=ralph status=ok ${headA}`);

      // B is behind: it pulls first, then stamps on top of galph's handoff.
      const r = await ralphWithin(['stamp-handoff', 'ralph', 'ok'], { cwd: s.b });
      expect(r.code, r.stderr).toBe(0);
      const pulled = git(s.b, 'rev-parse', '--short', 'HEAD~1');
      expect(git(s.b, 'rev-parse', 'HEAD~1')).toBe(git(s.remote, 'rev-parse', 'main~1'));
      expect(r.stdout).toBe(`[SYNC i=2] actor=ralph → next=galph status=ok ${pulled}\npushed to origin/main\n`);
      expect(remoteState(s.remote)).toMatchObject({ iteration: 2, expected_actor: 'galph', status: 'complete', ralph_commit: pulled });

      // --no-push: committed in A only.
      const remote = remoteRev(s.remote);
      const n = await ralphWithin(['stamp-handoff', 'galph', 'ok', '--no-push'], { cwd: s.a });
      expect(n.code, n.stderr).toBe(0);
      expect(n.stdout).toMatch(/^\[SYNC i=2\] actor=galph → next=ralph status=ok [0-9a-f]{7,}\ncommitted locally \(--no-push\)\n$/);
      expect(remoteRev(s.remote)).toBe(remote);
      expect(git(s.a, 'log', '--format=%s', 'origin/main..HEAD')).toMatch(/^\[SYNC i=2\] actor=galph → next=ralph status=ok /);
      expect(JSON.parse(readFileSync(join(s.a, 'sync', 'state.json'), 'utf8'))).toMatchObject({
        iteration: 2,
        expected_actor: 'ralph',
        status: 'waiting-ralph',
      });

      // --json: the new state, and nothing else, on stdout.
      const j = await ralphWithin(['stamp-handoff', 'ralph', 'fail', '--json'], { cwd: s.a });
      expect(j.code, j.stderr).toBe(0);
      const printed = JSON.parse(j.stdout);
      expect(printed).toMatchObject({ iteration: 2, expected_actor: 'ralph', status: 'failed' });
      expect(printed).toEqual(remoteState(s.remote));
      expect(
        git(s.remote, 'log', '-2', '--format=%s', 'main')
          .split('\n')
          .map((x) => x.replace(sha, '')),
      ).toEqual(['[SYNC i=2] actor=ralph → next=ralph status=fail ', '[SYNC i=2] actor=galph → next=ralph status=ok ']);
    });

    it('refuses a dirty tracked file (exit 2: nothing done, like a wrong branch) unless --allow-dirty, which stamps without committing the file', async () => {
      const s = await twoClones();
      writeFileSync(join(s.a, 'README.md'), '# project\nlocal edit\n');
      const remote = remoteRev(s.remote);
      const refused = await ralphWithin(['stamp-handoff', 'galph', 'ok', '--branch', 'main'], { cwd: s.a });
      expect(refused.code, refused.stdout + refused.stderr).toBe(2);
      expect(refused.stderr).toMatch(/uncommitted changes: README\.md.*--allow-dirty/);
      expect(remoteRev(s.remote)).toBe(remote);

      const allowed = await ralphWithin(['stamp-handoff', 'galph', 'ok', '--branch', 'main', '--allow-dirty'], { cwd: s.a });
      expect(allowed.code, allowed.stdout + allowed.stderr).toBe(0);
      expect(remoteState(s.remote)).toMatchObject({ iteration: 1, expected_actor: 'ralph', status: 'waiting-ralph' });
      expect(git(s.remote, 'show', 'main:README.md')).toBe('# project');
      expect(git(s.a, 'status', '--porcelain')).toBe('M README.md');
    });
  });

  it('h: a missing prompt file is a usage error naming the file', async () => {
    const s = await twoClones();
    const head = git(s.b, 'rev-parse', 'HEAD');
    const r = await ralphWithin(['loop', '--prompt', 'nosuch', '--sync-loops', '1', ...FAST, '--agent-cmd', join(s.agents, 'ralph.sh')], { cwd: s.b });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toContain(join('prompts', 'nosuch.md'));
    expect(r.stderr).toMatch(/not found/);
    expect(git(s.b, 'rev-parse', 'HEAD')).toBe(head);
    expect(existsSync(join(s.b, 'logs'))).toBe(false);
  });

  it('i: init --loops twice keeps existing files; the wrappers run', async () => {
    const dir = tempDir('ralph-init-loops-');
    git(dir, 'init', '--quiet', '-b', 'main');
    const first = await runRalph(['init', '--loops'], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    for (const f of ['supervisor.sh', 'loop.sh', 'prompts/supervisor.md', 'prompts/main.md', 'prompts/debug.md', 'input.md', 'sync/state.json']) {
      expect(first.stdout).toContain(`Wrote ${f}`);
    }
    writeFileSync(join(dir, 'prompts', 'main.md'), 'my own prompt\n');
    writeFileSync(join(dir, 'input.md'), 'my instructions\n');
    const state = readFileSync(join(dir, 'sync', 'state.json'), 'utf8');
    const second = await runRalph(['init', '--loops', '--start', 'ralph'], { cwd: dir });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).not.toContain('Wrote ');
    expect(second.stdout).toContain('prompts/main.md exists; left as it is.');
    expect(second.stdout).toContain('sync/state.json exists; left as it is.');
    expect(readFileSync(join(dir, 'prompts', 'main.md'), 'utf8')).toBe('my own prompt\n');
    expect(readFileSync(join(dir, 'input.md'), 'utf8')).toBe('my instructions\n');
    expect(readFileSync(join(dir, 'sync', 'state.json'), 'utf8')).toBe(state);
    const ignore = readFileSync(join(dir, '.gitignore'), 'utf8').split('\n');
    expect(ignore.filter((l) => l === 'logs/')).toHaveLength(1);
    for (const wrapper of ['supervisor.sh', 'loop.sh']) expect(statSync(join(dir, wrapper)).mode & 0o111).toBe(0o111);
    expect(git(dir, 'check-ignore', 'logs/main/ralph/x.log')).toBe('logs/main/ralph/x.log');
    const env = { ...process.env, RALPH_BIN: CLI };
    const sup = spawnSync('./supervisor.sh', ['--help'], { cwd: dir, encoding: 'utf8', env });
    expect(sup.status, sup.stderr).toBe(0);
    expect(sup.stdout).toMatch(/Usage: ralph supervisor/);
    expect(sup.stdout).toContain('--prompt-file');
    const loop = spawnSync('./loop.sh', ['--help'], { cwd: dir, encoding: 'utf8', env });
    expect(loop.status, loop.stderr).toBe(0);
    expect(loop.stdout).toMatch(/Usage: ralph loop/);
  });

  it('j: a handoff committed but not pushed before a crash is pushed on restart, not redone', async () => {
    const s = await twoClones();
    // galph's turn ended with its handoff commit, then the process died before the push.
    const stamp = await runRalph(['stamp-handoff', 'galph', 'ok', '--branch', 'main', '--no-push'], { cwd: s.a });
    expect(stamp.code, stamp.stderr).toBe(0);
    expect(remoteState(s.remote).status).toBe('idle');
    const r = await ralphWithin(['supervisor', ...SYNC.slice(0, -2), '--max-wait-sec', '1', '--sync-loops', '1', '--agent-cmd', join(s.agents, 'galph.sh')], {
      cwd: s.a,
    });
    expect(r.stdout).toMatch(/found 1 unpushed commit\(s\) from an earlier run \(\[SYNC i=1\] actor=galph → next=ralph status=ok [0-9a-f]+\); pushing them/);
    expect(remoteState(s.remote)).toMatchObject({ expected_actor: 'ralph', status: 'waiting-ralph', iteration: 1 });
    // Not redone: galph's agent did not run again; it waited for ralph and gave up.
    expect(names(join(s.a, 'logs', 'main', 'galph'))).toEqual([]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/gave up after --max-wait-sec 1: it was ralph's turn \(iteration 1, status waiting-ralph\) since /);
  });

  it('k: a pull blocked by a local doc change is recovered by the supervisor (docs committed, pull retried)', async () => {
    const s = await twoClones();
    // The remote moved on (B pushed), and A has an uncommitted change to a whitelisted doc.
    pushFromB(s);
    writeFileSync(join(s.a, 'input.md'), 'local plan before the pull\n');
    const r = await ralphWithin(['supervisor', ...SYNC, '--sync-loops', '1', '--agent-cmd', join(s.agents, 'galph.sh')], { cwd: s.a });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('pull blocked by local changes; trying doc/meta whitelist auto-commit');
    expect(git(s.remote, 'show', 'main:input.md')).toMatch(/^local plan before the pull\ngalph iteration 1 on main$/);
    expect(git(s.remote, 'show', 'main:notes.txt')).toBe('from b');
  });

  it('l: a pull blocked by a change outside every policy fails fast, naming the path, and keeps it', async () => {
    const s = await twoClones();
    pushFromB(s);
    writeFileSync(join(s.a, 'README.md'), 'local edit\n');
    const head = git(s.a, 'rev-parse', 'HEAD');
    const r = await ralphWithin(['supervisor', ...SYNC, '--sync-loops', '1', '--agent-cmd', join(s.agents, 'galph.sh')], { cwd: s.a });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /git pull \(fetch \+ rebase onto origin\/main\) failed: error: cannot rebase: You have unstaged changes[\s\S]*\nDirty paths: README\.md\n/,
    );
    expect(r.stderr).toContain('Resolve it by hand');
    expect(readFileSync(join(s.a, 'README.md'), 'utf8')).toBe('local edit\n');
    expect(git(s.a, 'rev-parse', 'HEAD')).toBe(head);
    expect(names(join(s.a, 'logs'))).toEqual([]);
  });

  it('m: an agent that switches branches: nothing is committed or pushed from the other branch, no flip', async () => {
    const s = await twoClones('ralph');
    const agent = writeAgent(
      s.agents,
      'ralph-branch.sh',
      `
git checkout --quiet -b side
echo side > side.txt && git add side.txt && git commit --quiet -m "on side"
echo "FINDINGS: worked on a side branch"`,
    );
    const r = await ralphWithin(['loop', ...SYNC, '--sync-loops', '1', '--agent-cmd', agent], { cwd: s.b });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain('the clone is now on side, not main');
    expect(git(s.remote, 'ls-tree', '--name-only', 'main')).not.toContain('side.txt');
    expect(remoteState(s.remote)).toMatchObject({ status: 'running-ralph', expected_actor: 'ralph' });
    expect(handoffSubjects(s.remote)).toEqual([]);
    expect(git(s.b, 'log', '-1', '--format=%s', 'side')).toBe('on side'); // the work is kept
  });

  it('n: a manual stamp during my turn is never overwritten by my handoff', async () => {
    const s = await twoClones();
    const third = join(s.root, 'c');
    const agent = writeAgent(
      s.agents,
      'galph-stamped.sh',
      `
(
  unset GIT_DIR GIT_WORK_TREE
  git clone --quiet '${s.remote}' '${third}'
  cd '${third}'
  git config user.name human && git config user.email human@example.com
  '${process.execPath}' '${join(process.cwd(), 'dist', 'cli', 'bin.js')}' stamp-handoff galph fail --branch main > /dev/null
)
echo "plan" >> input.md
echo "FINDINGS: planned"`,
    );
    const r = await ralphWithin(['supervisor', ...SYNC, '--sync-loops', '1', '--agent-cmd', agent], { cwd: s.a });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toMatch(/not stamping the handoff: the remote sync\/state\.json changed during my turn \(now: galph's turn, failed, iteration 1/);
    expect(remoteState(s.remote)).toMatchObject({ status: 'failed', expected_actor: 'galph', iteration: 1 });
    expect(handoffSubjects(s.remote).map((x) => x.replace(sha, ''))).toEqual(['[SYNC i=1] actor=galph → next=galph status=fail ']);
  });

  it("o: --agent-timeout kills the agent's whole process group and fails the turn", async () => {
    const s = await twoClones('ralph');
    const pids = join(s.root, 'pids');
    const agent = writeAgent(
      s.agents,
      'ralph-hang.sh',
      `
sleep 30 &
echo $! > '${pids}'
sleep 30`,
    );
    const started = Date.now();
    const r = await ralphWithin(['loop', '--sync-loops', '1', '--grace', '1', '--agent-timeout', '1', '--agent-cmd', agent], { cwd: s.b });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.stdout, r.stderr).toContain('agent failed: timed out after 1s (--agent-timeout)');
    expect(r.stdout).toContain('its process group was killed');
    const background = Number(readFileSync(pids, 'utf8'));
    await waitFor('the background sleep to be killed', () => !isAlive(background), 5_000); // zombie-aware
    const summaries = names(join(s.b, 'logs', 'main', 'ralph-summaries'));
    expect(readFileSync(join(s.b, 'logs', 'main', 'ralph-summaries', summaries[0]!), 'utf8')).toContain('- exit status: timed out (--agent-timeout)');
  });

  it('p: --heartbeat-secs prints a line while waiting; --max-wait-sec gives up naming whose turn it was', async () => {
    const s = await twoClones('ralph');
    const r = await ralphWithin(
      [
        'supervisor',
        '--sync-via-git',
        '--branch',
        'main',
        '--poll-interval',
        '0.2',
        '--heartbeat-secs',
        '0.5',
        '--max-wait-sec',
        '1.5',
        '--sync-loops',
        '1',
        '--agent-cmd',
        join(s.agents, 'galph.sh'),
      ],
      { cwd: s.a },
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ralph galph: still waiting for ralph \(iteration 1, status idle, since .*\); waited \d+s/);
    expect(r.stderr).toMatch(/gave up after --max-wait-sec 1\.5: it was ralph's turn \(iteration 1, status idle\) since /);
  });
});
